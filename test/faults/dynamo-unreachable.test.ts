/**
 * Fault matrix, DynamoDB unreachable (local/dynamo-faults.ts closes its listener and cuts open
 * connections: the real SDK gets resets and ECONNREFUSED), through the local runtime.
 *
 * What the design promises and these cases hold:
 * - auth fails closed: a key that cannot be verified gets a retryable 503 `authorizer_unavailable`
 *   (API Gateway's AUTHORIZER_CONFIGURATION_ERROR response), never a 500 or a hang; keys whose
 *   decision API Gateway has cached keep working;
 * - the router's guarantees are bounded (the default): an instance serves what the quota slices and
 *   slots it already holds cover, and refuses the rest with a retryable 503 `shared_state_unavailable`;
 *   the deep health view (`GET /health/deep`) says `degraded`, with `dynamo.reachable: false` and the guarantees running degraded;
 *   with `sharedState.onDynamoError: "open"` it serves on and charges the use once DynamoDB is back;
 * - nothing is lost: use and usage that could not be written stay in the instance and go out with
 *   its next write once DynamoDB answers, after which spend equals the usage's cost.
 */
import { health } from '../../functions/router/routes/health';
import type { RequestContext } from '../../functions/router/request-context';
import { AUTHORIZER_UNAVAILABLE_RESPONSE } from '../../local/apigw-emulator';
import type { LocalGateway } from '../../local/gateway';
import { eventually, get, hi, post } from '../helpers/local-gateway';
import { BUDGETED_MODELS, costMicrosOf, direct, sseData, startDynamoFaultGateway } from './dynamo-helpers';
import { expectSettled, readLedger } from './ledger-check';

/** The router's GET /health/deep body, from the instance behind the emulator, without the authorizer. */
async function deepHealthOf(gw: LocalGateway): Promise<{ status: number; json: any }> {
  const ctx = { functionVersion: '1', key: { keyId: 'admin', keyName: 'admin', admin: true } };
  const r = await health(ctx as unknown as RequestContext, gw.deps);
  return { status: r.statusCode, json: JSON.parse(r.body as string) };
}

const chat = (gw: LocalGateway, extra: Record<string, unknown> = {}) =>
  post(gw, '/v1/chat/completions', hi('gpt-4.1', extra));
const streamed = (gw: LocalGateway) => chat(gw, { stream: true });

describe('DynamoDB unreachable when the gateway starts', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    // Setup (tables, demo key) is done, then the proxy goes unreachable before any handler runs.
    gw = await startDynamoFaultGateway({ dynamoFaults: { mode: 'unreachable' } });
  });
  afterAll(() => gw.close());

  it('refuses what it cannot authorize with a retryable 503 in the OpenAI shape (fail closed), and /health says why', async () => {
    gw.dynamoFaults!.resetCounts();
    const { status, message, type, code, headers } = AUTHORIZER_UNAVAILABLE_RESPONSE;
    for (const r of [await chat(gw), await streamed(gw), await get(gw, '/v1/models')]) {
      expect(r.status).toBe(status);
      expect(r.headers.get('retry-after')).toBe(headers['retry-after']);
      expect(r.json).toEqual({ type: 'error', error: { message, type, param: null, code } });
    }
    expect(gw.providers!.requests()).toHaveLength(0);
    // The listener is closed: nothing reached DynamoDB.
    expect(gw.dynamoFaults!.counts().forwarded).toEqual({});

    // The deep health view needs an admin key, which cannot be verified either (fail closed): the
    // anonymous /health still answers (API Gateway's own MOCK), and the router's deep view, read
    // here directly, says why.
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    const health = await deepHealthOf(gw);
    expect(health.status).toBe(200);
    expect(health.json.status).toBe('degraded');
    expect(health.json.dynamo).toMatchObject({
      reachable: false,
      lastError: expect.stringMatching(/^state snapshot refresh: /),
    });
  });

  it('serves the same key as soon as DynamoDB answers again, and accounts for it', async () => {
    const before = await readLedger(direct(gw));
    await gw.dynamoFaults!.pass();
    const r = await chat(gw);
    expect(r.status).toBe(200);
    const settled = await expectSettled(direct(gw), before, { requests: 1, modelsWithBudget: BUDGETED_MODELS });
    expect(settled.spentDelta).toBe(costMicrosOf(r));
    expect((await get(gw, '/health/deep')).json.dynamo).toEqual({ reachable: true });
  });
});

