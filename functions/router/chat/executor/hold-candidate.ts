/**
 * Holding a candidate: its worst-case cost reserved in every budget scope and, for a capped model,
 * a concurrency slot, in one admission against the shared quota. No DynamoDB round trip while this
 * instance's slices and slots cover the request.
 */
import type { CompiledModel } from '../../../core/config/compile';
import { budgetScopes } from '../../../core/budget/scopes';
import type { QuotaScope } from '../../../core/quota/scope';
import type { QuotaHold } from '../../../ports/shared-quota';
import { isPreTrafficInvocation } from '../../pre-traffic-marker';
import type { ExecInput } from './types';

export type CandidateHold =
  | { ok: true; hold: QuotaHold }
  | { ok: false; budget: QuotaScope }
  | { ok: false; full: true }
  | { ok: false; unavailable: string };

export async function holdCandidate(
  input: ExecInput,
  model: CompiledModel,
  worstMicros: number,
): Promise<CandidateHold> {
  const { deps, ctx } = input;
  const now = deps.now();
  // The pre-traffic check skips budgets and caps (it is not a client, and must be able to test a
  // fix while they are exhausted); its one-token calls are still recorded as usage.
  const bypass = isPreTrafficInvocation(ctx);
  const needs = bypass
    ? []
    : budgetScopes(deps.config.settings, ctx.key, model, ctx.startedAt).map((scope) => ({
        scope,
        amount: worstMicros,
      }));
  const slot =
    !bypass && model.maxConcurrency !== undefined ? { model: model.id, cap: model.maxConcurrency } : undefined;
  const a = await deps.quota.admit(needs, slot, now, ctx.key?.keyId);
  if (a.ok) return { ok: true, hold: a.hold };
  if (a.reason === 'refused') return { ok: false, budget: a.scope };
  if (a.reason === 'full') return { ok: false, full: true };
  return { ok: false, unavailable: a.what };
}
