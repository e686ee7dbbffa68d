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

/**
 * Pulls the key from `Authorization: Bearer ...` or `x-api-key`. Header names are matched
 * case-insensitively because API Gateway passes them as the client sent them.
 */
export function extractApiKey(headers: Record<string, string | undefined> | null | undefined): string | undefined {
  if (!headers) return undefined;
  let auth: string | undefined;
  let xApiKey: string | undefined;
  for (const [k, v] of Object.entries(headers)) {
    const lower = k.toLowerCase();
    if (lower === 'authorization') auth = v;
    else if (lower === 'x-api-key') xApiKey = v;
  }
  const bearer = auth?.match(/^\s*Bearer\s+(\S+)\s*$/i)?.[1];
  return bearer ?? (xApiKey?.trim() || undefined);
}

/** Cheap shape check before any I/O: rejects garbage without a DynamoDB read. */
export function looksLikeApiKey(key: string): boolean {
  return key.length >= 20 && key.length <= 200 && /^[\x21-\x7e]+$/.test(key);
}