describe('a router instance that cold-starts while DynamoDB is unreachable', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    // API Gateway's authorizer cache holds the key's decision from before the outage (60 s on AWS).
    gw = await startDynamoFaultGateway({ authorizerCacheTtlMs: 60_000 });
  });
  afterAll(() => gw.close());

  it('holds no quota, so it refuses with a retryable 503 rather than spend blind (bounded mode), and /health says which guarantee', async () => {
    expect((await get(gw, '/v1/models')).status).toBe(200); // caches the key's decision
    await gw.dynamoFaults!.unreachable();
    const cold = gw.newRouterInstance();
    gw.setTargetSelector(() => ({ handler: cold.handler, version: '1' }));
    for (const r of [await chat(gw), await streamed(gw)]) {
      expect(r.status).toBe(503);
      expect(r.json.error.code).toBe('shared_state_unavailable');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(gw.providers!.requests()).toHaveLength(0);
    const health = await get(gw, '/health/deep');
    expect(health.json).toMatchObject({ status: 'degraded', dynamo: { reachable: false } });
    expect(health.json.sharedState.degraded).toEqual(expect.arrayContaining(['budget']));
    await gw.dynamoFaults!.pass();
    expect((await chat(gw)).status).toBe(200);
  });
});

describe('a router instance that cold-starts while DynamoDB is unreachable, in open mode', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startDynamoFaultGateway({ authorizerCacheTtlMs: 60_000 }, (c) => {
      c.sharedState = { onDynamoError: 'open' };
    });
  });
  afterAll(() => gw.close());

  it('serves without slices, then charges every request once DynamoDB is back', async () => {
    expect((await get(gw, '/v1/models')).status).toBe(200);
    const before = await readLedger(direct(gw));
    await gw.dynamoFaults!.unreachable();
    const cold = gw.newRouterInstance();
    gw.setTargetSelector(() => ({ handler: cold.handler, version: '1' }));

    const answers = await Promise.all([chat(gw), chat(gw), chat(gw)]);
    for (const r of answers) {
      expect(r.status).toBe(200);
      expect(r.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:200');
      expect(costMicrosOf(r)).toBeGreaterThan(0);
    }
    const stream = await streamed(gw);
    expect(stream.status).toBe(200);
    expect(sseData(stream.text).at(-1)).toBe('[DONE]');
    const health = await get(gw, '/health/deep');
    expect(health.json).toMatchObject({ status: 'degraded', dynamo: { reachable: false } });
    expect((await readLedger(direct(gw))).spent).toEqual(before.spent);

    await gw.dynamoFaults!.pass();
    const after = await chat(gw);
    expect(after.status).toBe(200);
    const settled = await expectSettled(direct(gw), before, { requests: 5, modelsWithBudget: BUDGETED_MODELS });
    const jsonCost = [...answers, after].reduce((s, r) => s + costMicrosOf(r), 0);
    expect(settled.usageRequestsDelta['model#gpt-4.1']).toBe(5);
    expect(settled.spentDelta).toBeGreaterThan(jsonCost);
  });
});

