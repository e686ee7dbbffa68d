/**
 * Virtual API keys. Only a SHA-256 of a key is ever stored: keys are 256-bit random strings, so a
 * fast hash is enough (no dictionary to attack) and lookups stay a single GetItem.
 */
import { createHash, randomBytes } from 'node:crypto';
import { MAX_CACHE_TTL_SECONDS } from './cache/limits';
import { allowListEntryProblem, MAX_ALLOW_LIST_ENTRIES } from './routing/allow-list';

export const KEY_PREFIX = 'sk-sy-';

export interface KeyRecord {
  keyId: string;
  name: string;
  status: 'active' | 'revoked';
  admin: boolean;
  createdAt: string;
  lastUsedAt?: string;
  /** Models, routes and aliases this key may call, or `prefix*` patterns; empty or absent = all. */
  allowedModels?: string[];
  defaultBudgetFactor?: number;
  dailyBudgetUsd?: number;
  /** Per ISO week (Monday 00:00 UTC) and per calendar month (UTC), beside the daily limit. */
  weeklyBudgetUsd?: number;
  monthlyBudgetUsd?: number;
  rpm?: number;
  tpm?: number;
  /** Requests this key may have in flight at once (enforced by the router). */
  maxConcurrency?: number;
  /** Response cache: > 0 opts the key's requests in with this TTL (seconds); 0 never caches them. */
  cacheTtlSeconds?: number;
  /**
   * ISO time from which the key is refused (`--expires-in`). Not the table's TTL attribute
   * (`expiresAt`): DynamoDB deletes expired items only eventually, so correctness never rests on it.
   */
  validUntil?: string;
  /**
   * Set on the item of a rotated-out secret: it keeps working until this ISO time, then is refused.
   * The new secret's item carries the same keyId.
   */
  graceUntil?: string;
  /** When the key's secret was last rotated (on the current item). */
  rotatedAt?: string;
}

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Public, loggable identifier derived from the hash (never from the key itself). */
export function keyIdFromHash(hash: string): string {
  return `key_${hash.slice(0, 16)}`;
}

/** Headers a client key may arrive in. */
export type KeyHeader = 'authorization' | 'x-api-key';

/**
 * Pulls the key from `Authorization: Bearer ...` or `x-api-key`, looking only at the headers in
 * `from`: behind API Gateway's authorizer cache the decision must depend on nothing but the cached
 * identity sources, or a cached Allow could be replayed with another header. Header names are
 * matched case-insensitively because API Gateway passes them as the client sent them.
 */
export function extractApiKey(
  headers: Record<string, string | undefined> | null | undefined,
  from: readonly KeyHeader[] = ['authorization', 'x-api-key'],
): string | undefined {
  if (!headers) return undefined;
  let auth: string | undefined;
  let xApiKey: string | undefined;
  for (const [k, v] of Object.entries(headers)) {
    const lower = k.toLowerCase();
    if (lower === 'authorization' && from.includes('authorization')) auth = v;
    else if (lower === 'x-api-key' && from.includes('x-api-key')) xApiKey = v;
  }
  // Strict: exactly `Bearer <key>` and a bare x-api-key. A padded value is a different API Gateway
  // cache key for the same secret, so padding would let a client mint cache entries at will.
  const bearer = auth?.match(/^Bearer ([\x21-\x7e]+)$/i)?.[1];
  const bare = xApiKey !== undefined && /^[\x21-\x7e]+$/.test(xApiKey) ? xApiKey : undefined;
  return bearer ?? bare;
}

/**
 * Whether a key header arrives more than once (repeated, or under two spellings of its name). API
 * Gateway's single-value `headers` keeps one of them while its cache key and the authorizer could
 * read another, so a request that repeats one is refused outright.
 */
export function hasRepeatedKeyHeader(
  headers: Record<string, string | undefined> | null | undefined,
  multiValueHeaders: Record<string, readonly string[] | undefined> | null | undefined,
  from: readonly KeyHeader[] = ['authorization', 'x-api-key'],
): boolean {
  const counts = new Map<string, number>();
  const names = new Map<string, number>();
  for (const k of Object.keys(headers ?? {})) {
    const lower = k.toLowerCase();
    if (from.includes(lower as KeyHeader)) names.set(lower, (names.get(lower) ?? 0) + 1);
  }
  for (const [k, vs] of Object.entries(multiValueHeaders ?? {})) {
    const lower = k.toLowerCase();
    if (from.includes(lower as KeyHeader)) counts.set(lower, (counts.get(lower) ?? 0) + (vs?.length ?? 0));
  }
  return [...names.values(), ...counts.values()].some((n) => n > 1);
}

/** Why a stored key must be refused at `nowMs`, or undefined when it may be used. */
export type KeyRefusal = 'revoked' | 'expired' | 'rotated_out';

export function keyRefusal(record: KeyRecord, nowMs: number): KeyRefusal | undefined {
  if (record.status !== 'active') return 'revoked';
  if (record.validUntil !== undefined && !(nowMs < Date.parse(record.validUntil))) return 'expired';
  if (record.graceUntil !== undefined && !(nowMs < Date.parse(record.graceUntil))) return 'rotated_out';
  return undefined;
}

