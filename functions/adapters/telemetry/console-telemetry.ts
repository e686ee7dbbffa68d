import type { Telemetry, LogFn } from '../../router/deps';

/** Minimal telemetry: one JSON log line per request. */
export function createConsoleTelemetry(log: LogFn): Telemetry {
  return {
    requestDone(s) {
      log('info', 'request', { ...s });
    },
  };
}
