/**
 * The health check for real: probe rounds over HTTP against simulated providers, results written to
 * dynalite through the real AWS SDK, and the router's picker reading them back through a state
 * snapshot, as it does on AWS. Two providers serve one model so one endpoint can be taken down.
 */
import type { Context } from 'aws-lambda';
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { createDynamoHealth } from '../../functions/adapters/dynamo/dynamo-health';
import { fromItem, healthKey } from '../../functions/adapters/dynamo/health-item';
import { createDynamoHealthStore } from '../../functions/adapters/dynamo/health-store';
import { createStateSnapshot } from '../../functions/adapters/dynamo/state-snapshot';
import type { StateSnapshot } from '../../functions/ports/state-snapshot';
import { STATE_TABLE, tableName } from '../../functions/contracts/table-specs';
import type { HealthRoundMetrics } from '../../functions/adapters/telemetry/cloudwatch-health-metrics';
import { compileConfig, type CompiledConfig, type CompiledModel } from '../../functions/core/config/compile';
import { createHealthCheckDeps } from '../../functions/health-check/default-deps';
import { createHealthCheckHandler } from '../../functions/health-check/lambda-handler';
import { runRound, type HealthCheckDeps } from '../../functions/health-check/run-rounds';
import { createHealthAwareEndpointPicker } from '../../functions/router/health-aware-endpoint-picker';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startLocalDynamo, type LocalDynamo } from '../../local/dynamo';
import { startSimulatedProviders } from '../../local/providers';
import type { SimulatedProviders } from '../../local/providers';
import { seeded } from '../../local/seeded-random';

const MODEL = 'gpt-4.1';

function twoEndpointConfig(sim: SimulatedProviders, edit: (c: any) => void = () => undefined): unknown {
  const cfg: any = {
    providers: {
      'openai-us': { baseUrl: sim.baseUrlFor('openai-us'), region: 'us-east-1' },
      'openai-eu': { baseUrl: sim.baseUrlFor('openai-eu'), region: 'eu-west-1' },
    },
    models: [
      {
        id: MODEL,
        pricing: { inputPerMTok: 2, outputPerMTok: 8 },
        contextWindow: 1_000_000,
        maxOutputTokens: 1000,
        balancing: 'weighted',
        endpoints: [
          { id: 'gpt-us', provider: 'openai-us', upstreamModel: 'gpt-4.1', region: 'us-east-1', weight: 1 },
          { id: 'gpt-eu', provider: 'openai-eu', upstreamModel: 'gpt-4.1', region: 'eu-west-1', weight: 3 },
        ],
      },
    ],
    health: { probeTimeoutMs: 1_000, degradedLatencyMs: 2_000 },
  };
  edit(cfg);
  return cfg;
}

