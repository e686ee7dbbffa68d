/**
 * Telemetry on Powertools for AWS Lambda: the Logger for JSON logs, Metrics for EMF.
 *
 * The router is a streaming handler (middy streamifyResponse) and one local process serves many
 * requests at once, so neither Powertools middy middleware is used: `requestDone` builds and writes
 * the request's EMF documents itself, synchronously, in one go, after the response is out. Nothing
 * is buffered between requests and concurrent requests cannot mix their dimensions.
 *
 * Metrics: Powertools always adds a `service` default dimension; it is cleared, because every
 * dimension set must be exactly the one declared in metric-names.ts (alarms match dimension sets
 * exactly). Output goes through `serializeMetrics()` to a sink instead of Powertools' own stdout
 * writer, so the local runtime can silence it and tests can read it.
 */
import { Logger, type LogItem, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricDocuments, type MetricDocument, type MetricUnitName } from '../../core/telemetry/metric-documents';
import { METRIC_NAMESPACE, stackNameFrom } from '../../core/telemetry/metric-names';
import { redactFields, scrubSecrets } from '../../core/telemetry/redact';
import { requestLogFields, requestLogLevel } from '../../core/telemetry/request-log-fields';
import type { RequestSummary } from '../../core/telemetry/request-summary';
import type { LogFn, Telemetry } from '../../ports/telemetry';
import { stdoutSink, type LogLevelName, type TelemetrySink } from './sinks';

export interface PowertoolsTelemetryOptions {
  env?: NodeJS.ProcessEnv;
  sink?: TelemetrySink;
  /** Default: POWERTOOLS_SERVICE_NAME, else `switchyard-router`. */
  serviceName?: string;
}

export interface PowertoolsTelemetry {
  telemetry: Telemetry;
  /** The router's `deps.log`, redacting secrets (and prompts unless SWITCHYARD_LOG_PROMPTS=true). */
  log: LogFn;
  logger: Logger;
}

const UNITS: Record<MetricUnitName, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
  None: MetricUnit.NoUnit,
};

function levelName(threshold: number): LogLevelName {
  if (threshold >= LogLevelThreshold.ERROR) return 'error';
  if (threshold >= LogLevelThreshold.WARN) return 'warn';
  if (threshold >= LogLevelThreshold.INFO) return 'info';
  return 'debug';
}

/** The Powertools Logger with its output sent to a sink (printLog is its documented override point). */
class SinkLogger extends Logger {
  // Assigned after super(): anything printed while the base constructor runs goes to stdout.
  sink?: TelemetrySink;

  protected override printLog(logLevel: number, log: LogItem): void {
    if (!this.sink) {
      super.printLog(logLevel, log);
      return;
    }
    log.prepareForPrint();
    this.sink.log(levelName(logLevel), JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }
}

const RESERVED = new Set(['level', 'message', 'sampling_rate', 'service', 'timestamp']);

/** Powertools drops (and warns about) fields named like its own keys; keep them under another name. */
function unreserve(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[RESERVED.has(k) ? `${k}_` : k] = v;
  return out;
}

/**
 * One document through Powertools. Powertools takes a dimension name in one `addDimensions` set
 * only (it warns and merges otherwise), and every set here repeats Stack and most repeat
 * FunctionVersion. So all of the document's dimension values go in as default dimensions (one
 * set holding every name, values at the top level as EMF wants them) and the serialised document's
 * dimension sets are then replaced by exactly the declared ones.
 */
export function serializeDocument(metrics: Metrics, doc: MetricDocument): string {
  try {
    metrics.clearDefaultDimensions();
    if (Object.keys(doc.dimensions).length) metrics.setDefaultDimensions({ ...doc.dimensions });
    for (const m of doc.metrics) metrics.addMetric(m.name, UNITS[m.unit], m.value);
    for (const [k, v] of Object.entries(doc.metadata ?? {})) metrics.addMetadata(k, v);
    const emf = metrics.serializeMetrics() as unknown as {
      _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][] }> };
    };
    for (const directive of emf._aws.CloudWatchMetrics) directive.Dimensions = doc.dimensionSets.map((set) => [...set]);
    return JSON.stringify(emf);
  } finally {
    metrics.clearMetrics();
    metrics.clearDimensions();
    metrics.clearMetadata();
    metrics.clearDefaultDimensions();
  }
}

export function createPowertoolsTelemetry(opts: PowertoolsTelemetryOptions = {}): PowertoolsTelemetry {
  const env = opts.env ?? process.env;
  const sink = opts.sink ?? stdoutSink;
  const allowPrompts = env.SWITCHYARD_LOG_PROMPTS === 'true';
  const serviceName = opts.serviceName ?? env.POWERTOOLS_SERVICE_NAME ?? 'switchyard-router';

  const logger = new SinkLogger({ serviceName });
  logger.sink = sink;

  const log: LogFn = (level, msg, fields) => {
    try {
      logger[level](scrubSecrets(msg), unreserve(redactFields(fields, { allowPrompts })));
    } catch {
      // Logging must never break a request.
    }
  };

  const metrics = new Metrics({
    namespace: METRIC_NAMESPACE,
    serviceName,
    // Powertools' own warnings (an invalid dimension value) become ordinary log lines.
    logger: {
      trace: () => undefined,
      debug: () => undefined,
      info: (...a: unknown[]) => log('info', String(a[0])),
      warn: (...a: unknown[]) => log('warn', `metrics: ${String(a[0])}`),
      error: (...a: unknown[]) => log('error', `metrics: ${String(a[0])}`),
    },
  });
  metrics.clearDefaultDimensions();
  const stack = stackNameFrom(env);

  const telemetry: Telemetry = {
    requestDone(summary: RequestSummary) {
      try {
        for (const doc of metricDocuments(summary, stack)) sink.metrics(serializeDocument(metrics, doc));
      } catch (err) {
        log('warn', 'request metrics could not be written', { requestId: summary.requestId, error: err });
      }
      log(requestLogLevel(summary), 'request', requestLogFields(summary));
    },
  };
  return { telemetry, log, logger };
}
