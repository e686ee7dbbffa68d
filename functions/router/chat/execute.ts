/**
 * Walks the plan's candidates until one answers, in named steps per candidate:
 *   skip checks (health, breakers; memory) -> hold the candidate (budget reservations and a
 *   concurrency slot from this instance's quota slices; a DynamoDB write only when a new slice or
 *   slot is needed) -> call with retries inside the request's one deadline -> on failure give
 *   back what was held and move on. The no-answer error names the most telling reason.
 */
import type { CompiledModel } from '../../core/config/compile';
import { worstCaseMicros } from '../../core/budget/reservation';
import { budgetRefused } from '../../core/budget/quota-errors';
import type { GatewayError } from '../../core/openai/errors';
import { expectedCostScaled } from '../../core/routing/plan';
import { callWithRetries } from './executor/call-with-retries';
import { holdCandidate } from './executor/hold-candidate';
import { noAnswer } from './executor/no-answer';
import { skipUnusable } from './executor/skip-checks';
import { type ChainResult, type ExecInput, fallbacksOf, newWalk, type OpenCall, type Walk } from './executor/types';

export type { ChainResult, ExecInput, Held, OpenCall } from './executor/types';

export async function executeChain<T>(input: ExecInput, open: OpenCall<T>): Promise<ChainResult<T>> {
  const { deps, plan } = input;
  const cfg = deps.config;
  const walk = newWalk();
  let lastModel: string | null = null;
  let candidates = [...plan.candidates];
  const worstCaseOf = (m: CompiledModel) =>
    worstCaseMicros(m, input.planRequest.promptTokens, input.planRequest.maxTokens, input.planRequest.choices);
  const fail = (error: GatewayError): ChainResult<T> => ({
    ok: false,
    error,
    attempts: walk.attempts,
    upstreamMs: walk.upstreamMs,
    lastModel,
    fallbacks: fallbacksOf(walk.attempts, null),
    breakersOpened: walk.breakersOpened,
  });

  for (let i = 0; i < candidates.length; i++) {
    const model = cfg.models.get(candidates[i])!;
    if (deps.now() >= input.deadline) break;
    lastModel = model.id;
    if (skipUnusable(deps, model, walk)) continue;

    const worst = worstCaseOf(model);
    const held = await holdCandidate(input, model, worst);
    if (!held.ok) {
      if ('budget' in held) {
        walk.attempts.push({ model: model.id, endpoint: '-', outcome: 'skipped_budget', ms: 0 });
        walk.skips.budget = held.budget;
        // A concrete model the caller named is refused outright; its configured fallbacks are only
        // skipped (the primary's own failure stays the answer if nothing else can serve).
        if (!plan.route && i === 0) return fail(budgetRefused(held.budget, deps.now()));
        if (plan.route) candidates = cheaperRest(input, candidates, i, worst);
      } else if ('full' in held) {
        walk.attempts.push({ model: model.id, endpoint: '-', outcome: 'skipped_full', ms: 0 });
        walk.skips.full++;
      } else {
        walk.attempts.push({ model: model.id, endpoint: '-', outcome: 'skipped_unavailable', ms: 0 });
        walk.skips.unavailable = held.unavailable;
      }
      continue;
    }

    let result: Awaited<ReturnType<typeof callWithRetries<T>>>;
    try {
      result = await callWithRetries(input, model, open, walk);
    } catch (err) {
      // A bug or an adapter breaking its contract: still give back what this candidate holds.
      deps.quota.release(held.hold, deps.now());
      throw err;
    }
    if (result.ok) {
      return {
        ok: true,
        value: result.value,
        held: { model, endpoint: result.endpoint, probe: result.probe, quota: held.hold, startedAt: result.startedAt },
        attempts: walk.attempts,
        upstreamMs: walk.upstreamMs,
        fallbacks: fallbacksOf(walk.attempts, model.id),
        breakersOpened: walk.breakersOpened,
      };
    }
    deps.quota.release(held.hold, deps.now());
  }
  return fail(noAnswer(deps, plan, walk));
}

/** A cost-aware route out of budget for one candidate: only cheaper candidates can still fit. */
function cheaperRest(input: ExecInput, candidates: string[], i: number, worst: number): string[] {
  const models = input.deps.config.models;
  const cost = (id: string) => expectedCostScaled(models.get(id)!, input.planRequest);
  const rest = candidates
    .slice(i + 1)
    .filter(
      (id) =>
        worstCaseMicros(
          models.get(id)!,
          input.planRequest.promptTokens,
          input.planRequest.maxTokens,
          input.planRequest.choices,
        ) < worst,
    );
  return [...candidates.slice(0, i + 1), ...rest.sort((a, b) => cost(a) - cost(b))];
}

export type { Walk };
