/**
 * Fault matrix, DynamoDB unreachable (local/dynamo-faults.ts closes its listener and cuts open
 * connections: the real SDK gets resets and ECONNREFUSED), through the local runtime.
 *
 * What the design promises and these cases hold:
 * - auth fails closed: a key that cannot be verified gets a retryable 503 `authorizer_unavailable`
 *   (API Gateway's AUTHORIZER_CONFIGURATION_ERROR response), never a 500 or a hang; keys whose
 *   decision API Gateway has cached keep working;
 * - the router fails open: every admitted request is answered (no reservation, no shared lease),
 *   `GET /health` says `degraded` with `dynamo.reachable: false` and the writes it is keeping;
 * - nothing is lost: the spend, usage counters, reservation settlements and lease releases that
 *   could not be written are kept by the instance and written once DynamoDB answers again, after
 *   which the ledger holds no reservation, no lease, and exactly the usage's cost.
 */
import { AUTHORIZER_UNAVAILABLE_RESPONSE } from '../../local/apigw-emulator';
import type { LocalGateway } from '../../local/gateway';
import { eventually, get, hi, post } from '../helpers/local-gateway';
import { BUDGETED_MODELS, costMicrosOf, direct, sseData, startFaultGateway } from './dynamo-helpers';
import { expectSettled, readLedger } from './ledger-check';

const chat = (gw: LocalGateway, extra: Record<string, unknown> = {}) =>
  post(gw, '/v1/chat/completions', hi('gpt-4.1', extra));
const streamed = (gw: LocalGateway) => chat(gw, { stream: true });
/** Distinct reservations among `<sk>.<attr>` entries: a reservation uses the same attribute in every scope. */
const reservations = (open: string[]) => new Set(open.map((o) => o.slice(o.indexOf('.r_') + 1)));

describe('DynamoDB unreachable when the gateway starts', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    // Setup (tables, demo key) is done, then the proxy goes unreachable before any handler runs.
    gw = await startFaultGateway({ dynamoFaults: { mode: 'unreachable' } });
  });
  afterAll(() => gw.close());

  it('refuses what it cannot authorize with a retryable 503 in the OpenAI shape (fail closed), and /health says why', async () => {
    gw.dynamoFaults!.resetCounts();
    const { status, message, type, code, headers } = AUTHORIZER_UNAVAILABLE_RESPONSE;
    for (const r of [await chat(gw), await streamed(gw), await get(gw, '/v1/models')]) {
      expect(r.status).toBe(status);
      expect(r.headers.get('retry-after')).toBe(headers['retry-after']);
      expect(r.json).toEqual({ error: { message, type, param: null, code } });
    }
    expect(gw.providers!.requests()).toHaveLength(0);
    // The listener is closed: nothing reached DynamoDB.
    expect(gw.dynamoFaults!.counts().forwarded).toEqual({});

    const health = await get(gw, '/health');
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
    expect((await get(gw, '/health')).json.dynamo).toEqual({ reachable: true });
  });
});

describe('a router instance that cold-starts while DynamoDB is unreachable', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    // API Gateway's authorizer cache holds the key's decision from before the outage (60 s on AWS).
    gw = await startFaultGateway({ authorizerCacheTtlMs: 60_000 });
  });
  afterAll(() => gw.close());

  it('serves without a reservation (fail open), then charges every request once DynamoDB is back', async () => {
    expect((await get(gw, '/v1/models')).status).toBe(200); // caches the key's decision, touches no ledger
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

    // Kept, not lost: nothing is in the ledger yet, and /health counts what is waiting.
    const health = await eventually(async () => {
      const h = await get(gw, '/health');
      expect(h.json.dynamo.pendingWrites).toBeGreaterThan(0);
      return h;
    });
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'degraded', dynamo: { reachable: false } });
    const during = await readLedger(direct(gw));
    expect(during.spent).toEqual(before.spent);
    expect(during.openReservations).toEqual([]);

    await gw.dynamoFaults!.pass();
    const after = await chat(gw);
    expect(after.status).toBe(200);
    const settled = await expectSettled(direct(gw), before, { requests: 5, modelsWithBudget: BUDGETED_MODELS });
    // The JSON answers' cost headers, plus the stream's (only known at its end, so only in the usage).
    const jsonCost = [...answers, after].reduce((s, r) => s + costMicrosOf(r), 0);
    expect(settled.usageRequestsDelta['model#gpt-4.1']).toBe(5);
    expect(settled.spentDelta).toBeGreaterThan(jsonCost);
    await eventually(async () => expect((await get(gw, '/health')).json.dynamo).toEqual({ reachable: true }));
  });
});

describe('DynamoDB unreachable mid-run', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startFaultGateway({ authorizerCacheTtlMs: 60_000 });
  });
  afterAll(() => gw.close());
  afterEach(async () => {
    gw.providers!.clearFaults();
    await gw.dynamoFaults!.reset();
  });

  it('keeps answering JSON and streams between requests, and the outage spend is charged when DynamoDB is back', async () => {
    const before = await readLedger(direct(gw));
    expect((await chat(gw)).status).toBe(200);
    await expectSettled(direct(gw), before, { requests: 1, modelsWithBudget: BUDGETED_MODELS });

    await gw.dynamoFaults!.unreachable();
    const during = await Promise.all([chat(gw), chat(gw), streamed(gw), post(gw, '/v1/chat/completions', hi('auto'))]);
    for (const r of during) expect(r.status).toBe(200);
    expect(sseData(during[2].text).at(-1)).toBe('[DONE]');
    const health = await get(gw, '/health');
    expect(health.json).toMatchObject({ status: 'degraded', dynamo: { reachable: false } });

    await gw.dynamoFaults!.pass();
    expect((await chat(gw)).status).toBe(200);
    const settled = await expectSettled(direct(gw), before, { requests: 6, modelsWithBudget: BUDGETED_MODELS });
    expect(settled.usageErrorsDelta).toEqual({});
  });

  it('settles the reservations and gives back the leases of requests in flight when it went down', async () => {
    const before = await readLedger(direct(gw));
    gw.providers!.setFault({ model: 'gpt-4.1', latencyMs: 1_500 });
    const inFlight = [chat(gw), chat(gw), streamed(gw)];
    // All three hold a reservation (global, key, model) and a lease before the outage starts.
    await eventually(async () => {
      const s = await readLedger(direct(gw));
      expect(reservations(s.openReservations).size).toBe(3);
      expect(s.leases['gpt-4.1']).toMatchObject({ inflight: 3 });
    });
    await gw.dynamoFaults!.unreachable();
    const answers = await Promise.all(inFlight);
    for (const r of answers) expect(r.status).toBe(200);
    expect(sseData(answers[2].text).at(-1)).toBe('[DONE]');

    // Their settlements and releases could not be written: the budget stays held meanwhile.
    await eventually(async () => expect((await get(gw, '/health')).json.dynamo.pendingWrites).toBeGreaterThan(0));
    const held = await readLedger(direct(gw));
    expect(reservations(held.openReservations).size).toBe(3);
    expect(held.leases['gpt-4.1']).toMatchObject({ inflight: 3 });

    gw.providers!.clearFaults();
    await gw.dynamoFaults!.pass();
    const after = await chat(gw);
    expect(after.status).toBe(200);
    const settled = await expectSettled(direct(gw), before, { requests: 4, modelsWithBudget: BUDGETED_MODELS });
    expect(settled.spentDelta).toBeGreaterThan(
      costMicrosOf(answers[0]) + costMicrosOf(answers[1]) + costMicrosOf(after),
    );
  });
});
