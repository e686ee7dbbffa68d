/**
 * The logger of the functions that do not run Powertools (health check, admin, pre-traffic hook,
 * authorizer, secrets source): one JSON line per call on stdout/stderr, which Lambda ships to
 * CloudWatch Logs, every message and field through the redactor. One implementation of the LogFn
 * port, so no function can log around the redactor with a console call of its own.
 */
import { jsonLogLine } from '../../core/telemetry/redact';
import type { LogFn } from '../../ports/telemetry';

export function consoleLog(service?: string): LogFn {
  const base = service ? { service } : {};
  return (level, msg, fields) => {
    const line = jsonLogLine(level, msg, fields, base);
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  };
}
