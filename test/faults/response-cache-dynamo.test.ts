/**
 * A response cache that DynamoDB cannot serve is skipped, never an error: throttled reads and
 * writes, an unreachable DynamoDB, and a cache endpoint that never answers all mean a miss (the
 * request goes upstream and is answered 200), and a write that fails is dropped.
 */
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { createDynamoResponseCache } from '../../functions/adapters/dynamo/response-cache';
import type { LocalGateway } from '../../local/gateway';
import { startUnacceptingListener, type UnacceptingListener } from '../../local/providers';
import { eventually, post, type Reply } from '../helpers/local-gateway';
import { cacheEntries, upstreamCalls } from '../helpers/response-cache';
import { startDynamoFaultGateway } from './dynamo-helpers';

let n = 0;
const ask = () => ({
  model: 'chat-default',
  temperature: 0,
  messages: [{ role: 'user', content: `Cache fault question ${++n}` }],
});

function expectServedMiss(r: Reply) {
  expect(r.status).toBe(200);
  expect(r.headers.get('x-switchyard-cache')).toBe('miss');
  expect(r.json.choices[0].message.content).toEqual(expect.any(String));
}

describe('response cache with DynamoDB failing', () => {
  let gw: LocalGateway;
  const chat = (body: unknown) => post(gw, '/v1/chat/completions', body);
  const stored = async (count: number) =>
    eventually(async () => expect((await cacheEntries(gw)).length).toBe(count), 5_000);

  beforeAll(async () => {
    // Key decisions cached (as API Gateway does) so the authorizer keeps working while DynamoDB is down,
    // and shared state failing open: what the quotas do without DynamoDB is dynamo-unreachable.test.ts's
    // subject, here only the cache may decide the answer.
    gw = await startDynamoFaultGateway({ authorizerCacheTtlMs: 600_000 }, (c) => {
      c.routes['chat-default'].cache = { ttlSeconds: 600 };
      // A busy test machine must not turn an expected hit into a timed-out lookup.
      c.cache = { lookupTimeoutMs: 5_000 };
      c.sharedState = { onDynamoError: 'open' };
    });
  });
  afterAll(() => gw.close());
  afterEach(() => gw.dynamoFaults!.pass());

  it('throttled lookups and writes: a miss served from upstream, nothing stored, then hits again', async () => {
    const body = ask();
    const entries = (await cacheEntries(gw)).length;
    expectServedMiss(await chat(body));
    await stored(entries + 1);
    expect((await chat(body)).headers.get('x-switchyard-cache')).toBe('hit');

    await gw.dynamoFaults!.throttle({ operations: ['GetItem', 'PutItem'] });
    gw.dynamoFaults!.resetCounts();
    const calls = upstreamCalls(gw);
    expectServedMiss(await chat(body));
    const fresh = ask();
    expectServedMiss(await chat(fresh));
    expect(upstreamCalls(gw)).toBe(calls + 2);
    // One attempt each (no SDK retry loop while the client waits), all refused.
    expect(gw.dynamoFaults!.counts().throttled.GetItem).toBe(2);
    await eventually(async () => expect(gw.dynamoFaults!.counts().throttled.PutItem).toBe(2));

    await gw.dynamoFaults!.pass();
    expect((await chat(body)).headers.get('x-switchyard-cache')).toBe('hit');
    // The throttled write of the fresh answer was dropped: it is a miss again.
    expectServedMiss(await chat(fresh));
    await stored(entries + 2);
  });

  it('DynamoDB unreachable: the lookup fails, the request is served from upstream', async () => {
    const body = ask();
    const entries = (await cacheEntries(gw)).length;
    expectServedMiss(await chat(body));
    await stored(entries + 1);
    await gw.dynamoFaults!.unreachable();
    const calls = upstreamCalls(gw);
    const r = await chat(ask());
    expectServedMiss(r);
    expect(upstreamCalls(gw)).toBe(calls + 1);
    await gw.dynamoFaults!.pass();
    expect((await chat(body)).headers.get('x-switchyard-cache')).toBe('hit');
  });
});

describe('response cache whose DynamoDB endpoint never answers', () => {
  let gw: LocalGateway;
  let hang: UnacceptingListener;
  beforeAll(async () => {
    gw = await startDynamoFaultGateway({}, (c) => {
      c.routes['chat-default'].cache = { ttlSeconds: 600 };
      c.cache = { lookupTimeoutMs: 50 };
    });
    hang = await startUnacceptingListener();
    const router = gw.newRouterInstance({
      responseCache: createDynamoResponseCache({
        ddb: createDynamoClient(
          { ...gw.env, SWITCHYARD_DYNAMODB_ENDPOINT: `http://${hang.host}:${hang.port}` },
          { maxAttempts: 1 },
        ),
        table: 'switchyard-cache',
        lookupTimeoutMs: 50,
        writeTimeoutMs: 50,
        maxEntryBytes: 350_000,
        log: () => undefined,
      }),
    });
    gw.setTargetSelector(() => ({ handler: router.handler, version: '1' }));
  });
  afterAll(async () => {
    await gw.close();
    await hang.close();
  });

  it('gives the lookup up after its timeout and answers from upstream', async () => {
    const body = ask();
    const calls = upstreamCalls(gw);
    for (let i = 0; i < 2; i++) expectServedMiss(await post(gw, '/v1/chat/completions', body));
    expect(upstreamCalls(gw)).toBe(calls + 2);
  });
});
