/**
 * Which quota scopes a request is checked against, and how each is spread over partitions: the
 * policy, pure. Budgets: the global budget, the key's (its own limit, else the config's per-key
 * limit, else a share of the global one for non-admin keys), and the model's. Rates: the key's RPM
 * and TPM. Periods: the UTC day, the ISO week and the UTC calendar month (core/budget/periods.ts);
 * each period a scope has a limit for is its own scope, and a request must fit all of them.
 */
import type { SwitchyardConfig } from '../config/schema';
import { dollarsToMicros } from '../config/compile';
import { type QuotaScope, ROLLING, shardCount } from '../quota/scope';
import { PERIOD_KINDS, type PeriodKind, periodId } from './periods';

/** What the policy needs to know of the caller's key. */
export interface KeyQuota {
  keyId: string;
  admin: boolean;
  dailyBudgetUsd?: number;
  weeklyBudgetUsd?: number;
  monthlyBudgetUsd?: number;
  rpm?: number;
  tpm?: number;
  maxConcurrency?: number;
}

/** Smallest share a shard may have, per kind: a tiny limit lives on one partition. */
const MIN_SHARD_SHARE = { budget: 1_000_000, rpm: 50, tpm: 50_000 } as const;

export const dayPeriod = (now: number) => periodId('day', now);

/** Where each period's limits live: the key record's, the model's and the config's field names. */
const FIELDS = {
  day: { own: 'dailyBudgetUsd', perKey: 'perKeyDailyUsd', global: 'globalDailyUsd' },
  week: { own: 'weeklyBudgetUsd', perKey: 'perKeyWeeklyUsd', global: 'globalWeeklyUsd' },
  month: { own: 'monthlyBudgetUsd', perKey: 'perKeyMonthlyUsd', global: 'globalMonthlyUsd' },
} as const;

/** A model's own limits per period (the config's `dailyBudgetUsd`, `weeklyBudgetUsd`, `monthlyBudgetUsd`). */
export type ModelBudgets = { id: string } & Partial<Record<(typeof FIELDS)[PeriodKind]['own'], number>>;

/** The gateway-wide limit of a period in dollars (the daily one always exists; the others when set). */
export function globalUsd(cfg: SwitchyardConfig, kind: PeriodKind): number | undefined {
  return cfg.budgets[FIELDS[kind].global];
}

/** A model's own limit for a period in dollars. */
export function modelPeriodUsd(model: ModelBudgets, kind: PeriodKind): number | undefined {
  return model[FIELDS[kind].own];
}

/** The limits the config sets for a period, by ledger scope (`global`, `model#<id>`), in micro-dollars. */
export function configuredPeriodLimits(cfg: SwitchyardConfig, kind: PeriodKind): Record<string, number> {
  const limits: Record<string, number> = {};
  const global = globalUsd(cfg, kind);
  if (global !== undefined) limits.global = dollarsToMicros(global);
  for (const m of cfg.models) {
    const usd = modelPeriodUsd(m, kind);
    if (usd !== undefined) limits[`model#${m.id}`] = dollarsToMicros(usd);
  }
  return limits;
}

/** Whether the config limits any scope for this kind of period (a global, per-key or model limit). */
export function periodInConfig(cfg: SwitchyardConfig, kind: PeriodKind): boolean {
  return (
    globalUsd(cfg, kind) !== undefined ||
    cfg.budgets[FIELDS[kind].perKey] !== undefined ||
    cfg.models.some((m) => modelPeriodUsd(m, kind) !== undefined)
  );
}

/**
 * The key's own limit for a period in dollars, else the config's per-key limit, else (non-admin
 * keys, when the global budget has that period) a share of the global one.
 */
export function keyPeriodUsd(cfg: SwitchyardConfig, key: KeyQuota, kind: PeriodKind): number | undefined {
  const f = FIELDS[kind];
  const own = key[f.own];
  if (own !== undefined) return own;
  const perKey = cfg.budgets[f.perKey];
  if (perKey !== undefined) return perKey;
  const global = globalUsd(cfg, kind);
  return key.admin || global === undefined ? undefined : global * cfg.budgets.defaultKeyShare;
}

/** The key's own daily limit in dollars, or the default the config gives keys without one. */
export function keyDailyUsd(cfg: SwitchyardConfig, key: KeyQuota): number | undefined {
  return keyPeriodUsd(cfg, key, 'day');
}

function scope(kind: QuotaScope['kind'], id: string, period: string, limit: number, wantShards: number): QuotaScope {
  return { kind, id, period, limit, shards: shardCount(limit, wantShards, MIN_SHARD_SHARE[kind]) };
}

/**
 * Every budget scope a request on `model` must fit, one per scope and period with a limit: monthly
 * ones first, then weekly, then daily (global, key, model within each), so that when several refuse
 * the refusal names the one that resets last. The period is taken at `now` (the request's start):
 * a request belongs to one period of each kind, whenever it settles.
 */
export function budgetScopes(
  cfg: SwitchyardConfig,
  key: KeyQuota | undefined,
  model: ModelBudgets,
  now: number,
): QuotaScope[] {
  const n = cfg.sharedState.scopeShards;
  const scopes: QuotaScope[] = [];
  for (const kind of PERIOD_KINDS) {
    const period = periodId(kind, now);
    const global = globalUsd(cfg, kind);
    if (global !== undefined)
      scopes.push(scope('budget', 'global', period, dollarsToMicros(global), cfg.budgets.globalShards));
    const keyUsd = key ? keyPeriodUsd(cfg, key, kind) : undefined;
    if (key && keyUsd !== undefined)
      scopes.push(scope('budget', `key#${key.keyId}`, period, dollarsToMicros(keyUsd), n));
    const modelUsd = modelPeriodUsd(model, kind);
    if (modelUsd !== undefined) scopes.push(scope('budget', `model#${model.id}`, period, dollarsToMicros(modelUsd), n));
  }
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
