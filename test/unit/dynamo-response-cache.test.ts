/**
 * The response cache's DynamoDB adapter (adapters/dynamo/response-cache.ts) against dynalite, and
 * against stores that fail, throttle or never answer: those are misses, never errors or long waits.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createServer } from 'node:net';
import { CACHE_SK, createDynamoResponseCache } from '../../functions/adapters/dynamo/response-cache';
import { LOCAL_CREDENTIALS } from '../../functions/adapters/dynamo/client';
import { type CachedAnswer, expiresAtSeconds } from '../../functions/core/cache/entry';
import { startLocalDynamo, type LocalDynamo } from '../../local/dynamo';

const T0 = Date.UTC(2026, 11, 10, 9, 0, 0);
const KEY = 'a'.repeat(64);

const answer = (over: Partial<CachedAnswer> = {}): CachedAnswer => ({
  body: JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', choices: [] }),
  model: 'gpt-4.1',
  costMicros: 1234,
  createdAt: T0,
  expiresAt: expiresAtSeconds(T0, 60),
  scope: 'key#key_0000000000000001',
  ...over,
});

const client = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });

describe('DynamoDB response cache on dynalite', () => {
  let dynamo: LocalDynamo;
  let ddb: DynamoDBClient;
  const table = 'switchyard-cache';
  const cache = () =>
    createDynamoResponseCache({ ddb, table, lookupTimeoutMs: 5_000, maxEntryBytes: 4_000, log: () => undefined });

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    ddb = client(dynamo.endpoint);
  });
  afterAll(async () => {
    ddb.destroy();
    await dynamo.close();
  });

  it('stores an answer and finds it again under its key and scope', async () => {
    const a = answer();
    expect(await cache().store(KEY, a)).toBe('stored');
    expect(await cache().lookup(KEY, a.scope, T0 + 1_000)).toEqual({ status: 'hit', answer: a });
    expect(await cache().lookup('b'.repeat(64), a.scope, T0 + 1_000)).toEqual({ status: 'miss' });
  });

  it('never serves an entry to another scope', async () => {
    await cache().store(KEY, answer());
    expect(await cache().lookup(KEY, 'key#key_0000000000000002', T0)).toEqual({ status: 'miss' });
    expect(await cache().lookup(KEY, 'shared#auto', T0)).toEqual({ status: 'miss' });
  });

  it('checks the expiry itself: dynalite (like DynamoDB, for a while) still holds the expired item', async () => {
    const a = answer({ expiresAt: expiresAtSeconds(T0, 30) });
    await cache().store(KEY, a);
    expect((await cache().lookup(KEY, a.scope, T0 + 29_000)).status).toBe('hit');
    expect(await cache().lookup(KEY, a.scope, T0 + 31_000)).toEqual({ status: 'miss' });
    const raw = await ddb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: `r#${KEY}` }, sk: { S: CACHE_SK } } }),
    );
    expect(raw.Item?.expiresAt?.N).toBe(String(a.expiresAt));
  });

  it('does not store an answer over the size limit (no write at all)', async () => {
    const key = 'c'.repeat(64);
    dynamo.resetRequestCounts();
    expect(await cache().store(key, answer({ body: 'x'.repeat(4_000) }))).toBe('too_large');
    expect(dynamo.requestCounts().PutItem).toBeUndefined();
    expect(await cache().lookup(key, answer().scope, T0)).toEqual({ status: 'miss' });
    // The limit is on the whole item (attribute names, key, metadata), not the body alone.
    const justUnder = 4_000 - 300;
    expect(await cache().store(key, answer({ body: 'x'.repeat(justUnder) }))).toBe('stored');
  });

  it('keeps a margin under DynamoDB`s 400 KB item limit at the largest setting', async () => {
    const big = createDynamoResponseCache({
      ddb,
      table,
      lookupTimeoutMs: 5_000,
      maxEntryBytes: 380_000,
      log: () => undefined,
    });
    expect(await big.store('d'.repeat(64), answer({ body: 'y'.repeat(379_000) }))).toBe('stored');
    expect(await big.store('e'.repeat(64), answer({ body: 'y'.repeat(390_000) }))).toBe('too_large');
  });

  it('treats a malformed item as a miss', async () => {
    await cache().store(KEY, answer({ model: '' }));
    expect(await cache().lookup(KEY, answer().scope, T0)).toEqual({ status: 'miss' });
  });
});

describe('a response cache whose store fails', () => {
  const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
    name: 'ProvisionedThroughputExceededException',
    $metadata: { httpStatusCode: 400 },
  });

  it('answers a throttled or failing lookup as unavailable and drops the write, logging once a minute', async () => {
    const logs: string[] = [];
    let now = T0;
    const cache = createDynamoResponseCache({
      ddb: {
        send: async () => {
          throw throttled;
        },
      } as never,
      table: 't',
      lookupTimeoutMs: 100,
      maxEntryBytes: 10_000,
      log: (_level, msg) => void logs.push(msg),
      now: () => now,
    });
    expect(await cache.lookup(KEY, 's', T0)).toEqual({ status: 'unavailable' });
    expect(await cache.lookup(KEY, 's', T0)).toEqual({ status: 'unavailable' });
    expect(await cache.store(KEY, answer())).toBe('unavailable');
    expect(logs).toEqual([
      'response cache lookup failed; served as a miss',
      'response cache store failed; served as a miss',
    ]);
    now += 60_000;
    await cache.lookup(KEY, 's', T0);
    expect(logs).toHaveLength(3);
  });

  it('gives up a lookup that does not answer within its timeout, and aborts the call', async () => {
    jest.useFakeTimers();
    try {
      let signal: AbortSignal | undefined;
      const cache = createDynamoResponseCache({
        ddb: {
          send: (_cmd: unknown, opts: { abortSignal: AbortSignal }) => {
            signal = opts.abortSignal;
            return new Promise(() => undefined);
          },
        } as never,
        table: 't',
        lookupTimeoutMs: 80,
        writeTimeoutMs: 500,
        maxEntryBytes: 10_000,
        log: () => undefined,
      });
      let result: unknown;
      void cache.lookup(KEY, 's', T0).then((r) => (result = r));
      await jest.advanceTimersByTimeAsync(79);
      expect(result).toBeUndefined();
      await jest.advanceTimersByTimeAsync(1);
      expect(result).toEqual({ status: 'unavailable' });
      expect(signal?.aborted).toBe(true);

      let stored: unknown;
      void cache.store(KEY, answer()).then((r) => (stored = r));
      await jest.advanceTimersByTimeAsync(500);
      expect(stored).toBe('unavailable');
    } finally {
      jest.useRealTimers();
    }
  });

  it('answers unavailable when nothing listens at the endpoint', async () => {
    // A port that was free a moment ago: connections are refused.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const ddb = client(`http://127.0.0.1:${port}`);
    try {
      const cache = createDynamoResponseCache({
        ddb,
        table: 't',
        lookupTimeoutMs: 5_000,
        maxEntryBytes: 10_000,
        log: () => undefined,
      });
      expect(await cache.lookup(KEY, 's', T0)).toEqual({ status: 'unavailable' });
      expect(await cache.store(KEY, answer())).toBe('unavailable');
    } finally {
      ddb.destroy();
    }
  });
});
