/**
 * The response cache in its own DynamoDB table: one item per answer, `pk = r#<sha256>`, read with
 * one eventually consistent GetItem and written with one PutItem after the response went out.
 *
 * Never in the way: a lookup is abandoned after `lookupTimeoutMs` (its client makes one attempt, no
 * retries, so a throttle answers at once instead of backing off), any error or throttle is a miss,
 * a failed write is dropped, and both are logged at most once a minute. Expiry is checked on every
 * read (DynamoDB's TTL deletes late, dynalite never).
 */
import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type CachedAnswer, isServable, itemBytes } from '../../core/cache/entry';
import type { CacheLookup, CacheStoreResult, ResponseCache } from '../../ports/response-cache';
import type { LogFn } from '../../ports/telemetry';

export const CACHE_SK = 'answer';
/** A write runs after the response; this only bounds how long it may keep the invocation alive. */
export const CACHE_WRITE_TIMEOUT_MS = 1_000;
const LOG_EVERY_MS = 60_000;

export interface DynamoResponseCacheOptions {
  ddb: Pick<DynamoDBClient, 'send'>;
  table: string;
  lookupTimeoutMs: number;
  writeTimeoutMs?: number;
  /** Items larger than this (DynamoDB's size of the whole item) are not stored. */
  maxEntryBytes: number;
  log: LogFn;
  /** Clock for log throttling only (expiry uses the `now` each lookup is given). */
  now?: () => number;
}

const TIMED_OUT = Symbol('timed out');

/** Runs `op` with an abort signal that fires after `ms`; resolves TIMED_OUT then, whatever `op` does. */
async function within<T>(ms: number, op: (signal: AbortSignal) => Promise<T>): Promise<T | typeof TIMED_OUT> {
  const ac = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => {
      ac.abort();
      resolve(TIMED_OUT);
    }, ms);
  });
  const running = op(ac.signal);
  // The abandoned call still settles later: its rejection must not surface as unhandled.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}

const pkOf = (key: string) => `r#${key}`;

function answerFrom(item: Record<string, AttributeValue> | undefined): CachedAnswer | undefined {
  if (!item) return undefined;
  const n = (name: string) => (item[name]?.N !== undefined ? Number(item[name].N) : Number.NaN);
  const answer: CachedAnswer = {
    body: item.body?.S ?? '',
    model: item.model?.S ?? '',
    costMicros: n('costMicros'),
    createdAt: n('createdAt'),
    expiresAt: n('expiresAt'),
    scope: item.scope?.S ?? '',
  };
  const whole =
    answer.body !== '' &&
    answer.model !== '' &&
    answer.scope !== '' &&
    [answer.costMicros, answer.createdAt, answer.expiresAt].every(Number.isFinite);
  return whole ? answer : undefined;
}

/** The stored item as plain values (for its size) and as DynamoDB attributes. */
function itemOf(key: string, a: CachedAnswer) {
  const plain = {
    pk: pkOf(key),
    sk: CACHE_SK,
    body: a.body,
    model: a.model,
    scope: a.scope,
    costMicros: a.costMicros,
    createdAt: a.createdAt,
    expiresAt: a.expiresAt,
  };
  const attributes: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(plain)) attributes[k] = typeof v === 'number' ? { N: String(v) } : { S: v };
  return { plain, attributes };
}

export function createDynamoResponseCache(o: DynamoResponseCacheOptions): ResponseCache {
  const clock = o.now ?? Date.now;
  const lastLogged: Record<string, number> = {};
  const trouble = (operation: 'lookup' | 'store', what: string, err?: unknown) => {
    const t = clock();
    if (t - (lastLogged[operation] ?? Number.NEGATIVE_INFINITY) < LOG_EVERY_MS) return;
    lastLogged[operation] = t;
    o.log('warn', `response cache ${operation} ${what}; served as a miss`, {
      table: o.table,
      error: err === undefined ? undefined : `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? err}`,
    });
  };

  return {
    async lookup(key, scope, now): Promise<CacheLookup> {
      try {
        const res = await within(o.lookupTimeoutMs, (abortSignal) =>
          o.ddb.send(new GetItemCommand({ TableName: o.table, Key: { pk: { S: pkOf(key) }, sk: { S: CACHE_SK } } }), {
            abortSignal,
          }),
        );
        if (res === TIMED_OUT) {
          trouble('lookup', `took over ${o.lookupTimeoutMs} ms`);
          return { status: 'unavailable' };
        }
        const answer = answerFrom(res.Item);
        return answer && isServable(answer, scope, now) ? { status: 'hit', answer } : { status: 'miss' };
      } catch (err) {
        trouble('lookup', 'failed', err);
        return { status: 'unavailable' };
      }
    },

    async store(key, answer): Promise<CacheStoreResult> {
      const { plain, attributes } = itemOf(key, answer);
      if (itemBytes(plain) > o.maxEntryBytes) return 'too_large';
      try {
        const res = await within(o.writeTimeoutMs ?? CACHE_WRITE_TIMEOUT_MS, (abortSignal) =>
          o.ddb.send(new PutItemCommand({ TableName: o.table, Item: attributes }), { abortSignal }),
        );
        if (res === TIMED_OUT) {
          trouble('store', 'timed out');
          return 'unavailable';
        }
        return 'stored';
      } catch (err) {
        trouble('store', 'failed', err);
        return 'unavailable';
      }
    },
  };
}
