/** The executor's vocabulary: what a walk over the candidates takes, holds and returns. */
import type { CompiledEndpoint, CompiledModel } from '../../../core/config/compile';
import type { GatewayError } from '../../../core/openai/errors';
import type { Plan, PlanRequest } from '../../../core/routing/plan';
import type { AttemptSummary } from '../../../core/telemetry/request-summary';
import type { QuotaHold } from '../../../ports/shared-quota';
import type { RouterDeps } from '../../deps';
import type { RequestContext } from '../../request-context';
import type { AttemptFailure } from '../../upstream-attempt';

/** One way of calling an endpoint (JSON or stream); resolves once the answer can be committed to. */
export type OpenCall<T> = (
  endpoint: CompiledEndpoint,
  signal: AbortSignal,
  headersTimeoutMs: number,
) => Promise<{ ok: true; value: T; upstreamMs: number } | AttemptFailure>;

/** What the answering candidate holds until the request settles. */
export interface Held {
  model: CompiledModel;
  endpoint: CompiledEndpoint;
  probe: boolean;
  /** Its budget reservations and concurrency slot. */
  quota: QuotaHold;
  /** When the answering call started (its endpoint's call time runs to the end of the answer). */
  startedAt: number;
}

export type ChainResult<T> =
  | {
      ok: true;
      value: T;
      held: Held;
      attempts: AttemptSummary[];
      upstreamMs: number;
      fallbacks: number;
      breakersOpened: string[];
    }
  | {
      ok: false;
      error: GatewayError;
      attempts: AttemptSummary[];
      upstreamMs: number;
      lastModel: string | null;
      fallbacks: number;
      breakersOpened: string[];
    };

export interface ExecInput {
  ctx: RequestContext;
  deps: RouterDeps;
  plan: Plan;
  planRequest: PlanRequest;
  deadline: number;
  callerRegion?: string;
}

/** Everything a walk learns on the way: the attempts made and why candidates were passed over. */
export interface Walk {
  attempts: AttemptSummary[];
  failures: AttemptFailure[];
  breakersOpened: string[];
  upstreamMs: number;
  skips: {
    down: string[];
    /** Milliseconds until each skipped breaker may be probed. */
    open: number[];
    full: number;
    budget?: import('../../../core/quota/scope').QuotaScope;
    unavailable?: string;
  };
}

export function newWalk(): Walk {
  return { attempts: [], failures: [], breakersOpened: [], upstreamMs: 0, skips: { down: [], open: [], full: 0 } };
}

/**
 * The one definition of "fallbacks": every distinct candidate passed over before the one that
 * answered (skipped or tried), or every candidate but the first when none answered. Once a failing
 * model's breaker opens it is only skipped, and the fallback count is what still shows that its
 * requests are served by something else.
 */
export function fallbacksOf(attempts: AttemptSummary[], answeredBy: string | null): number {
  const models = new Set(attempts.map((a) => a.model));
  if (answeredBy) {
    models.delete(answeredBy);
    return models.size;
  }
  return Math.max(0, models.size - 1);
}
