/**
 * What a local cutover run reports, event by event and at the end. Apart from run-cutover.ts so the
 * formatter and the console view read the events without importing the runner back.
 */
import type { AlarmSpec, CutoverAlarmId } from '../../functions/core/cutover/alarms';
import type { AlarmState } from './evaluate';
import type { CutoverSettings } from '../../functions/core/cutover/settings';
import type { CheckReport } from '../../functions/pre-traffic/check-version';
import type { VersionMetrics } from './version-metrics';
import type { WeightedAlias } from './weighted-alias';

export type CutoverOutcome = 'completed' | 'rolled_back' | 'refused';

export interface AlarmReading {
  /** The alarm's value for the period: green minus blue for the rates, green's TTFT p99. */
  value?: number;
  state: AlarmState;
}

export interface PeriodRecord {
  index: number;
  /** End of the period, in schedule minutes since the first shift. */
  atMinute: number;
  /** Green's share during the period. */
  greenPercent: number;
  requests: { blue: number; green: number };
  alarms: Record<CutoverAlarmId, AlarmReading>;
}

export type CutoverEvent =
  | { type: 'start'; settings: CutoverSettings; blue: string; green: string }
  | { type: 'pre_traffic'; version: string; report: CheckReport }
  | { type: 'shift'; atMinute: number; weights: Record<string, number> }
  | { type: 'period'; period: PeriodRecord; specs: AlarmSpec[] }
  | { type: 'rollback'; atMinute: number; alarms: CutoverAlarmId[]; weights: Record<string, number> }
  | { type: 'complete'; atMinute: number; weights: Record<string, number> };

export interface CutoverResult {
  outcome: CutoverOutcome;
  settings: CutoverSettings;
  blue: string;
  green: string;
  events: CutoverEvent[];
  preTraffic?: CheckReport;
  /** Alarms in ALARM when it rolled back. */
  alarms?: CutoverAlarmId[];
  alias: WeightedAlias;
  metrics: VersionMetrics;
}
