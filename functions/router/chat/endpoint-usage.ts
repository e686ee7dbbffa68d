/**
 * A request's upstream calls as per-endpoint usage rows (`endpoint#<id>` in /v1/stats: calls and
 * success rate per day) and as recent-window calls (the failure rate and mean call time over the
 * breaker window). Every attempt that reached an endpoint counts once; skipped candidates reached
 * none. The day rows count only calls and successes: every counter is another attribute in each
 * instance's usage item, and tokens, cost and latency percentiles are on the model rows.
 */
import type { AttemptSummary } from '../../core/telemetry/request-summary';
import type { EndpointCall, UsageRecord } from '../../ports/shared-quota';
import { COUNTS_FOR_BREAKER } from './executor/call-with-retries';

/** A failure the breaker counts: 429, 5xx, timeouts, connection and stream failures (not other 4xx). */
export function isEndpointFault(outcome: AttemptSummary['outcome']): boolean {
  if (typeof outcome === 'number') return outcome === 429 || outcome === 408 || outcome >= 500;
  return COUNTS_FOR_BREAKER.has(outcome);
}

/** The call that answered: its whole time (to the end of a stream) and how it ended. */
export interface AnsweredCall {
  endpoint: string;
  ms: number;
  ok: boolean;
  fault: boolean;
}

export function endpointUsage(
  attempts: readonly AttemptSummary[],
  answered?: AnsweredCall,
): { records: UsageRecord[]; calls: EndpointCall[] } {
  const records: UsageRecord[] = [];
  const calls: EndpointCall[] = [];
  const reached = attempts.filter((a) => a.endpoint !== '-');
  reached.forEach((a, i) => {
    // The answering call is the last attempt (the walk stops at the first answer).
    const call =
      answered && i === reached.length - 1 && a.endpoint === answered.endpoint
        ? answered
        : { endpoint: a.endpoint, ms: a.ms, ok: false, fault: isEndpointFault(a.outcome) };
    records.push({
      dims: [`endpoint#${call.endpoint}`],
      ok: call.ok,
      promptTokens: 0,
      completionTokens: 0,
      costMicros: 0,
      latencyMs: call.ms,
      countsOnly: true,
    });
    calls.push({ endpoint: call.endpoint, fault: call.fault, ms: call.ms });
  });
  return { records, calls };
}
