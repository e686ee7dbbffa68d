/**
 * A rehearsal's progress as the console's cutover view reads it (GET /v1/admin/cutover): the alias'
 * weights, each alarm's latest state and value, and the event log in `npm run cutover`'s words.
 */
import type { CutoverView } from '../../functions/router/admin/admin-deps';
import { formatEvent } from './format';
import type { CutoverEvent } from './events';

export function cutoverView(
  events: readonly CutoverEvent[],
  weights: Record<string, number>,
  nowMs: number,
): CutoverView {
  let state: CutoverView['state'] = 'in_progress';
  let blue = '';
  let green = '';
  let alarms: CutoverView['alarms'] = [];
  for (const e of events) {
    if (e.type === 'start') ({ blue, green } = e);
    if (e.type === 'pre_traffic' && !e.report.ok) state = 'refused';
    if (e.type === 'period') alarms = e.specs.map((s) => ({ id: s.id, ...e.period.alarms[s.id] }));
    if (e.type === 'rollback') state = 'rolled_back';
    if (e.type === 'complete') state = 'completed';
  }
  return {
    state,
    blue,
    green,
    weights,
    alarms,
    events: events.flatMap((e) => formatEvent(e)),
    updatedAt: new Date(nowMs).toISOString(),
  };
}
