/**
 * The tracing port on Powertools Tracer (AWS X-Ray): one subsegment per upstream attempt under the
 * invocation's segment, and one `switchyard request` subsegment with the request's totals.
 *
 * X-Ray annotations (indexed, searchable) take only [A-Za-z0-9_] keys, so each OpenTelemetry GenAI
 * attribute is an annotation with its dots turned to underscores (`gen_ai_request_model`), and the
 * attributes under their exact OpenTelemetry names are metadata in the `gen_ai` namespace, where
 * an OpenTelemetry exporter (ADOT) or a reader of the raw trace finds them.
 */
import type { Tracer as PowertoolsTracer } from '@aws-lambda-powertools/tracer';
import type { RequestSummary } from '../../core/telemetry/request-summary';
import {
  GEN_AI,
  type AttemptAttributes,
  type AttemptResult,
  type AttemptSpan,
  type Tracing,
} from '../../ports/tracing';

/** What the adapter needs of a segment: the Powertools/X-Ray subsegment API, narrowed for tests. */
export interface SegmentLike {
  addNewSubsegment(name: string): SubsegmentLike;
}
export interface SubsegmentLike {
  addAnnotation(key: string, value: string | number | boolean): void;
  addMetadata(key: string, value: unknown, namespace?: string): void;
  addErrorFlag?(): void;
  close(): void;
}

export interface PowertoolsTracingOptions {
  /** Where subsegments go. Default: Powertools Tracer's current segment (the Lambda facade segment). */
  segment?: () => SegmentLike | undefined;
  serviceName?: string;
}

const annotationKey = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');

function record(sub: SubsegmentLike, attrs: Record<string, string | number | boolean | undefined>): void {
  const defined = Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | number | boolean
  >;
  for (const [k, v] of Object.entries(defined)) sub.addAnnotation(annotationKey(k), v);
  sub.addMetadata('attributes', defined, 'gen_ai');
}

export function createPowertoolsTracing(opts: PowertoolsTracingOptions = {}): Tracing {
  let segment = opts.segment;
  if (!segment) {
    // Loaded here, not at the top: the X-Ray SDK under Powertools Tracer installs an async hook with
    // destroy tracking when it loads (cls-hooked), which makes every promise in the process about
    // ten times dearer (1M awaits: 0.19 s -> 2.1 s). Only a router with tracing on should pay that.
    const { Tracer } = require('@aws-lambda-powertools/tracer') as { Tracer: typeof PowertoolsTracer };
    const tracer = new Tracer({ serviceName: opts.serviceName ?? 'switchyard-router' });
    segment = () => tracer.getSegment() as unknown as SegmentLike | undefined;
  }
  const open = (name: string): SubsegmentLike | undefined => {
    try {
      return segment!()?.addNewSubsegment(name);
    } catch {
      return undefined; // no segment (not on Lambda, tracing off): tracing must never break a request
    }
  };
  return {
    startAttempt(a: AttemptAttributes): AttemptSpan {
      const sub = open(`upstream ${a.model}`);
      if (!sub) return { end: () => undefined };
      record(sub, {
        [GEN_AI.system]: a.system,
        [GEN_AI.operation]: a.operation,
        [GEN_AI.requestModel]: a.model,
        [GEN_AI.maxTokens]: a.maxTokens,
        'switchyard.endpoint': a.endpoint,
        'switchyard.route': a.route ?? 'direct',
        'switchyard.attempt': a.attempt,
        'switchyard.fallback': a.fallback,
      });
      let ended = false;
      return {
        end(r: AttemptResult) {
          if (ended) return;
          ended = true;
          try {
            record(sub, {
              'switchyard.outcome': String(r.outcome),
              [GEN_AI.errorType]: r.ok ? undefined : String(r.outcome),
              [GEN_AI.inputTokens]: r.inputTokens,
              [GEN_AI.outputTokens]: r.outputTokens,
            });
            if (!r.ok) sub.addErrorFlag?.();
          } finally {
            sub.close();
          }
        },
      };
    },
    requestDone(s: RequestSummary) {
      const sub = open('switchyard request');
      if (!sub) return;
      try {
        record(sub, {
          [GEN_AI.operation]: 'chat',
          [GEN_AI.responseModel]: s.model ?? undefined,
          [GEN_AI.inputTokens]: s.promptTokens,
          [GEN_AI.outputTokens]: s.completionTokens,
          'switchyard.route': s.route ?? 'direct',
          'switchyard.fallbacks': s.fallbacks,
          'switchyard.attempts': s.attempts.length,
          'switchyard.status': s.status,
        });
      } finally {
        sub.close();
      }
    },
  };
}
