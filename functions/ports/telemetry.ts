/** Logs and per-request telemetry: every function logs through one LogFn, which redacts secrets. */
import type { RequestSummary } from '../core/telemetry/request-summary';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFn = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

/** Structured logs and metrics for a finished request; synchronous, no network I/O. */
export interface Telemetry {
  requestDone(summary: RequestSummary): void;
}
