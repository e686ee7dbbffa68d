/**
 * Virtual API keys. Only a SHA-256 of a key is ever stored: keys are 256-bit random strings, so a
 * fast hash is enough (no dictionary to attack) and lookups stay a single GetItem.
 */
import { createHash, randomBytes } from 'node:crypto';

export const KEY_PREFIX = 'sk-sy-';

export interface KeyRecord {
  keyId: string;
  name: string;
  status: 'active' | 'revoked';
  admin: boolean;
  createdAt: string;
  lastUsedAt?: string;
  /** Models and routes this key may call; empty or absent = all. */
  allowedModels?: string[];
  defaultBudgetFactor?: number;
  dailyBudgetUsd?: number;
  rpm?: number;
  tpm?: number;
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
  const bearer = auth?.match(/^\s*Bearer\s+(\S+)\s*$/i)?.[1];
  return bearer ?? (xApiKey?.trim() || undefined);
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
export type KeyLimits = Pick<KeyRecord, 'allowedModels' | 'defaultBudgetFactor' | 'dailyBudgetUsd' | 'rpm' | 'tpm'>;

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
  const budget = fields.dailyBudgetUsd;
  if (budget !== undefined && !(Number.isFinite(budget) && budget >= 0))
    problems.push('dailyBudgetUsd: must be a number >= 0');
  const factor = fields.defaultBudgetFactor;
  if (factor !== undefined && !(Number.isFinite(factor) && factor >= 0 && factor <= 1))
    problems.push('defaultBudgetFactor: must be between 0 and 1');
  if (fields.allowedModels?.some((m) => !m.trim())) problems.push('allowedModels: names must not be empty');
  return problems;
}

/** Cheap shape check before any I/O: rejects garbage without a DynamoDB read. */
export function looksLikeApiKey(key: string): boolean {
  return key.length >= 20 && key.length <= 200 && /^[\x21-\x7e]+$/.test(key);
}
