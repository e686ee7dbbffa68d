/**
 * A local stand-in for the CloudWatch metrics the cutover alarms read. Each router version gets a
 * Telemetry that turns every RequestSummary into the EMF documents the deployed router emits
 * (core/telemetry/metric-documents.ts) and stores each value under each of its dimension sets, as
 * CloudWatch does; Lambda `Errors` come from the version's invocations that threw.
 */
import { metricDocuments } from '../../functions/core/telemetry/metric-documents';
import { LOCAL_STACK, METRIC_NAMESPACE } from '../../functions/core/telemetry/metric-names';
import type { MetricSample } from './evaluate';
import type { Telemetry } from '../../functions/router/deps';

export const LOCAL_FUNCTION_NAME = 'switchyard-router';
export const ALIAS_NAME = 'live';

export class VersionMetrics {
  private readonly data: MetricSample[] = [];

  constructor(
    private readonly now: () => number = Date.now,
    private readonly stack: string = LOCAL_STACK,
  ) {}

  /** Pass as the `telemetry` dep of a version's router instance. */
  telemetry(): Telemetry {
    return {
      requestDone: (summary) => {
        const at = this.now();
        for (const doc of metricDocuments(summary, this.stack)) {
          for (const names of doc.dimensionSets) {
            // EMF: each dimension set (names) takes its values from the document.
            const dimensions = Object.fromEntries(names.map((n) => [n, doc.dimensions[n]]));
            for (const m of doc.metrics)
              this.data.push({ at, namespace: METRIC_NAMESPACE, metricName: m.name, dimensions, value: m.value });
          }
        }
      },
    };
  }

  /** An invocation of `version` through the alias: Lambda's `Invocations`. */
  invocation(version: string): void {
    this.lambdaMetric('Invocations', version);
  }

  /** An invocation of `version` through the alias threw: Lambda counts it in `Errors`. */
  functionError(version: string): void {
    this.lambdaMetric('Errors', version);
  }

  /** Lambda publishes alias metrics twice: per alias, and per alias and executed version. */
  private lambdaMetric(metricName: string, version: string): void {
    const alias = { FunctionName: LOCAL_FUNCTION_NAME, Resource: `${LOCAL_FUNCTION_NAME}:${ALIAS_NAME}` };
    const at = this.now();
    for (const dimensions of [alias, { ...alias, ExecutedVersion: version }])
      this.data.push({ at, namespace: 'AWS/Lambda', metricName, dimensions, value: 1 });
  }

  samples(): readonly MetricSample[] {
    return this.data;
  }
}
