/** The traffic shift of a cutover as steps in time: what CodeDeploy does, and what the local run replays. */
import type { CutoverSettings } from '../../functions/core/cutover/settings';

export interface TrafficStep {
  /** Minutes after the shift started (after the pre-traffic check passed). */
  atMinute: number;
  /** Share of the alias's traffic on the new version from then on. */
  percent: number;
}

type Shift = Pick<CutoverSettings, 'traffic' | 'percent' | 'intervalMinutes'>;

export function trafficSteps(s: Shift): TrafficStep[] {
  if (s.traffic === 'all_at_once') return [{ atMinute: 0, percent: 100 }];
  if (s.traffic === 'canary') {
    return [
      { atMinute: 0, percent: s.percent },
      { atMinute: s.intervalMinutes, percent: 100 },
    ];
  }
  const steps: TrafficStep[] = [];
  for (let k = 0; k * s.percent < 100; k++)
    steps.push({ atMinute: k * s.intervalMinutes, percent: Math.min(100, (k + 1) * s.percent) });
  return steps;
}

/** Minutes from the first shift until all traffic is on the new version (the deployment succeeds then). */
export function shiftMinutes(s: Shift): number {
  const steps = trafficSteps(s);
  return steps[steps.length - 1].atMinute;
}

export function percentAt(steps: TrafficStep[], minute: number): number {
  let p = 0;
  for (const step of steps) if (step.atMinute <= minute) p = step.percent;
  return p;
}

export function describeShift(s: Shift): string {
  if (s.traffic === 'all_at_once') return 'all traffic at once';
  if (s.traffic === 'canary') return `canary ${s.percent}% for ${s.intervalMinutes} min, then 100%`;
  return `linear +${s.percent}% every ${s.intervalMinutes} min`;
}