describe('health check against simulated providers and dynalite', () => {
  let dynamo: LocalDynamo;
  let sim: SimulatedProviders;
  let env: NodeJS.ProcessEnv;
  let tablePrefix = 0;

  beforeAll(async () => {
    sim = await startSimulatedProviders({ timeScale: 0.01 });
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(async () => {
    // A fresh dynalite per test: each starts with no health data.
    dynamo = await startLocalDynamo({ tablePrefix: `hc${tablePrefix++}-` });
    env = { ...process.env, ...dynamo.env };
    sim.clearFaults();
    sim.resetRequests();
  });
  afterEach(async () => {
    await dynamo.close();
  });

  interface Harness {
    config: CompiledConfig;
    model: CompiledModel;
    deps: HealthCheckDeps;
    published: HealthRoundMetrics[];
    logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>;
    snapshot: StateSnapshot;
    round(): Promise<void>;
    picks(n: number, opts?: { callerRegion?: string }): Record<string, number>;
    picker: ReturnType<typeof createHealthAwareEndpointPicker>;
  }

  function harness(edit?: (c: any) => void, pickerOpts: { now?: () => number; region?: string } = {}): Harness {
    const configJson = twoEndpointConfig(sim, edit);
    const published: HealthRoundMetrics[] = [];
    const logs: Harness['logs'] = [];
    const deps = createHealthCheckDeps(env, {
      configJson,
      metrics: { publish: async (r) => void published.push(r) },
      log: (level, msg, fields) => void logs.push({ level, msg, fields }),
    });
    const config = compileConfig(configJson);
    const snapshot = createStateSnapshot({
      ddb: createDynamoClient(env),
      table: tableName(STATE_TABLE, env),
      endpointIds: [...config.endpoints.keys()],
      ttlMs: 60_000,
      dynamo: createDynamoHealth(() => undefined),
      now: Date.now,
    });
    const picker = createHealthAwareEndpointPicker({ config, snapshot, random: seeded(7), ...pickerOpts });
    const model = config.models.get(MODEL)!;
    return {
      config,
      model,
      deps,
      published,
      logs,
      snapshot,
      picker,
      async round() {
        await runRound(deps, { minSpacingMs: 0 });
        await snapshot.refresh();
      },
      picks(n, opts = {}) {
        const counts: Record<string, number> = {};
        for (let i = 0; i < n; i++) {
          const e = picker.pick(model, { exclude: new Set(), callerRegion: opts.callerRegion });
          const key = e?.id ?? 'none';
          counts[key] = (counts[key] ?? 0) + 1;
        }
        return counts;
      },
    };
  }

  it('publishes how many rounds an endpoint has stayed down, from the stored state, and 0 once it is back', async () => {
    const h = harness();
    sim.setFault({ provider: 'openai-eu', status: 503 });
    for (let i = 0; i < 5; i++) await h.round();
    const roundsDown = () =>
      h.published.map((r) => r.endpoints.find((e) => e.endpointId === 'gpt-eu')?.downRounds ?? 'not recorded');
    // failuresToDown = 3: down from the third round, then one more round down per round.
    expect(roundsDown()).toEqual([0, 0, 1, 2, 3]);
    expect(h.published.map((r) => r.endpoints.find((e) => e.endpointId === 'gpt-us')?.downRounds)).toEqual([
      0, 0, 0, 0, 0,
    ]);
    const stored = await createDynamoClient(env).send(
      new GetItemCommand({ TableName: tableName(STATE_TABLE, env), Key: healthKey('gpt-eu') }),
    );
    expect(fromItem(stored.Item)).toMatchObject({ status: 'down', downRounds: 3 });
    sim.clearFaults();
    await h.round();
    await h.round();
    expect(roundsDown().slice(5)).toEqual([4, 0]);
  });

  it('marks an endpoint down after 3 failed rounds and routes nothing to it; 2 good rounds bring it back', async () => {
    const h = harness();
    await h.round();
    expect(h.picker.summary()).toMatchObject({ healthy: 2, down: 0 });

    sim.setFault({ provider: 'openai-eu', status: 503 });
    await h.round();
    await h.round();
    expect(h.picker.view('gpt-eu').status).toBe('healthy');
    expect(h.picks(50)['gpt-eu']).toBeGreaterThan(0);

    await h.round();
    expect(h.picker.view('gpt-eu')).toMatchObject({ status: 'down', lastError: 'HTTP 503' });
    expect(h.picks(200)).toEqual({ 'gpt-us': 200 });
    expect(h.picker.modelStatus(h.model)).toBe('healthy');
    const summary = h.picker.summary();
    expect(summary).toMatchObject({ healthy: 1, degraded: 0, down: 1, unknown: 0 });
    expect(summary.endpoints.find((e) => e.id === 'gpt-eu')).toEqual({
      id: 'gpt-eu',
      model: MODEL,
      region: 'eu-west-1',
      status: 'down',
      latencyEwmaMs: expect.any(Number),
      lastError: 'HTTP 503',
    });
    expect(JSON.stringify(summary)).not.toContain('127.0.0.1');
    expect(h.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'endpoint health changed',
        fields: expect.objectContaining({ endpoint: 'gpt-eu', from: 'healthy', to: 'down' }),
      }),
    );
    // CloudWatch: the round that took it down says so.
    const last = h.published[h.published.length - 1];
    expect(last.endpoints).toContainEqual({
      endpointId: 'gpt-eu',
      model: MODEL,
      up: false,
      downRounds: 1,
      latencyMs: undefined,
    });
    expect(last.models).toEqual([{ model: MODEL, healthyEndpoints: 1 }]);

    sim.clearFaults();
    await h.round();
    expect(h.picker.view('gpt-eu').status).toBe('down');
    expect(h.picks(50)['gpt-eu']).toBeUndefined();
    await h.round();
    expect(h.picker.view('gpt-eu').status).toBe('healthy');
    const after = h.picks(200);
    expect(after['gpt-eu']).toBeGreaterThan(100); // weight 3 of 4
    expect(after['gpt-us']).toBeGreaterThan(0);
  });

  it('says the model is down only when every endpoint is down, and picks nothing then', async () => {
    const h = harness((c) => {
      c.health.probeTimeoutMs = 150;
    });
    sim.setFault({ provider: 'openai-eu', status: 500 });
    sim.setFault({ provider: 'openai-us', hang: true });
    for (let i = 0; i < 3; i++) await h.round();
    expect(h.picker.modelStatus(h.model)).toBe('down');
    expect(h.picker.pick(h.model, { exclude: new Set() })).toBeUndefined();
    expect(h.picker.view('gpt-us').lastError).toBe('timeout after 150 ms');
    expect(h.published[h.published.length - 1].models).toEqual([{ model: MODEL, healthyEndpoints: 0 }]);
  });

  it('latency routing picks the faster endpoint, the caller region first, and degraded only as a last resort', async () => {
    const h = harness((c) => {
      c.models[0].balancing = 'latency';
    });
    sim.setFault({ provider: 'openai-eu', latencyMs: 300 });
    await h.round();
    await h.round();
    const us = h.picker.view('gpt-us').latencyEwmaMs!;
    const eu = h.picker.view('gpt-eu').latencyEwmaMs!;
    expect(eu).toBeGreaterThan(us);
    expect(h.picks(20)).toEqual({ 'gpt-us': 20 });
    expect(h.picks(20, { callerRegion: 'eu-west-1' })).toEqual({ 'gpt-eu': 20 });

    // The deployment region stands in when the edge sent none.
    const euDeployment = createHealthAwareEndpointPicker({
      config: h.config,
      snapshot: h.snapshot,
      region: 'eu-west-1',
    });
    expect(euDeployment.pick(h.model, { exclude: new Set() })!.id).toBe('gpt-eu');
    expect(euDeployment.pick(h.model, { exclude: new Set(), callerRegion: 'us-east-1' })!.id).toBe('gpt-us');
  });

  it('sends traffic to a degraded endpoint only when nothing healthy is left', async () => {
    // Wide margins: the healthy endpoint's probe must stay under the threshold on a busy machine too.
    const h = harness((c) => {
      c.health.degradedLatencyMs = 500;
      c.health.probeTimeoutMs = 5_000;
    });
    sim.setFault({ provider: 'openai-eu', latencyMs: 1_000 });
    await h.round();
    expect(h.picker.view('gpt-eu').status).toBe('degraded');
    expect(h.picks(50)).toEqual({ 'gpt-us': 50 });
    expect(h.picker.pick(h.model, { exclude: new Set(['gpt-us']) })!.id).toBe('gpt-eu');
    expect(h.picker.modelStatus(h.model)).toBe('healthy');
  });

  it('least in-flight prefers the idle endpoint', async () => {
    const h = harness((c) => {
      c.models[0].balancing = 'least_inflight';
    });
    await h.round();
    h.picker.started('gpt-eu');
    h.picker.started('gpt-eu');
    h.picker.started('gpt-us');
    expect(h.picks(10)).toEqual({ 'gpt-us': 10 });
    h.picker.finished('gpt-eu');
    h.picker.finished('gpt-eu');
    expect(h.picks(10)).toEqual({ 'gpt-eu': 10 });
    // A cross-instance count (e.g. leases) replaces the local one when given.
    const shared = createHealthAwareEndpointPicker({
      config: h.config,
      snapshot: h.snapshot,
      inflightSource: (id) => (id === 'gpt-us' ? 5 : 9),
    });
    expect(shared.pick(h.model, { exclude: new Set() })!.id).toBe('gpt-us');
  });

  it("stores the fleet's mean call time with each endpoint's health; least in-flight shares picks by it", async () => {
    const h = harness((c) => {
      c.models[0].balancing = 'least_inflight';
    });
    // The real wiring reads the cost table's recent-call counters (none yet here).
    await expect(h.deps.recentCalls!.recent(Date.now(), 60_000)).resolves.toEqual([]);
    let unreadable = false;
    h.deps.recentCalls = {
      recent: async () => {
        if (unreadable) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
        return [
          { endpoint: 'gpt-us', calls: 20, faults: 0, busyMs: 20 * 900 },
          { endpoint: 'gpt-eu', calls: 20, faults: 1, busyMs: 20 * 100 },
        ];
      },
    };
    await h.round();
    const stored = async (id: string) =>
      fromItem(
        (
          await createDynamoClient(env).send(
            new GetItemCommand({ TableName: tableName(STATE_TABLE, env), Key: healthKey(id) }),
          )
        ).Item,
      );
    expect((await stored('gpt-us'))?.fleetCallMs).toBe(900);
    expect((await stored('gpt-eu'))?.fleetCallMs).toBe(100);
    // weight / call time: gpt-eu 3/100 against gpt-us 1/900, so about 96% of new instances' picks.
    const picks = h.picks(1000);
    expect(picks['gpt-eu'] / 1000).toBeGreaterThan(0.93);
    expect(picks['gpt-us']).toBeGreaterThan(0);
    // Counters that cannot be read keep the last figures rather than dropping to plain weights.
    unreadable = true;
    await h.round();
    expect((await stored('gpt-us'))?.fleetCallMs).toBe(900);
    expect(h.logs.some((l) => l.msg.includes('recent call counters unreadable'))).toBe(true);
  });

  it('weighted balancing over 1,000 picks lands within 5 points of the weights', async () => {
    const h = harness();
    await h.round();
    const counts = h.picks(1000);
    expect(Math.abs(counts['gpt-eu'] / 1000 - 0.75)).toBeLessThan(0.05);
    expect(Math.abs(counts['gpt-us'] / 1000 - 0.25)).toBeLessThan(0.05);
  });

  it('round robin alternates between healthy endpoints', async () => {
    const h = harness((c) => {
      c.models[0].balancing = 'round_robin';
    });
    const order = Array.from({ length: 4 }, () => h.picker.pick(h.model, { exclude: new Set() })!.id);
    // The starting endpoint is random per instance; after it the picks alternate.
    expect(new Set(order)).toEqual(new Set(['gpt-us', 'gpt-eu']));
    expect(order.every((id, i) => i === 0 || id !== order[i - 1])).toBe(true);
  });

  it('ignores stale health: a stopped health check cannot keep an endpoint out', async () => {
    let now = Date.now();
    const h = harness(undefined, { now: () => now });
    sim.setFault({ provider: 'openai-eu', status: 503 });
    for (let i = 0; i < 3; i++) await h.round();
    expect(h.picker.view('gpt-eu').status).toBe('down');
    now += 91_000;
    expect(h.picker.view('gpt-eu').status).toBe('unknown');
    expect(h.picks(200)['gpt-eu']).toBeGreaterThan(0);
  });

  it('records one result per round when invocations overlap, and never an older one over a newer one', async () => {
    const h = harness();
    const table = tableName(STATE_TABLE, env);
    const ddb = createDynamoClient(env);
    await runRound(h.deps, { minSpacingMs: 5_000 });
    // A second invocation probing in the same round: its results are dropped, not counted again.
    const second = await runRound(h.deps, { minSpacingMs: 5_000 });
    expect(second.endpoints.every((e) => !e.recorded)).toBe(true);
    const item = (await ddb.send(new GetItemCommand({ TableName: table, Key: healthKey('gpt-eu') }))).Item;
    expect(fromItem(item)).toMatchObject({ version: 1, consecutiveSuccesses: 1 });
    expect(h.published[1].endpoints).toEqual([]);

    const store = createDynamoHealthStore(ddb, table);
    const stored = (await store.read('gpt-eu'))!;
    // Lost update: a writer that read version 1 loses to one that already wrote version 2.
    expect(await store.write('gpt-eu', { ...stored, probedAt: stored.probedAt + 10, version: 2 }, 1)).toBe(true);
    expect(await store.write('gpt-eu', { ...stored, probedAt: stored.probedAt + 20, version: 2 }, 1)).toBe(false);
    // Older result on the right version: refused by the probedAt condition.
    expect(await store.write('gpt-eu', { ...stored, probedAt: stored.probedAt - 1, version: 3 }, 2)).toBe(false);
    // Creating an item that another writer created first.
    expect(await store.write('gpt-us', { ...stored, version: 1 }, undefined)).toBe(false);
    // Concurrent rounds from two invocations never lose a count: the loser re-reads and retries.
    const [a, b] = await Promise.all([runRound(h.deps, { minSpacingMs: 0 }), runRound(h.deps, { minSpacingMs: 0 })]);
    expect(
      [...a.endpoints, ...b.endpoints].filter((e) => e.endpointId === 'gpt-us' && e.recorded).length,
    ).toBeGreaterThanOrEqual(1);
    const us = (await store.read('gpt-us'))!;
    const recordedUs = [...a.endpoints, ...b.endpoints].filter((e) => e.endpointId === 'gpt-us' && e.recorded).length;
    expect(us.version).toBe(1 + recordedUs);
    expect(us.consecutiveSuccesses).toBe(1 + recordedUs);
    ddb.destroy();
  });

  it('the scheduled handler runs one round per probe interval of its period', async () => {
    const h = harness((c) => {
      c.health.probeIntervalMs = 30;
      c.health.probeTimeoutMs = 500;
    });
    const handler = createHealthCheckHandler(h.deps, { schedulePeriodMs: 90, minSpacingMs: 0 });
    const report = await handler({}, { getRemainingTimeInMillis: () => 60_000 } as Context);
    expect(report).toMatchObject({ rounds: 3, failedRounds: 0, last: { healthy: 2, degraded: 0, down: 0 } });
    expect(sim.requests().filter((r) => r.path.endsWith('/models'))).toHaveLength(6);
    // Not enough time left for a round (its probe timeout plus 3 s of margin): nothing starts. Just
    // under that, so the quota sweep that runs first has seconds before middy's own timeout.
    const late = await handler({}, { getRemainingTimeInMillis: () => 3_400 } as Context);
    expect(late.rounds).toBe(0);
  });

  it('probes with a 1-token completion where configured, with the provider key', async () => {
    const h = harness((c) => {
      c.providers['openai-us'].apiKeyRef = 'HC_TEST_KEY';
      c.models[0].endpoints[0].probe = 'completion';
    });
    // The secret source reads the environment when asked, so setting the key now is enough.
    env.HC_TEST_KEY = 'sk-test-probe-key';
    await runRound(h.deps, { minSpacingMs: 0 });
    const reqs = sim.requests();
    const us = reqs.find((r) => r.provider === 'openai-us')!;
    expect(us.path).toBe('/openai-us/v1/chat/completions');
    expect(us.body).toMatchObject({ model: 'gpt-4.1', max_tokens: 1 });
    expect(us.authorization).toBe('Bearer sk-test-probe-key');
    expect(reqs.find((r) => r.provider === 'openai-eu')!.path).toBe('/openai-eu/v1/models');
    await h.snapshot.refresh();
    expect(h.picker.view('gpt-us').status).toBe('healthy');
  });

  it('an unreadable health item counts as unknown, not down', async () => {
    const h = harness();
    const ddb = createDynamoClient(env);
    await ddb.send(
      new PutItemCommand({
        TableName: tableName(STATE_TABLE, env),
        Item: { ...healthKey('gpt-eu'), status: { S: '???' } },
      }),
    );
    await h.snapshot.refresh();
    expect(h.picker.view('gpt-eu').status).toBe('unknown');
    ddb.destroy();
  });
});
