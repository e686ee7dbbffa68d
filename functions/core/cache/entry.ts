/**
 * One cached answer and the rules about its life: when it expires (checked on every read, since
 * DynamoDB deletes expired items only eventually and dynalite never), how large it is as a stored
 * item, and what a hit saves.
 */

export interface CachedAnswer {
  /** The `chat.completion` JSON text, as the client receives it on a JSON hit. */
  body: string;
  /** The model that produced it. */
  model: string;
  /** What producing it cost (micro-dollars): what each hit saves. */
  costMicros: number;
  /** Epoch ms when it was stored. */
  createdAt: number;
  /** Epoch seconds after which it is gone (the table's TTL attribute). */
  expiresAt: number;
  /** The key's scope (`key#<keyId>` or `shared#<route>`), checked again on read. */
  scope: string;
}

export function expiresAtSeconds(nowMs: number, ttlSeconds: number): number {
  return Math.ceil((nowMs + ttlSeconds * 1000) / 1000);
}

/** Fresh until its expiry second begins; an entry of another scope is never an answer. */
export function isServable(entry: CachedAnswer, scope: string, nowMs: number): boolean {
  return entry.scope === scope && nowMs < entry.expiresAt * 1000;
}

/** Whole seconds since the answer was stored (the `x-switchyard-cache-age` header, like HTTP's `Age`). */
export function ageSeconds(entry: CachedAnswer, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - entry.createdAt) / 1000));
}

/**
 * DynamoDB's size of an item: UTF-8 bytes of every attribute name and string value, and for a
 * number about one byte per two digits plus one (rounded up here to one per digit plus one).
 */
export function itemBytes(item: Record<string, string | number>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name, 'utf8');
    bytes += typeof value === 'number' ? String(value).length + 1 : Buffer.byteLength(value, 'utf8');
  }
  return bytes;
}