const DURATION_UNITS_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Upper bound for a duration: ten years is "forever" for a key. */
const MAX_DURATION_MS = 3650 * DURATION_UNITS_MS.d;

/** `30d`, `24h`, `15m`, `90s` -> milliseconds; undefined when malformed (or over ten years). */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,7})([smhd])$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * DURATION_UNITS_MS[m[2] as keyof typeof DURATION_UNITS_MS];
  return ms <= MAX_DURATION_MS ? ms : undefined;
}

/**
 * The authorizer writes `lastUsedAt` at most this often per key: it only runs when API Gateway's
 * cache misses, and the write is conditional on the stored value being this old, so a busy key
 * costs one small write a minute however many authorizer instances see it.
 */
export const LAST_USED_INTERVAL_MS = 60_000;

/** The ISO time before which a stored `lastUsedAt` is stale enough to rewrite. */
export function lastUsedCutoff(nowMs: number, intervalMs = LAST_USED_INTERVAL_MS): string {
  return new Date(nowMs - intervalMs).toISOString();
}

export function lastUsedIsStale(
  lastUsedAt: string | undefined,
  nowMs: number,
  intervalMs = LAST_USED_INTERVAL_MS,
): boolean {
  return lastUsedAt === undefined || lastUsedAt < lastUsedCutoff(nowMs, intervalMs);
}

/** The fields an operator sets on a key (the CLI's flags). */
export type KeyLimits = Pick<
  KeyRecord,
  | 'allowedModels'
  | 'defaultBudgetFactor'
  | 'dailyBudgetUsd'
  | 'weeklyBudgetUsd'
  | 'monthlyBudgetUsd'
  | 'rpm'
  | 'tpm'
  | 'maxConcurrency'
  | 'validUntil'
  | 'cacheTtlSeconds'
>;

/** The fields `keys update` may change; `null` clears a limit (back to "none"). */
export type KeyUpdate = { [K in keyof KeyLimits]?: KeyLimits[K] | null };

export const KEY_LIMIT_FIELDS: readonly (keyof KeyLimits)[] = [
  'allowedModels',
  'defaultBudgetFactor',
  'dailyBudgetUsd',
  'weeklyBudgetUsd',
  'monthlyBudgetUsd',
  'rpm',
  'tpm',
  'maxConcurrency',
  'validUntil',
  'cacheTtlSeconds',
];

/** Problems with an update, each naming the field; empty when valid (a name is not part of it). */
export function keyUpdateProblems(update: KeyUpdate): string[] {
  const set = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== null && v !== undefined));
  const problems = keyFieldProblems({ name: 'unchanged', ...set });
  if (!Object.keys(update).some((k) => update[k as keyof KeyUpdate] !== undefined))
    problems.push('body: nothing to update; give at least one limit');
  return problems;
}

/** Problems with a key's name and limits, each naming the field; empty when valid. */
export function keyFieldProblems(fields: { name?: string } & KeyLimits): string[] {
  const problems: string[] = [];
  const name = fields.name ?? '';
  if (!name.trim() || name.length > 100) problems.push('name: must be 1..100 characters');
  const positiveInt = (field: 'rpm' | 'tpm') => {
    const v = fields[field];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) problems.push(`${field}: must be a whole number >= 1`);
  };
  positiveInt('rpm');
  positiveInt('tpm');
  const conc = fields.maxConcurrency;
  if (conc !== undefined && (!Number.isInteger(conc) || conc < 1 || conc > 10_000))
    problems.push('maxConcurrency: must be a whole number between 1 and 10000');
  const cacheTtl = fields.cacheTtlSeconds;
  if (cacheTtl !== undefined && (!Number.isInteger(cacheTtl) || cacheTtl < 0 || cacheTtl > MAX_CACHE_TTL_SECONDS))
    problems.push(`cacheTtlSeconds: must be a whole number between 0 and ${MAX_CACHE_TTL_SECONDS}`);
  if (fields.validUntil !== undefined && !Number.isFinite(Date.parse(fields.validUntil)))
    problems.push('validUntil: must be an ISO date-time');
  for (const field of ['dailyBudgetUsd', 'weeklyBudgetUsd', 'monthlyBudgetUsd'] as const) {
    const budget = fields[field];
    if (budget !== undefined && !(Number.isFinite(budget) && budget >= 0))
      problems.push(`${field}: must be a number >= 0`);
  }
  const factor = fields.defaultBudgetFactor;
  if (factor !== undefined && !(Number.isFinite(factor) && factor >= 0 && factor <= 1))
    problems.push('defaultBudgetFactor: must be between 0 and 1');
  // The first bad entry only: a list of a hundred mistakes is one message, not a hundred.
  if ((fields.allowedModels?.length ?? 0) > MAX_ALLOW_LIST_ENTRIES)
    problems.push(`allowedModels: at most ${MAX_ALLOW_LIST_ENTRIES} entries`);
  const entryProblem = fields.allowedModels?.map(allowListEntryProblem).find((p) => p !== undefined);
  if (entryProblem) problems.push(`allowedModels: ${entryProblem}`);
  return problems;
}

/** Cheap shape check before any I/O: rejects garbage without a DynamoDB read. */
export function looksLikeApiKey(key: string): boolean {
  return key.length >= 20 && key.length <= 200 && /^[\x21-\x7e]+$/.test(key);
}
