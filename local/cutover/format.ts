/** The timeline `npm run cutover` prints: one line per shift, alarm period and decision. */
import type { AlarmSpec } from '../../functions/core/cutover/alarms';
import { describeShift } from '../../functions/core/cutover/schedule';
import type { CutoverSettings } from '../../functions/core/cutover/settings';
import { describeReport } from '../../functions/pre-traffic/check-version';
import type { CutoverEvent, CutoverResult } from './run-cutover';

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
  if (spec.unit === '%') return `${v.toFixed(1)}%`;
  if (spec.unit === 'ms') return `${Math.round(v)} ms`;
  return String(v);
}

export function describeSettings(s: CutoverSettings): string {
  const a = s.alarms;
  return (
    `${describeShift(s)}; alarms per ${a.periodSeconds} s period, ${a.evaluationPeriods} breaching in a row roll back: ` +
    `error rate > ${a.errorRatePercent}%, fallback rate > ${a.fallbackRatePercent}%, p99 > ${a.p99LatencyMs} ms, ` +
    `Lambda errors > ${a.functionErrors} (rates need >= ${a.minRequests} requests)`
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
        const mark = r.state === 'ALARM' ? ' ALARM' : r.green !== undefined && r.green > s.threshold ? ' !' : '';
        return `${s.slug} ${value(s, r.green)} (blue ${value(s, r.blue)})${mark}`;
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
