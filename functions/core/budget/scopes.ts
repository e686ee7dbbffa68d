/**
 * Which quota scopes a request is checked against, and how each is spread over partitions: the
 * policy, pure. Budgets: the global budget, the key's (its own limit, else the config's per-key
 * limit, else a share of the global one for non-admin keys), and the model's. Rates: the key's RPM
 * and TPM. Periods: the UTC day for daily budgets.
 */
import type { SwitchyardConfig } from '../config/schema';
import { dollarsToMicros } from '../config/compile';
import { type QuotaScope, ROLLING, shardCount } from '../quota/scope';
import { utcDay } from '../time';

/** What the policy needs to know of the caller's key. */
export interface KeyQuota {
  keyId: string;
  admin: boolean;
  dailyBudgetUsd?: number;
  rpm?: number;
  tpm?: number;
  maxConcurrency?: number;
}

/** Smallest share a shard may have, per kind: a tiny limit lives on one partition. */
const MIN_SHARD_SHARE = { budget: 1_000_000, rpm: 50, tpm: 50_000 } as const;

export const dayPeriod = (now: number) => `d${utcDay(now)}`;

/** The key's own daily limit in dollars, or the default the config gives keys without one. */
export function keyDailyUsd(cfg: SwitchyardConfig, key: KeyQuota): number | undefined {
  if (key.dailyBudgetUsd !== undefined) return key.dailyBudgetUsd;
  if (cfg.budgets.perKeyDailyUsd !== undefined) return cfg.budgets.perKeyDailyUsd;
  return key.admin ? undefined : cfg.budgets.globalDailyUsd * cfg.budgets.defaultKeyShare;
}

function scope(kind: QuotaScope['kind'], id: string, period: string, limit: number, wantShards: number): QuotaScope {
  return { kind, id, period, limit, shards: shardCount(limit, wantShards, MIN_SHARD_SHARE[kind]) };
}

export function budgetScopes(
  cfg: SwitchyardConfig,
  key: KeyQuota | undefined,
  model: { id: string; dailyBudgetUsd?: number },
  now: number,
): QuotaScope[] {
  const day = dayPeriod(now);
  const n = cfg.sharedState.scopeShards;
  const scopes = [
    scope('budget', 'global', day, dollarsToMicros(cfg.budgets.globalDailyUsd), cfg.budgets.globalShards),
  ];
  const keyUsd = key ? keyDailyUsd(cfg, key) : undefined;
  if (key && keyUsd !== undefined) scopes.push(scope('budget', `key#${key.keyId}`, day, dollarsToMicros(keyUsd), n));
  if (model.dailyBudgetUsd !== undefined)
    scopes.push(scope('budget', `model#${model.id}`, day, dollarsToMicros(model.dailyBudgetUsd), n));
  return scopes;
}

/** The key's request and token rates, as quota scopes (none when the key has no limits). */
export function rateScopes(cfg: SwitchyardConfig, key: KeyQuota | undefined): { rpm?: QuotaScope; tpm?: QuotaScope } {
  if (!key) return {};
  const n = cfg.sharedState.scopeShards;
  return {
    ...(key.rpm !== undefined ? { rpm: scope('rpm', `key#${key.keyId}`, ROLLING, key.rpm, n) } : {}),
    ...(key.tpm !== undefined ? { tpm: scope('tpm', `key#${key.keyId}`, ROLLING, key.tpm, n) } : {}),
  };
}

/** The key's cap on calls in flight: its own, else the config's default for keys. */
export function keyConcurrency(cfg: SwitchyardConfig, key: KeyQuota | undefined): number | undefined {
  return key ? (key.maxConcurrency ?? cfg.keys.defaultMaxConcurrency) : undefined;
}
