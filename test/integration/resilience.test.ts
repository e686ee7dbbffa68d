/**
 * Fallbacks, retries, shared circuit breakers, concurrency caps and DynamoDB outages, through the
 * local runtime with faults injected in the simulated providers.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { STATE_TABLE, tableName } from '../../functions/contracts/table-specs';
import { usageRow } from '../helpers/quota-report';
import type { UpstreamClient } from '../../functions/ports/upstream';
import type { LocalGateway } from '../../local/gateway';
import { eventually, get, hi, post, startTestGateway } from '../helpers/local-gateway';

const OFF = { 'x-switchyard-fallback': 'off' };

describe('fallbacks and retries', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      c.retry = { maxAttemptsPerModel: 2, baseDelayMs: 10, maxDelayMs: 50 };
      c.breaker.failureThreshold = 100; // keep breakers out of these tests
    });
  });
  afterAll(() => gw.close());
  afterEach(() => gw.providers!.clearFaults());

  it('answers from the fallback model when the primary keeps failing, and says so', async () => {
    gw.providers!.setFault({ model: 'gpt-4.1', status: 503 });
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-model')).toBe('deepseek-v3.2');
    expect(r.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:503,gpt-4.1:503,deepseek-v3.2:200');
    expect(r.json.model).toBe('deepseek-chat');
  });

  it('retries a transient failure on the same model', async () => {
    gw.providers!.setFault({ model: 'gpt-4.1', status: 502, times: 1 });
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:502,gpt-4.1:200');
  });

  it('waits the full Retry-After on a 429 before retrying (2 s, not less)', async () => {
    // The router's sleep is recorded instead of slept: the wait it chose, not the wall clock, is checked.
    const waits: number[] = [];
    const { handler } = gw.newRouterInstance({ sleep: async (ms) => void waits.push(ms) });
    gw.setTargetSelector(() => ({ handler, version: '1' }));
    try {
      gw.providers!.setFault({ model: 'gpt-4.1', status: 429, retryAfter: '2', times: 1 });
      gw.providers!.resetRequests();
      const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'), OFF);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:429,gpt-4.1:200');
      expect(gw.providers!.requests().filter((q) => q.model === 'gpt-4.1')).toHaveLength(2);
      expect(waits).toEqual([2000]);
    } finally {
      gw.setTargetSelector();
    }
  });

  it('does not retry a 400 on the same model', async () => {
    gw.providers!.setFault({ model: 'gpt-4.1', status: 400 });
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'), OFF);
    expect(r.status).toBe(400);
    expect(r.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:400');
  });

  it('never gives a different model when fallback is off', async () => {
    gw.providers!.setFault({ model: 'gpt-4.1', status: 503 });
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'), OFF);
    expect(r.status).toBe(502);
    expect(r.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:503,gpt-4.1:503');
  });

  it('routes `auto` by intent and budget and explains it', async () => {
    const r = await post(gw, '/v1/chat/completions', {
      model: 'auto',
      messages: [{ role: 'user', content: 'この文章を要約して' }],
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-route')).toBe('auto');
    expect(r.headers.get('x-switchyard-intent')).toBe('summary');
    expect(r.headers.get('x-switchyard-model')).toBe('gemini-2.5-flash');
    const cheap = await post(
      gw,
      '/v1/chat/completions',
      { model: 'auto', messages: [{ role: 'user', content: 'fix this bug' }] },
      { 'x-budget-factor': '0.1' },
    );
    expect(cheap.headers.get('x-switchyard-intent')).toBe('code');
    expect(cheap.headers.get('x-switchyard-model')).toBe('deepseek-v3.2');
  });
});

describe('circuit breaker shared through DynamoDB', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      c.retry = { maxAttemptsPerModel: 1, baseDelayMs: 0, maxDelayMs: 0 };
      c.breaker = {
        failureThreshold: 4,
        windowMs: 60_000,
        cooldownMs: 400,
        halfOpenProbes: 1,
        successThreshold: 2,
        minDistinctKeys: 1, // these cases are about instances; one key opens it (test/tenancy/shared-breaker.test.ts)
      };
      c.gateway.stateCacheTtlMs = 50;
    });
  });
  afterAll(() => gw.close());

  async function breakerItem() {
    const ddb = createDynamoClient(gw.env);
    const res = await ddb.send(
      new GetItemCommand({
        TableName: tableName(STATE_TABLE, gw.env),
        Key: { pk: { S: 'endpoint#openai-gpt-4.1' }, sk: { S: 'breaker' } },
        ConsistentRead: true,
      }),
    );
    ddb.destroy();
    return res.Item;
  }

  it('opens after N failures seen by two instances, half-opens after the cooldown, then closes', async () => {
    // Both instances run on one clock the test moves: the cooldown passes when the test says so.
    const clock = { t: Date.now() };
    const now = () => clock.t;
    const a = gw.newRouterInstance({}, { now });
    const b = gw.newRouterInstance({}, { now });
    let turn = 0;
    gw.setTargetSelector(() =>
      turn++ % 2 === 0 ? { handler: a.handler, version: 'a' } : { handler: b.handler, version: 'b' },
    );

    gw.providers!.setFault({ model: 'gpt-4.1', status: 500 });
    for (let i = 0; i < 4; i++) expect((await post(gw, '/v1/chat/completions', hi(), OFF)).status).toBe(502);
    expect((await breakerItem())?.phase.S).toBe('open');
    expect(Number((await breakerItem())?.failures.N)).toBe(4);

    // Both instances now refuse without calling upstream (b learns it from DynamoDB: its cached
    // state is refreshed here rather than waited for, so the test does not race the cache TTL).
    await Promise.all([a.deps.state.refresh(), b.deps.state.refresh()]);
    gw.providers!.resetRequests();
    for (let i = 0; i < 2; i++) {
      const r = await post(gw, '/v1/chat/completions', hi(), OFF);
      expect(r.status).toBe(503);
      expect(r.json.error.code).toBe('circuit_open');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(gw.providers!.requests().filter((q) => q.model === 'gpt-4.1')).toHaveLength(0);

    // After the cooldown a probe goes through; two successes close the breaker.
    gw.providers!.clearFaults();
    clock.t += 399;
    expect((await post(gw, '/v1/chat/completions', hi(), OFF)).status).toBe(503);
    clock.t += 1;
    expect((await post(gw, '/v1/chat/completions', hi(), OFF)).status).toBe(200);
    expect((await breakerItem())?.phase.S).toBe('half_open');
    expect((await post(gw, '/v1/chat/completions', hi(), OFF)).status).toBe(200);
    const item = await breakerItem();
    expect(item?.phase.S).toBe('closed');
    expect(Number(item?.failures.N)).toBe(0);
  });
});

describe('half-open probe that gets a client error', () => {
  it('frees the probe slot and leaves the breaker half-open: a bad request cannot keep an endpoint closed', async () => {
    const gw = await startTestGateway((c) => {
      c.retry = { maxAttemptsPerModel: 1, baseDelayMs: 0, maxDelayMs: 0 };
      c.breaker = {
        failureThreshold: 1,
        windowMs: 60_000,
        cooldownMs: 300,
        halfOpenProbes: 1,
        successThreshold: 1,
        minDistinctKeys: 1,
      };
      c.gateway.stateCacheTtlMs = 50;
    });
    try {
      const clock = { t: Date.now() };
      const { handler } = gw.newRouterInstance({}, { now: () => clock.t });
      gw.setTargetSelector(() => ({ handler, version: '1' }));
      gw.providers!.setFault({ model: 'gpt-4.1', status: 500, times: 1 });
      expect((await post(gw, '/v1/chat/completions', hi(), OFF)).status).toBe(502);
      clock.t += 300;
      // The probe after the cooldown is a request the upstream rejects as malformed.
      gw.providers!.setFault({ model: 'gpt-4.1', status: 400, times: 1 });
      expect((await post(gw, '/v1/chat/completions', hi(), OFF)).status).toBe(400);
      // The next request is admitted as the probe (no new cooldown) and closes the breaker.
      const r = await post(gw, '/v1/chat/completions', hi(), OFF);
      expect(r.status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});

describe('concurrency caps across instances', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      c.models.find((m: { id: string }) => m.id === 'gpt-4.1').maxConcurrency = 3;
      c.breaker.failureThreshold = 100;
    });
  });
  afterAll(() => gw.close());

  /**
   * The real upstream client, except that gpt-4.1 calls wait at a gate the test opens: the capped
   * calls stay in flight for as long as the test needs, however slow the machine is.
   */
  function gatedUpstream() {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    let held = 0;
    const upstream: UpstreamClient = {
      async send(call) {
        if (call.body && JSON.parse(call.body).model === 'gpt-4.1') {
          held++;
          await opened;
        }
        return gw.deps.upstream.send(call);
      },
    };
    return { upstream, held: () => held, open };
  }

  /**
   * Sends `n` requests in parallel through two router instances sharing the gate; opens the gate once
   * every request has answered or is waiting at it, and says how many had answered by then.
   */
  async function whileHeld(n: number, headers: Record<string, string>, gate: ReturnType<typeof gatedUpstream>) {
    const a = gw.newRouterInstance({ upstream: gate.upstream });
    const b = gw.newRouterInstance({ upstream: gate.upstream });
    let turn = 0;
    gw.setTargetSelector(() =>
      turn++ % 2 === 0 ? { handler: a.handler, version: 'a' } : { handler: b.handler, version: 'b' },
    );
    let settled = 0;
    const replies = Array.from({ length: n }, () =>
      post(gw, '/v1/chat/completions', hi(), headers).finally(() => settled++),
    );
    // Every request has either answered or is waiting at the gate: the cap was reached with all in flight.
    await eventually(async () => expect(settled + gate.held()).toBe(n), 20_000);
    const early = settled;
    gate.open();
    return { replies: await Promise.all(replies), early };
  }

  afterEach(() => gw.setTargetSelector());

  it('never lets more calls in flight than the cap, with 3x more parallel requests than slots', async () => {
    gw.providers!.resetRequests();
    const gate = gatedUpstream();
    const { replies: results, early } = await whileHeld(9, OFF, gate);
    expect(gate.held()).toBe(3);
    expect(early).toBe(6);
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    expect(ok).toHaveLength(3);
    expect(refused).toHaveLength(6);
    for (const r of refused) {
      expect(r.json.error.code).toBe('concurrency_limit');
      expect(r.headers.get('retry-after')).toBe('1');
    }
    expect(gw.providers!.requests().filter((q) => q.model === 'gpt-4.1')).toHaveLength(3);

    // The slots were given back: the next three all get in.
    gw.setTargetSelector();
    const again = await Promise.all(Array.from({ length: 3 }, () => post(gw, '/v1/chat/completions', hi(), OFF)));
    expect(again.map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('skips a full model to the next candidate', async () => {
    const gate = gatedUpstream();
    const { replies: results } = await whileHeld(5, {}, gate);
    expect(results.every((r) => r.status === 200)).toBe(true);
    const models = results.map((r) => r.headers.get('x-switchyard-model'));
    expect(models.filter((m) => m === 'gpt-4.1')).toHaveLength(3);
    expect(models.filter((m) => m === 'deepseek-v3.2')).toHaveLength(2);
    const spilled = results.find((r) => r.headers.get('x-switchyard-model') === 'deepseek-v3.2')!;
    expect(spilled.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:full,deepseek-v3.2:200');
  });
});

describe('DynamoDB outage', () => {
  it('keeps answering what the quota this instance holds covers, refuses the rest honestly, and says so in /health', async () => {
    const gw = await startTestGateway(
      (c) => {
        c.gateway.stateCacheTtlMs = 20;
      },
      { authorizerCacheTtlMs: 60_000 },
    );
    try {
      // A streak of two keeps the gpt-4.1 slot on this instance between requests.
      expect((await post(gw, '/v1/chat/completions', hi('gpt-4.1', { max_tokens: 20 }))).status).toBe(200);
      expect((await post(gw, '/v1/chat/completions', hi('gpt-4.1', { max_tokens: 20 }))).status).toBe(200);
      await gw.dynamo.close();
      await gw.deps.state.refresh();
      // The authorizer needs the keys table too; API Gateway caches its decision, so reuse that here.
      const held = await post(gw, '/v1/chat/completions', hi('gpt-4.1', { max_tokens: 20 }), OFF);
      expect(held.status).toBe(200);
      expect(held.headers.get('x-switchyard-model')).toBe('gpt-4.1');
      // gemini needs a slot this instance does not hold: refused (bounded), not served blind.
      const other = await post(gw, '/v1/chat/completions', hi('gemini-2.5-flash'), OFF);
      expect(other.status).toBe(503);
      expect(other.json.error.code).toBe('shared_state_unavailable');
      const health = await get(gw, '/health/deep');
      expect(health.json.dynamo.reachable).toBe(false);
      expect(health.json.sharedState.degraded).toContain('concurrency');
    } finally {
      await gw.close();
    }
  });
});

describe('A/B variants', () => {
  it('counts a request against the drawn variant, which failed when a fallback had to answer', async () => {
    const gw = await startTestGateway((c) => {
      c.routes.auto.variants = [{ model: 'gpt-4.1', weight: 1 }];
      c.retry = { maxAttemptsPerModel: 1, baseDelayMs: 0, maxDelayMs: 0 };
    });
    try {
      const row = async () => usageRow(gw, 'variant#auto:gpt-4.1');
      gw.providers!.setFault({ model: 'gpt-4.1', status: 503, times: 1 });
      const failed = await post(gw, '/v1/chat/completions', {
        model: 'auto',
        messages: [{ role: 'user', content: 'hello' }],
      });
      expect(failed.headers.get('x-switchyard-variant')).toBe('gpt-4.1');
      expect(failed.headers.get('x-switchyard-model')).not.toBe('gpt-4.1');
      await eventually(async () =>
        expect(await row()).toMatchObject({ requests: 1, successes: 0, errors: 1, costMicros: 0 }),
      );
      const served = await post(gw, '/v1/chat/completions', {
        model: 'auto',
        messages: [{ role: 'user', content: 'hello' }],
      });
      expect(served.headers.get('x-switchyard-model')).toBe('gpt-4.1');
      await eventually(async () => expect(await row()).toMatchObject({ requests: 2, successes: 1, errors: 1 }));
    } finally {
      await gw.close();
    }
  });
});
