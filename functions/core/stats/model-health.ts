/**
 * Each model's health for GET /health/deep, in the terms of the seed's `get_model_health`: is it
 * available, what state are its endpoints' breakers in, its failure rate over the breaker window,
 * and today's latency (average, p50, p95, p99) with the SLO verdict. Pure.
 */
import { meanMs, quantileMs } from '../latency-histogram';
import type { ModelSlo } from '../slo/objectives';
import { sloVerdict, type SloVerdict } from '../slo/verdict';
import type { LiveEndpoint } from './endpoint-health';
import type { UsageRow } from './stats-report';

export interface ModelHealth {
  id: string;
  /** The pool's health-check status (down: every endpoint down). */
  status: string;
  breakers: { closed: number; open: number; halfOpen: number };
  /** Summed over the model's endpoints; null when the counters could not be read. */
  window: { calls: number; failures: number; failureRate: number | null } | null;
  /** Today's requests answered (or last failed) by the model; null when the counters could not be read. */
  today: {
    requests: number;
    successRate: number | null;
    avgMs: number | null;
    p50Ms: number | null;
    p95Ms: number | null;
    p99Ms: number | null;
    slo: SloVerdict | null;
  } | null;
}

const rate = (a: number, b: number) => Math.round((a / b) * 10_000) / 10_000;

export function modelHealth(
  models: ReadonlyArray<{ id: string; status: string; slo?: ModelSlo }>,
  endpoints: readonly LiveEndpoint[],
  usage: readonly UsageRow[] | undefined,
): ModelHealth[] {
  const rows = new Map((usage ?? []).map((u) => [u.scope, u]));
  return models.map((m) => {
    const own = endpoints.filter((e) => e.model === m.id);
    const windows = own.map((e) => e.window);
    const known = windows.every((w) => w !== null);
    const calls = own.reduce((s, e) => s + (e.window?.calls ?? 0), 0);
    const failures = own.reduce((s, e) => s + (e.window?.failures ?? 0), 0);
    const row = rows.get(`model#${m.id}`);
    return {
      id: m.id,
      status: m.status,
      breakers: {
        closed: own.filter((e) => e.breaker.state === 'closed').length,
        open: own.filter((e) => e.breaker.state === 'open').length,
        halfOpen: own.filter((e) => e.breaker.state === 'half_open').length,
      },
      window: known ? { calls, failures, failureRate: calls > 0 ? rate(failures, calls) : null } : null,
      today: usage
        ? {
            requests: row?.requests ?? 0,
            successRate: row && row.requests > 0 ? rate(row.successes, row.requests) : null,
            avgMs: row ? meanMs(row.latency) : null,
            p50Ms: row ? quantileMs(row.latency, 0.5) : null,
            p95Ms: row ? quantileMs(row.latency, 0.95) : null,
            p99Ms: row ? quantileMs(row.latency, 0.99) : null,
            slo: m.slo ? sloVerdict(m.slo, row ?? { latency: {} }) : null,
          }
        : null,
    };
  });
}
