/**
 * Per-key RPM/TPM counters in the keys table: one item per key and minute, pk `rl#<keyId>`,
 * sk `<window start>` (e.g. `2026-11-23T10:15Z`), attributes `requests`, `tokens`, `expiresAt`.
 *
 * Admission is one conditional `UpdateItem` (ADD requests 1 if the counters still leave room), so
 * the limit holds exactly under any concurrency across router instances: DynamoDB serialises writes
 * to an item. `expiresAt` only lets TTL collect old windows; no decision reads it.
 *
 * Writes per request: one on admission, one when the real token usage is recorded (keys with a TPM
 * limit only); one consistent read on refusal, to report the counters. One item takes ~1,000
 * writes/s, i.e. exact limits up to ~60k RPM per key; beyond that the window would need sharding
 * (which trades exactness for throughput) and the stage throttle is the better guard anyway.
 */
import { GetItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  RATE_WINDOW_MS,
  planAdmission,
  rateLimitError,
  rateLimitHeaders,
  rateWindow,
  type RateLimitedKey,
  type RateWindow,
  type WindowCounters,
} from '../../core/rate-limit';

type Log = (level: 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface DynamoRateLimiterOptions {
  now?: () => number;
  windowMs?: number;
  /** Where store failures are reported (admission fails open, see below). */
  log?: Log;
}

export interface DynamoRateLimiter {
  /** Counts the request; resolves to the `x-ratelimit-*` headers or throws a 429 GatewayError. */
  admit(key: RateLimitedKey, estimatedTokens: number): Promise<{ headers: Record<string, string> }>;
  /** Adds real token usage to the current window. Never throws. */
  recordTokens(key: RateLimitedKey, tokens: number): Promise<void>;
  /** The counters of the window containing `atMs` (default now). */
  counters(keyId: string, atMs?: number): Promise<WindowCounters>;
}

export const rateLimitPk = (keyId: string) => `rl#${keyId}`;

const consoleLog: Log = (level, msg, fields) => console[level](JSON.stringify({ level, message: msg, ...fields }));

function num(item: Record<string, AttributeValue> | undefined, name: string): number {
  const n = item?.[name]?.N;
  return n === undefined ? 0 : Number(n);
}

export function createDynamoRateLimiter(
  ddb: DynamoDBClient,
  table: string,
  opts: DynamoRateLimiterOptions = {},
): DynamoRateLimiter {
  const now = opts.now ?? Date.now;
  const windowMs = opts.windowMs ?? RATE_WINDOW_MS;
  const log = opts.log ?? consoleLog;
  const keyOf = (keyId: string, w: RateWindow) => ({ pk: { S: rateLimitPk(keyId) }, sk: { S: w.id } });

  async function read(keyId: string, w: RateWindow): Promise<WindowCounters> {
    const res = await ddb.send(new GetItemCommand({ TableName: table, Key: keyOf(keyId, w), ConsistentRead: true }));
    return { requests: num(res.Item, 'requests'), tokens: num(res.Item, 'tokens') };
  }

  return {
    async admit(key, estimatedTokens) {
      const at = now();
      const w = rateWindow(at, windowMs);
      const plan = planAdmission(key, estimatedTokens);
      if (plan.tooLarge)
        throw rateLimitError(
          key,
          await read(key.keyId, w).catch(() => ({ requests: 0, tokens: 0 })),
          estimatedTokens,
          at,
          windowMs,
        );

      const names: Record<string, string> = { '#r': 'requests', '#e': 'expiresAt' };
      const values: Record<string, AttributeValue> = { ':one': { N: '1' }, ':exp': { N: String(w.expiresAt) } };
      const conditions: string[] = [];
      if (plan.maxRequestsBefore !== undefined) {
        conditions.push('(attribute_not_exists(#r) OR #r <= :maxR)');
        values[':maxR'] = { N: String(plan.maxRequestsBefore) };
      }
      if (plan.maxTokensBefore !== undefined) {
        names['#t'] = 'tokens';
        conditions.push('(attribute_not_exists(#t) OR #t <= :maxT)');
        values[':maxT'] = { N: String(plan.maxTokensBefore) };
      }
      try {
        const res = await ddb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: keyOf(key.keyId, w),
            UpdateExpression: 'ADD #r :one SET #e = if_not_exists(#e, :exp)',
            ...(conditions.length ? { ConditionExpression: conditions.join(' AND ') } : {}),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return {
          headers: rateLimitHeaders(
            key,
            { requests: num(res.Attributes, 'requests'), tokens: num(res.Attributes, 'tokens') },
            at,
            windowMs,
          ),
        };
      } catch (err) {
        if ((err as Error)?.name === 'ConditionalCheckFailedException') {
          // Refused for certain; the read only fills in the message and headers. If it fails, report
          // the window as full rather than turn the 429 into a 500.
          const before = await read(key.keyId, w).catch((readErr: unknown) => {
            log('warn', 'rate limiter could not read the window of a refused request', {
              keyId: key.keyId,
              error: String((readErr as Error)?.name ?? readErr),
            });
            return { requests: key.rpm ?? 0, tokens: key.tpm ?? 0 };
          });
          throw rateLimitError(key, before, estimatedTokens, at, windowMs);
        }
        // Fail open: a DynamoDB hiccup must not take every keyed request down with it. The stage
        // throttle still bounds traffic and the daily budgets still bound spend.
        log('warn', 'rate limiter unavailable; request admitted without counting', {
          keyId: key.keyId,
          error: String((err as Error)?.name ?? err),
        });
        return { headers: {} };
      }
    },

    async recordTokens(key, tokens) {
      if (!(tokens > 0)) return;
      const w = rateWindow(now(), windowMs);
      try {
        await ddb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: keyOf(key.keyId, w),
            UpdateExpression: 'ADD #t :n SET #e = if_not_exists(#e, :exp)',
            ExpressionAttributeNames: { '#t': 'tokens', '#e': 'expiresAt' },
            ExpressionAttributeValues: { ':n': { N: String(Math.ceil(tokens)) }, ':exp': { N: String(w.expiresAt) } },
          }),
        );
      } catch (err) {
        log('warn', 'rate limiter could not record token usage', {
          keyId: key.keyId,
          error: String((err as Error)?.name ?? err),
        });
      }
    },

    counters(keyId, atMs) {
      return read(keyId, rateWindow(atMs ?? now(), windowMs));
    },
  };
}
