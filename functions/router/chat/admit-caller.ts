/**
 * The caller's own quotas, once per request before any candidate: one request against the key's
 * RPM, its estimated tokens (prompt + the output it may ask for) against its TPM, and a slot of the
 * key's concurrency cap. Settled after the call with the real token count. Served from this
 * instance's slices with no I/O while they last.
 */
import { keyConcurrencyFull, quotaUnavailable, rateRefused } from '../../core/budget/quota-errors';
import { keyConcurrency, rateScopes } from '../../core/budget/scopes';
import type { QuotaHold, QuotaNeed } from '../../ports/shared-quota';
import type { RouterDeps } from '../deps';
import { isPreTrafficInvocation } from '../pre-traffic-marker';
import type { RequestContext } from '../request-context';

export interface CallerAdmission {
  hold?: QuotaHold;
  headers: Record<string, string>;
  /** Real use per need of the hold, given the tokens the request used. */
  actual(tokens: number): number[];
}

/**
 * `candidateFollows`: the request admits a candidate (its budgets) before any upstream call, so the
 * slices taken here may be made durable with that admission's write (the chat path; embeddings call
 * upstream right after this one).
 */
export async function admitCaller(
  ctx: RequestContext,
  deps: RouterDeps,
  estimatedTokens: number,
  candidateFollows = false,
): Promise<CallerAdmission> {
  const cfg = deps.config.settings;
  const { rpm, tpm } = rateScopes(cfg, ctx.key);
  const cap = keyConcurrency(cfg, ctx.key);
  const tokens = Math.max(1, Math.ceil(estimatedTokens));
  const needs: QuotaNeed[] = [];
  if (rpm) needs.push({ scope: rpm, amount: 1 });
  if (tpm) {
    if (tokens > tpm.limit) throw rateRefused(tpm, tokens);
    needs.push({ scope: tpm, amount: tokens });
  }
  const headers: Record<string, string> = {};
  if (rpm) headers['x-ratelimit-limit-requests'] = String(rpm.limit);
  if (tpm) headers['x-ratelimit-limit-tokens'] = String(tpm.limit);
  const actual = (used: number) => needs.map((n) => (n.scope.kind === 'tpm' ? used : 1));
  // The pre-traffic check is not a client: it must be able to test a fix while limits are exhausted.
  if (isPreTrafficInvocation(ctx)) return { headers: {}, actual: () => [] };
  if (!ctx.key || (needs.length === 0 && cap === undefined)) return { headers, actual };
  const slot = cap !== undefined ? { model: `key#${ctx.key.keyId}`, cap } : undefined;
  const a = await deps.quota.admit(needs, slot, deps.now(), ctx.key.keyId, {
    anotherAdmissionFirst: candidateFollows,
  });
  if (a.ok) return { hold: a.hold, headers, actual };
  if (a.reason === 'refused') throw rateRefused(a.scope, a.scope.kind === 'tpm' ? tokens : 1);
  if (a.reason === 'full') throw keyConcurrencyFull(cap ?? 0);
  throw quotaUnavailable(a.what);
}
