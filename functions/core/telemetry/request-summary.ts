/**
 * What one request did, assembled by the router and handed to telemetry (logs, EMF metrics) and the
 * usage counters. One shape for every consumer, so the dashboard, /v1/stats and the local log line
 * describe the same facts.
 */
import type { FailureClass } from './failure-class';

export interface AttemptSummary {
  model: string;
  endpoint: string;
  /** HTTP status from the upstream, or a failure class when there was none (timeout, connection). */
  outcome:
    | number
    | FailureClass
    | 'skipped_open'
    | 'skipped_down'
    | 'skipped_full'
    | 'skipped_budget'
    | 'skipped_unavailable';
  ms: number;
}

export interface RequestSummary {
  requestId: string;
  functionVersion: string;
  keyId?: string;
  route: string | null;
  intent: string | null;
  variant: string | null;
  /** The model that answered, or the last one tried when none did. */
  model: string | null;
  endpoint: string | null;
  stream: boolean;
  /** Status the client received. */
  status: number;
  /** OpenAI error code when status >= 400. */
  errorCode?: string;
  attempts: AttemptSummary[];
  /** Candidates passed over before the one that answered. */
  fallbacks: number;
  totalMs: number;
  upstreamMs: number;
  overheadMs: number;
  /** Streams: time from request start to the first content byte sent to the client. */
  ttftMs?: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
  /** True when usage was estimated (stream cut before the upstream's usage chunk). */
  usageEstimated?: boolean;
  /**
   * Settled cost above what was reserved for the call (micro-dollars), when it was: the reservation
   * is meant to cover everything billed, so any overrun is a gap in the estimate, logged and metered.
   */
  overrunMicros?: number;
  /** Breakers this request's failures opened. */
  breakersOpened: string[];
  /** Response cache: answered from it (`hit`), looked up in vain (`miss`), or stored afresh without a lookup (`refresh`). */
  cache?: 'hit' | 'miss' | 'refresh';
}
