/**
 * The router's side of the pre-traffic marker (functions/contracts/pre-traffic.ts has the rule and
 * why a client cannot forge it). `requestContextFrom` sets `ctx.preTraffic` from the event once;
 * everything later asks this function, so there is one place to read when auditing the bypass.
 *
 * What a pre-traffic invocation may skip: budgets, per-model concurrency caps and rate limits (it
 * is not a client, and must be able to check a fix while they are exhausted). What it may not skip:
 * anything that decides whether the version works (routing, the upstream call, the answer's shape).
 */
import type { RequestContext } from './request-context';

export function isPreTrafficInvocation(ctx: Pick<RequestContext, 'preTraffic'>): boolean {
  return ctx.preTraffic === true;
}
