/**
 * Where telemetry lines go. On Lambda: raw lines on stdout/stderr, which CloudWatch Logs stores and
 * turns into metrics (EMF) asynchronously, with no API call on the request path. Locally the
 * terminal shows one readable line per request instead, and tests capture everything.
 */
export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';

export interface TelemetrySink {
  /** One EMF document, a single JSON line. */
  metrics(line: string): void;
  /** One structured log line (JSON). */
  log(level: LogLevelName, line: string): void;
}

/**
 * Writes to the process streams directly, not through `console`: the Lambda runtime prefixes
 * console output (timestamp, request id) in text log format, and a prefixed EMF line is not parsed.
 */
export const stdoutSink: TelemetrySink = {
  metrics: (line) => void process.stdout.write(`${line}\n`),
  log: (level, line) =>
    void (level === 'warn' || level === 'error' ? process.stderr : process.stdout).write(`${line}\n`),
};

/** Local terminal: no EMF, no per-request JSON (the readable request line covers it); problems still show. */
export const quietSink: TelemetrySink = {
  metrics: () => undefined,
  log: (level, line) => {
    if (level === 'warn' || level === 'error') process.stderr.write(`${line}\n`);
  },
};

export interface CapturedTelemetry {
  sink: TelemetrySink;
  metrics: string[];
  logs: Array<{ level: LogLevelName; line: string }>;
  /** Parsed EMF documents. */
  emf(): Array<Record<string, any>>;
  /** Every captured line, for "does not contain" checks. */
  text(): string;
  clear(): void;
}

export function captureTelemetry(): CapturedTelemetry {
  const metrics: string[] = [];
  const logs: Array<{ level: LogLevelName; line: string }> = [];
  return {
    sink: { metrics: (line) => void metrics.push(line), log: (level, line) => void logs.push({ level, line }) },
    metrics,
    logs,
    emf: () => metrics.map((l) => JSON.parse(l) as Record<string, any>),
    text: () => [...metrics, ...logs.map((l) => l.line)].join('\n'),
    clear: () => {
      metrics.length = 0;
      logs.length = 0;
    },
  };
}