describe('DynamoDB unreachable mid-run', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    // gpt-4.1 uncapped here: what a warm instance holds is then its budget slices alone.
    // Idle slices are not given back here: a give-back cut off by the outage is one whose answer
    // may be lost, which strands the slice (never mints) and leaves its use out of the spend tally
    // (docs/architecture/shared-state.md); these cases check what in-flight requests owe.
    gw = await startDynamoFaultGateway({ authorizerCacheTtlMs: 60_000 }, (c) => {
      c.defaults = { maxConcurrency: null };
      for (const m of c.models) if (m.id === 'gpt-4.1') delete m.maxConcurrency;
      c.sharedState = { ...c.sharedState, sliceIdleMs: 3_600_000 };
    });
  });
  afterAll(() => gw.close());
  afterEach(async () => {
    gw.providers!.clearFaults();
    await gw.dynamoFaults!.reset();
  });

  it('keeps answering from the slices it holds, refuses what they cannot cover, and writes it all down once DynamoDB is back', async () => {
    const before = await readLedger(direct(gw));
    expect((await chat(gw, { max_tokens: 50 })).status).toBe(200);
    await expectSettled(direct(gw), before, { requests: 1, modelsWithBudget: BUDGETED_MODELS });

    await gw.dynamoFaults!.unreachable();
    const during = await Promise.all([
      chat(gw, { max_tokens: 50 }),
      chat(gw, { max_tokens: 50 }),
      chat(gw, { max_tokens: 50, stream: true }),
    ]);
    for (const r of during) expect(r.status).toBe(200);
    expect(sseData(during[2].text).at(-1)).toBe('[DONE]');
    // A capped model needs a slot this instance does not hold: passed over, not served blind; its
    // fallback (uncapped here, its budget held) answers.
    const capped = await post(gw, '/v1/chat/completions', hi('claude-sonnet-4.5', { max_tokens: 50 }));
    expect(capped.status).toBe(200);
    expect(capped.headers.get('x-switchyard-attempts')).toBe('claude-sonnet-4.5:unavailable,gpt-4.1:200');
    const health = await get(gw, '/health/deep');
    expect(health.json).toMatchObject({ status: 'degraded', dynamo: { reachable: false } });
    expect((await readLedger(direct(gw))).spent).toEqual((await readLedger(direct(gw))).spent);

    await gw.dynamoFaults!.pass();
    expect((await chat(gw, { max_tokens: 50 })).status).toBe(200);
    const settled = await expectSettled(direct(gw), before, { requests: 6, modelsWithBudget: BUDGETED_MODELS });
    expect(settled.usageErrorsDelta).toEqual({});
    expect(settled.usageRequestsDelta['model#gpt-4.1']).toBe(6);
  });

  it('settles requests in flight when it went down, once it is back', async () => {
    // Usage the last case could not write yet goes out first, so the baseline counts it.
    for (const d of gw.instances()) await d.quota.maintain(Date.now());
    const before = await readLedger(direct(gw));
    expect((await chat(gw, { max_tokens: 50 })).status).toBe(200);
    gw.providers!.setFault({ model: 'gpt-4.1', latencyMs: 1_500 });
    const inFlight = [
      chat(gw, { max_tokens: 50 }),
      chat(gw, { max_tokens: 50 }),
      chat(gw, { max_tokens: 50, stream: true }),
    ];
    await eventually(async () => {
      const reserved = gw
        .instances()
        .reduce(
          (n, d) =>
            n +
            (d.quota as unknown as { holdings(): { slices: Array<{ reserved: number }> } })
              .holdings()
              .slices.reduce((a, x) => a + x.reserved, 0),
          0,
        );
      expect(reserved).toBeGreaterThan(0);
    });
    await gw.dynamoFaults!.unreachable();
    const answers = await Promise.all(inFlight);
    for (const r of answers) expect(r.status).toBe(200);
    expect(sseData(answers[2].text).at(-1)).toBe('[DONE]');
    await eventually(async () => expect((await get(gw, '/health/deep')).json.sharedState.degraded).toContain('usage'));

    gw.providers!.clearFaults();
    await gw.dynamoFaults!.pass();
    const after = await chat(gw, { max_tokens: 50 });
    expect(after.status).toBe(200);
    const settled = await expectSettled(direct(gw), before, { requests: 5, modelsWithBudget: BUDGETED_MODELS }).catch(
      async (e) => {
        console.log(JSON.stringify((await readLedger(direct(gw))).usageRequests), JSON.stringify(before.usageRequests));
        throw e;
      },
    );
    expect(settled.spentDelta).toBeGreaterThan(
      costMicrosOf(answers[0]) + costMicrosOf(answers[1]) + costMicrosOf(after),
    );
  });
});
