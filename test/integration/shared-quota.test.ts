/**
 * Quota slices against dynalite with several simulated router instances (each its own adapter:
 * its own slices, slots and holder record), as Lambda would run them.
 */
import { useCostTable } from '../helpers/cost-table';
import { scopeTotals } from '../helpers/scope-totals';
import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { createCounterOps } from '../../functions/adapters/dynamo/quota/counters';
import { createHolderOps, decodeDef, encodeDef } from '../../functions/adapters/dynamo/quota/holders';
import { COUNTER_SK, shardPk, slotPk } from '../../functions/adapters/dynamo/quota/keys';
import { createSharedQuota, type SharedQuotaAdapter } from '../../functions/adapters/dynamo/quota/shared-quota';
import { createQuotaReport } from '../../functions/adapters/dynamo/quota/report';
import { sweepExpired } from '../../functions/adapters/dynamo/quota/sweep';
import type { QuotaScope } from '../../functions/core/quota/scope';
import type { QuotaHold } from '../../functions/ports/shared-quota';
import { seeded as seededRandom } from '../../local/seeded-random';

const throttled = () =>
  Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
    name: 'ProvisionedThroughputExceededException',
    $metadata: { httpStatusCode: 400 },
  });

describe('shared quota (slices over DynamoDB)', () => {
  let ddb: DynamoDBClient;
  let table: string;
  let run = 0;
  useCostTable((s) => ({ ddb, table } = s));

  /** Each test uses its own scope ids, so tests never see each other's items. */
  function budget(limit: number, shards: number): QuotaScope {
    run++;
    return { kind: 'budget', id: `key#t${run}`, period: 'd2026-12-06', limit, shards };
  }

  function instance(
    clock: { t: number },
    opts: {
      client?: DynamoDBClient;
      seed?: number;
      onStoreError?: 'bounded' | 'open';
      id?: string;
      usageFlushMs?: number;
    } = {},
  ): SharedQuotaAdapter {
    const client = opts.client ?? ddb;
    const mode = opts.onStoreError ?? 'bounded';
    return createSharedQuota({
      counters: createCounterOps(client, table),
      holders: createHolderOps(client, table),
      holderPartitions: 4,
      termMs: 60_000,
      requestHoldMs: 30_000,
      slotStreakMs: 1_000,
      slotShards: 2,
      onStoreError: { budget: mode, rate: mode, concurrency: mode },
      random: seededRandom(opts.seed ?? 1),
      now: () => clock.t,
      instanceId: opts.id,
      log: () => undefined,
      sweepEveryMs: 1e12,
      usageFlushMs: opts.usageFlushMs,
    });
  }

  const shards = (scope: QuotaScope) => scopeTotals(createCounterOps(ddb, table), scope);

  const sweep = (now: number) =>
    sweepExpired({
      counters: createCounterOps(ddb, table),
      holders: createHolderOps(ddb, table),
      partitions: 4,
      now,
      log: () => undefined,
    });

  test('200 requests on 8 instances never settle past a $0.05 limit, and every unit is accounted', async () => {
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const scope = budget(50_000, 4);
    const fleet = Array.from({ length: 8 }, (_, i) => instance(clock, { seed: i + 1 }));
    const rnd = seededRandom(7);
    let settled = 0;
    let admitted = 0;
    // As on Lambda: each instance serves one request at a time, the instances run side by side.
    await Promise.all(
      fleet.map(async (q) => {
        for (let i = 0; i < 25; i++) {
          const a = await q.admit([{ scope, amount: 1_000 }], undefined, clock.t);
          if (!a.ok) continue;
          admitted++;
          const actual = 1 + Math.floor(rnd() * 1_000);
          settled += actual;
          q.settle(a.hold, [actual], clock.t);
          await q.record([], clock.t);
        }
      }),
    );
    expect(admitted).toBeGreaterThanOrEqual(50);
    expect(settled).toBeLessThanOrEqual(50_000);
    // Everyone gives everything back once their records expire (no instance says goodbye on Lambda).
    clock.t += 120_000;
    await sweep(clock.t);
    const after = await shards(scope);
    expect(after.sliced).toBe(0);
    expect(after.spent).toBe(settled);
    expect(after.avail + after.spent).toBe(50_000);
  }, 120_000);

  test('a busy instance spends from its slice with one write per request, none before the call; usage every 10 s', async () => {
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const scope = budget(100_000_000, 4);
    const dim = `model#busy${run}`;
    const counting = countingClient(ddb);
    const q = instance(clock, { client: counting.client, usageFlushMs: 10_000 });
    const first = await q.admit([{ scope, amount: 1_000 }], undefined, clock.t);
    expect(first.ok).toBe(true);
    q.settle((first as { hold: QuotaHold }).hold, [500], clock.t);
    await q.record(
      [{ dims: [dim], ok: true, promptTokens: 1, completionTokens: 1, costMicros: 500, latencyMs: 5 }],
      clock.t,
    );
    counting.reset();
    for (let i = 0; i < 20; i++) {
      clock.t += 100;
      const before = counting.writes();
      const a = await q.admit([{ scope, amount: 1_000 }], undefined, clock.t);
      if (!a.ok) throw new Error('refused');
      expect(counting.writes()).toBe(before);
      q.settle(a.hold, [500], clock.t);
      await q.record(
        [{ dims: [dim], ok: true, promptTokens: 1, completionTokens: 1, costMicros: 500, latencyMs: 5 }],
        clock.t,
      );
    }
    expect(counting.writes()).toBe(20);
    // Ten seconds after the last usage write, the next request also writes the usage gathered since.
    clock.t += 10_000;
    const a = await q.admit([{ scope, amount: 1_000 }], undefined, clock.t);
    if (!a.ok) throw new Error('refused');
    q.settle(a.hold, [500], clock.t);
    await q.record(
      [{ dims: [dim], ok: true, promptTokens: 1, completionTokens: 1, costMicros: 500, latencyMs: 5 }],
      clock.t,
    );
    expect(counting.writes()).toBe(22);
    const report = createQuotaReport({
      counters: createCounterOps(ddb, table),
      holders: createHolderOps(ddb, table),
      partitions: 4,
      slotShards: 4,
    });
    const model = (await report.usage('2026-12-06')).find((r) => r.scope === dim);
    expect(model?.requests).toBe(22);
  });

  test('a killed instance: its slices and slots come back one term after its last write, by the sweep', async () => {
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const scope = budget(1_000_000, 2);
    const dead = instance(clock, { id: 'dead-one' });
    const a = await dead.admit([{ scope, amount: 10_000 }], { model: `m${run}`, cap: 3 }, clock.t);
    if (!a.ok) throw new Error('refused');
    // kill -9 mid-request: nothing is settled, released or recorded.
    const held = await shards(scope);
    expect(held.sliced).toBeGreaterThan(0);
    const counters = createCounterOps(ddb, table);
    const slotsInFlight = async () =>
      (await counters.readSlots(`m${run}`, 0)) + (await counters.readSlots(`m${run}`, 1));
    expect(await slotsInFlight()).toBe(1);
    clock.t += 30_000;
    await sweep(clock.t);
    expect((await shards(scope)).sliced).toBeGreaterThan(0);
    clock.t += 31_000;
    expect((await sweep(clock.t)).records).toBeGreaterThanOrEqual(1);
    const after = await shards(scope);
    expect(after).toEqual({ avail: 1_000_000, spent: 0, sliced: 0 });
    expect(await slotsInFlight()).toBe(0);
    // Claimed once: a second sweep gives nothing back twice.
    await sweep(clock.t);
    expect(await shards(scope)).toEqual({ avail: 1_000_000, spent: 0, sliced: 0 });
  });

  test('a cap holds across instances: 3 slots, 10 instances asking at once', async () => {
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const model = `capped${run++}`;
    const fleet = Array.from({ length: 10 }, (_, i) => instance(clock, { seed: 100 + i }));
    const results = await Promise.all(fleet.map((q) => q.admit([], { model, cap: 3 }, clock.t)));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(results.filter((r) => !r.ok && r.reason === 'full')).toHaveLength(7);
    // What the console's models view shows: every slot of the cap held across the fleet.
    const report = createQuotaReport({
      counters: createCounterOps(ddb, table),
      holders: createHolderOps(ddb, table),
      partitions: 4,
      slotShards: 2,
    });
    expect(await report.slotsHeld(model, 3)).toBe(3);
    expect(await report.slotsHeld(`never-called-${run}`, 3)).toBe(0);
  });

  test('DynamoDB throttling: requests covered by held slices are served, the rest refused, never past the limit', async () => {
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const scope = budget(500_000, 2);
    let throttle = false;
    const client = {
      send: (cmd: unknown) =>
        throttle && cmd instanceof UpdateItemCommand && String(cmd.input.Key?.pk?.S).startsWith('q#')
          ? Promise.reject(throttled())
          : ddb.send(cmd as never),
    } as unknown as DynamoDBClient;
    const fleet = Array.from({ length: 4 }, (_, i) => instance(clock, { client, seed: 200 + i }));
    // Warm: each instance takes a slice.
    for (const q of fleet) {
      const a = await q.admit([{ scope, amount: 1_000 }], undefined, clock.t);
      if (a.ok) q.settle(a.hold, [1_000], clock.t);
    }
    throttle = true;
    let served = 0;
    let unavailable = 0;
    let spent = 4_000;
    // More than the slices the instances hold (32 requests' worth each) can cover.
    for (let i = 0; i < 200; i++) {
      const q = fleet[i % 4];
      const a = await q.admit([{ scope, amount: 1_000 }], undefined, clock.t);
      if (a.ok) {
        served++;
        spent += 1_000;
        q.settle(a.hold, [1_000], clock.t);
      } else if (a.reason === 'unavailable') unavailable++;
    }
    expect(served).toBeGreaterThan(0);
    expect(unavailable).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(500_000);
    expect(fleet[0].degraded()).toContain('budget');
    throttle = false;
    for (const q of fleet) await q.record([], clock.t);
    clock.t += 120_000;
    await sweep(clock.t);
    const after = await shards(scope);
    expect(after.spent).toBe(spent);
    expect(after.avail + after.spent).toBe(500_000);
  });

  test('fail-open mode serves through a throttled store and charges the use once it answers', async () => {
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const scope = budget(5_000, 1);
    let throttle = true;
    const client = {
      send: (cmd: unknown) =>
        throttle && cmd instanceof UpdateItemCommand ? Promise.reject(throttled()) : ddb.send(cmd as never),
    } as unknown as DynamoDBClient;
    const q = instance(clock, { client, onStoreError: 'open' });
    for (let i = 0; i < 3; i++) {
      const a = await q.admit([{ scope, amount: 1_000 }], undefined, clock.t);
      if (!a.ok) throw new Error('open mode refused');
      q.settle(a.hold, [700], clock.t);
      await q.record([], clock.t);
    }
    expect(q.degraded()).toContain('budget');
    throttle = false;
    await q.record([], clock.t);
    expect((await shards(scope)).spent).toBe(2_100);
  });

  test('an instance serving 100 keys keeps its holder record small: usage lives in usage items, reports stay exact', async () => {
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const scope = budget(1_000_000_000, 1);
    const q = instance(clock, { id: `seal${run}` });
    for (let k = 0; k < 100; k++) {
      const a = await q.admit([{ scope, amount: 1_000 }], undefined, clock.t);
      if (!a.ok) throw new Error('refused');
      q.settle(a.hold, [700], clock.t);
      await q.record(
        [
          {
            dims: [`key#k${run}_${k}`, 'model#m'],
            ok: true,
            promptTokens: 10,
            completionTokens: 5,
            costMicros: 700,
            latencyMs: 120,
          },
        ],
        clock.t,
      );
      clock.t += 10;
    }
    const { pk, sk } = q.holdings().record;
    const item = (await ddb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: sk } } })))
      .Item!;
    // DynamoDB's item size: attribute names plus values (numbers and strings at about their length).
    const bytes = Object.entries(item).reduce((n, [k, v]) => n + k.length + String(v.N ?? v.S ?? '').length, 0);
    expect(bytes).toBeLessThan(3_072);
    const report = createQuotaReport({
      counters: createCounterOps(ddb, table),
      holders: createHolderOps(ddb, table),
      partitions: 4,
      slotShards: 4,
    });
    const rows = await report.usage('2026-12-06');
    const mine = rows.filter((r) => r.scope.startsWith(`key#k${run}_`));
    expect(mine).toHaveLength(100);
    expect(mine.every((r) => r.requests === 1 && r.costMicros === 700 && r.successes === 1)).toBe(true);
    const model = rows.find((r) => r.scope === 'model#m');
    expect(model?.requests).toBeGreaterThanOrEqual(100);
    const budgets = await report.budgets('2026-12-06');
    expect(budgets.find((b) => b.scope === scope.id)?.spentMicros).toBe(70_000);
  });

  test('a slice left unused for 30 s goes back to its shards at the next write', async () => {
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const idle = budget(10_000_000, 1);
    const busy = budget(10_000_000, 1);
    const q = instance(clock);
    const a = await q.admit([{ scope: idle, amount: 1_000 }], undefined, clock.t);
    if (!a.ok) throw new Error('refused');
    q.settle(a.hold, [400], clock.t);
    await q.record([], clock.t);
    expect((await shards(idle)).sliced).toBeGreaterThan(400);
    clock.t += 29_000;
    const b = await q.admit([{ scope: busy, amount: 1_000 }], undefined, clock.t);
    if (!b.ok) throw new Error('refused');
    q.settle(b.hold, [400], clock.t);
    await q.record([], clock.t);
    expect((await shards(idle)).sliced).toBeGreaterThan(400);
    clock.t += 2_000;
    const c = await q.admit([{ scope: busy, amount: 1_000 }], undefined, clock.t);
    if (!c.ok) throw new Error('refused');
    q.settle(c.hold, [400], clock.t);
    await q.record([], clock.t);
    const after = await shards(idle);
    expect(after.sliced).toBe(0);
    expect(after.spent).toBe(400);
    expect(after.avail).toBe(10_000_000 - 400);
    expect(q.holdings().slices.filter((s) => s.scope.id === idle.id)).toHaveLength(0);
  });

  test('a request still in flight when the sweep claims its record is charged once, and its slice never comes back twice', async () => {
    // Its renewals failed (DynamoDB unreachable past the record's term), the sweep took the record
    // for dead and returned the slice's rest; then the request ends and DynamoDB answers again.
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const scope = budget(10_000, 1);
    const q = instance(clock);
    const a = await q.admit([{ scope, amount: 1_000 }], undefined, clock.t);
    if (!a.ok) throw new Error('refused');
    clock.t += 60_001;
    await sweep(clock.t);
    expect(await shards(scope)).toMatchObject({ sliced: 0, spent: 0, avail: 10_000 });
    // A write of the instance's meets the swept record (another request's, say) before this one ends.
    await q.record([], clock.t);
    q.settle(a.hold, [700], clock.t);
    await q.record([], clock.t);
    await q.record([], clock.t);
    // The late use is charged (spent), the slice is not credited a second time.
    expect(await shards(scope)).toMatchObject({ sliced: 0, spent: 700, avail: 9_300 });
    clock.t += 200_000;
    await sweep(clock.t);
    expect(await shards(scope)).toMatchObject({ sliced: 0, spent: 700, avail: 9_300 });
  });

  test('property: any interleaving of admit, settle, release, record, kill and sweep keeps use within the limit and loses nothing', async () => {
    type Op =
      | { op: 'admit'; who: number; amount: number; actual: number }
      | { op: 'release'; who: number }
      | { op: 'record'; who: number }
      | { op: 'kill'; who: number }
      | { op: 'tick'; ms: number }
      | { op: 'sweep' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        op: fc.constant('admit' as const),
        who: fc.nat(2),
        amount: fc.integer({ min: 1, max: 3_000 }),
        actual: fc.nat(3_000),
      }),
      fc.record({ op: fc.constant('release' as const), who: fc.nat(2) }),
      fc.record({ op: fc.constant('record' as const), who: fc.nat(2) }),
      fc.record({ op: fc.constant('kill' as const), who: fc.nat(2) }),
      fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 40_000 }) }),
      fc.constant({ op: 'sweep' as const }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 5, maxLength: 25 }),
        fc.integer({ min: 1_000, max: 20_000 }),
        async (ops, limit) => {
          const clock = { t: Date.UTC(2026, 11, 6, 12) };
          const scope = budget(limit, 2);
          const fleet = [0, 1, 2].map((i) => instance(clock, { seed: run * 10 + i }));
          const open: Array<Array<{ hold: QuotaHold; actual: number }>> = [[], [], []];
          let settled = 0;
          for (const o of ops) {
            if (o.op === 'admit') {
              const a = await fleet[o.who].admit([{ scope, amount: o.amount }], undefined, clock.t);
              if (a.ok) open[o.who].push({ hold: a.hold, actual: Math.min(o.actual, o.amount) });
            } else if (o.op === 'release') {
              const h = open[o.who].shift();
              if (h) {
                fleet[o.who].settle(h.hold, [h.actual], clock.t);
                settled += h.actual;
              }
            } else if (o.op === 'record') await fleet[o.who].record([], clock.t);
            else if (o.op === 'kill') {
              // Settled-but-unrecorded use dies with the instance: the documented cost of a crash.
              fleet[o.who] = instance(clock, { seed: run * 10 + o.who + 5 });
              open[o.who] = [];
            } else if (o.op === 'tick') clock.t += o.ms;
            else await sweep(clock.t);
            expect(settled).toBeLessThanOrEqual(limit);
          }
          for (let i = 0; i < 3; i++) {
            for (const h of open[i]) fleet[i].settle(h.hold, [h.actual], clock.t);
            await fleet[i].record([], clock.t);
          }
          clock.t += 200_000;
          await sweep(clock.t);
          const after = await shards(scope);
          expect(after.sliced).toBe(0);
          expect(after.avail + after.spent).toBe(limit);
          expect(after.spent).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 30, seed: 42 },
    );
  }, 180_000);
});

