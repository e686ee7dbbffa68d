/** The timeline `npm run cutover` prints: one line per shift, alarm period and decision. */
import type { AlarmSpec } from '../../functions/core/cutover/alarms';
import { describeShift } from './schedule';
import type { CutoverSettings } from '../../functions/core/cutover/settings';
import { describeReport } from '../../functions/pre-traffic/check-version';
import type { CutoverEvent, CutoverResult } from './events';

function clock(minute: number): string {
  const total = Math.round(minute * 60);
  return `t+${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

function weights(w: Record<string, number>): string {
  return Object.entries(w)
    .filter(([, p]) => p > 0)
    .map(([v, p]) => `v${v} ${p}%`)
    .join(' / ');
}

function value(spec: AlarmSpec, v: number | undefined): string {
  if (v === undefined) return '-';
  if (spec.unit === 'points') return `${v >= 0 ? '+' : ''}${v.toFixed(1)} pts`;
  return `${Math.round(v)} ms`;
}

export function describeSettings(s: CutoverSettings): string {
  const a = s.alarms;
  return (
    `${describeShift(s)}; alarms per ${a.periodSeconds} s period, ${a.datapointsToAlarm} of ${a.evaluationPeriods} breaching roll back; ` +
    `green vs blue over the same period: error rate > +${a.errorRatePercent} pts, fallback rate > +${a.fallbackRatePercent} pts, ` +
    `Lambda error rate > +${a.functionErrorRatePercent} pts; stream TTFT p99 > ${a.ttftP99Ms} ms (need >= ${a.minRequests} requests)`
  );
}

export function formatEvent(e: CutoverEvent): string[] {
  switch (e.type) {
    case 'start':
      return [`cutover v${e.blue} -> v${e.green}: ${describeSettings(e.settings)}`];
    case 'pre_traffic':
      return [
        `pre-traffic check of v${e.version}: ${e.report.ok ? 'passed' : 'FAILED, the version takes no traffic'}`,
        ...describeReport(e.report).map((l) => `    ${l}`),
      ];
    case 'shift':
      return [`${clock(e.atMinute)}  shift     live -> ${weights(e.weights)}`];
    case 'period': {
      const p = e.period;
      const cells = e.specs.map((s) => {
        const r = p.alarms[s.id];
        const mark = r.state === 'ALARM' ? ' ALARM' : r.value !== undefined && r.value > s.threshold ? ' !' : '';
        return `${s.slug} ${value(s, r.value)}${mark}`;
      });
      return [
        `${clock(p.atMinute)}  period ${String(p.index).padStart(2)} green ${String(p.greenPercent).padStart(3)}%  req v1 ${p.requests.blue} v2 ${p.requests.green}  ${cells.join('  ')}`,
      ];
    }
    case 'rollback':
      return [`${clock(e.atMinute)}  ROLLBACK  ${e.alarms.join(', ')} in ALARM -> live -> ${weights(e.weights)}`];
    case 'complete':
      return [`${clock(e.atMinute)}  complete  live -> ${weights(e.weights)}`];
  }
}

export function formatOutcome(r: CutoverResult): string {
  if (r.outcome === 'completed') return `cutover COMPLETED: v${r.green} serves all traffic`;
  if (r.outcome === 'refused') return `cutover REFUSED by the pre-traffic check: v${r.green} never took traffic`;
  return `cutover ROLLED BACK (${(r.alarms ?? []).join(', ')}): v${r.blue} serves all traffic`;
}