function countingClient(ddb: DynamoDBClient) {
  let writes = 0;
  const client = {
    send: (cmd: { constructor: { name: string } }) => {
      if (/Update|Put|Delete|Write/.test(cmd.constructor.name)) writes++;
      return ddb.send(cmd as never);
    },
  } as unknown as DynamoDBClient;
  return { client, writes: () => writes, reset: () => (writes = 0) };
}
// keep the key helpers referenced for readers of the layout
void COUNTER_SK;
void shardPk;
void slotPk;

describe('slice definitions in holder records', () => {
  const def = {
    kind: 'budget',
    id: 'key#k1',
    period: 'd2026-12-06',
    limit: 5_000_000,
    shards: 4,
    parts: [[2, 32_000]] as Array<[number, number]>,
  };
  it('round-trips the compact form, which is well under half the object form', () => {
    expect(decodeDef(encodeDef(def))).toEqual(def);
    expect(encodeDef(def)).toBe('b|key#k1|d2026-12-06|5000000|4|2:32000');
    expect(encodeDef(def).length).toBeLessThan(JSON.stringify(def).length * 0.5);
    const gathered = {
      ...def,
      kind: 'tpm',
      period: 'rolling',
      parts: [
        [0, 5],
        [3, 7],
      ] as Array<[number, number]>,
    };
    expect(decodeDef(encodeDef(gathered))).toEqual(gathered);
  });
  it('reads an id with the separator in it without shifting the other fields', () => {
    const odd = { ...def, id: 'model#a|b|c' };
    expect(decodeDef(encodeDef(odd))).toEqual(odd);
  });
  it('still reads records written in the array and the object forms', () => {
    expect(decodeDef(JSON.stringify(def))).toEqual(def);
    expect(decodeDef(JSON.stringify([def.kind, def.id, def.period, def.limit, def.shards, def.parts]))).toEqual(def);
  });
  it('refuses what is not a definition (the sweep then leaves that slice out of the pool)', () => {
    for (const bad of ['', 'b|x', 'b|key#k|d1|x|4|2:1', 'b|key#k|d1|5|4|2:x']) expect(() => decodeDef(bad)).toThrow();
  });
});
