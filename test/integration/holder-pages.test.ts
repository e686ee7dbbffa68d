/**
 * Holder pages (adapters/dynamo/quota/pages.ts) against dynalite: an instance serving many keys
 * writes one small record per request instead of one that lists every key it serves, and every
 * guarantee of the single record still holds across pages (budgets exact, slots per instance,
 * idle slices back, a dead instance's pages swept).
 */
import { type AttributeValue, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { createCounterOps } from '../../functions/adapters/dynamo/quota/counters';
import { createHolderOps } from '../../functions/adapters/dynamo/quota/holders';
import { createPagedSharedQuota, pageOf } from '../../functions/adapters/dynamo/quota/pages';
import { createQuotaReport } from '../../functions/adapters/dynamo/quota/report';
import type { SharedQuotaAdapter } from '../../functions/adapters/dynamo/quota/shared-quota';
import { sweepExpired } from '../../functions/adapters/dynamo/quota/sweep';
import type { QuotaScope } from '../../functions/core/quota/scope';
import type { QuotaHold, QuotaNeed } from '../../functions/ports/shared-quota';
import { seeded } from '../../local/seeded-random';
import { useCostTable } from '../helpers/cost-table';
import { scopeTotals } from '../helpers/scope-totals';

const PARTITIONS = 4;
const DAY = 'd2026-12-06';

/** DynamoDB's item size: attribute names plus values (numbers counted as their digits, near enough). */
function itemBytes(item: Record<string, AttributeValue>): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) n += k.length + (v.S ?? v.N ?? '').length;
  return n;
}

describe('holder pages', () => {
  let ddb: DynamoDBClient;
  let table: string;
  let run = 0;
  useCostTable((s) => ({ ddb, table } = s));

  const sweep = (now: number) =>
    sweepExpired({
      counters: createCounterOps(ddb, table),
      holders: createHolderOps(ddb, table),
      partitions: PARTITIONS,
      now,
      log: () => undefined,
    });

  /** Holder writes seen by the store, with the size of the item each wrote. */
  function counting() {
    const holders = createHolderOps(ddb, table);
    const writes: Array<{ pk: string; sk: string }> = [];
    return {
      writes,
      holders: {
        ...holders,
        write: (...args: Parameters<typeof holders.write>) => {
          writes.push({ pk: args[0], sk: args[1] });
          return holders.write(...args);
        },
      },
    };
  }

  function instance(
    clock: { t: number },
    pages: number,
    opts: { seed?: number; holders?: ReturnType<typeof createHolderOps>; id?: string; usageFlushMs?: number } = {},
  ): SharedQuotaAdapter {
    return createPagedSharedQuota({
      pages,
      counters: createCounterOps(ddb, table),
      holders: opts.holders ?? createHolderOps(ddb, table),
      holderPartitions: PARTITIONS,
      termMs: 60_000,
      requestHoldMs: 30_000,
      slotStreakMs: 1_000,
      slotShards: 1,
      onStoreError: { budget: 'bounded', rate: 'bounded', concurrency: 'bounded' },
      random: seeded(opts.seed ?? 1),
      now: () => clock.t,
      instanceId: opts.id,
      log: () => undefined,
      sweepEveryMs: 1e12,
      usageFlushMs: opts.usageFlushMs ?? 0,
    });
  }

  const budget = (id: string, limit: number, shards = 2): QuotaScope => ({
    kind: 'budget',
    id,
    period: DAY,
    limit,
    shards,
  });

  /** A key's needs as the router makes them: the global budget, the key's budget, RPM and TPM. */
  function needsOf(global: QuotaScope, key: string): QuotaNeed[] {
    return [
      { scope: global, amount: 1_000 },
      { scope: budget(`key#${key}`, 10_000_000), amount: 1_000 },
      { scope: { kind: 'rpm', id: `key#${key}`, period: 'rolling', limit: 100_000, shards: 2 }, amount: 1 },
      { scope: { kind: 'tpm', id: `key#${key}`, period: 'rolling', limit: 10_000_000, shards: 2 }, amount: 500 },
    ];
  }

  async function records(prefix: string): Promise<Array<Record<string, AttributeValue>>> {
    const out: Array<Record<string, AttributeValue>> = [];
    for (let p = 0; p < PARTITIONS; p++) {
      const res = await ddb.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': { S: `holder#${p}` }, ':p': { S: prefix } },
        }),
      );
      out.push(...(res.Items ?? []));
    }
    return out;
  }

  /** Serves `rounds` requests for each of `keys` keys on one instance; returns its largest record and writes per request. */
  async function serveMany(pages: number, keys: number, rounds: number) {
    run++;
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const global = budget(`global${run}`, 1e12, 4);
    const { holders, writes } = counting();
    const id = `many${run}p${pages}`;
    const q = instance(clock, pages, { holders, id, usageFlushMs: 10_000 });
    let counted = 0;
    let before = 0;
    for (let r = 0; r < rounds; r++) {
      if (r === 1) before = writes.length;
      for (let k = 0; k < keys; k++) {
        clock.t += 50;
        const a = await q.admit(needsOf(global, `r${run}k${k}`), undefined, clock.t, `r${run}k${k}`);
        if (!a.ok) throw new Error(`refused: ${JSON.stringify(a)}`);
        q.settle(a.hold, [700, 700, 1, 300], clock.t);
        await q.record([], clock.t);
        if (r > 0) counted++;
      }
    }
    const largest = Math.max(
      ...(await records('2026-12-06#'))
        .filter((item) => item.sk.S!.includes(id) && item.st?.S === 'active')
        .map(itemBytes),
    );
    return { largest, writesPerRequest: (writes.length - before) / counted };
  }

  test('many keys on one instance: one small record write per request instead of one record of every key', async () => {
    const flat = await serveMany(1, 48, 3);
    const paged = await serveMany(16, 48, 3);
    // One record listing 48 keys' slices (4 scopes each) against pages of about three keys each.
    expect(flat.largest).toBeGreaterThan(8_000);
    expect(paged.largest).toBeLessThan(flat.largest / 4);
    // Steady state: the request's own page, once (its slices already held: no take, no listing).
    expect(paged.writesPerRequest).toBeLessThanOrEqual(1.05);
    expect(flat.writesPerRequest).toBeLessThanOrEqual(1.05);
  }, 60_000);

  test('8 paged instances and 40 keys never settle past a global $0.05, and every unit comes back', async () => {
    run++;
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const global = budget(`g${run}`, 50_000, 4);
    const fleet = Array.from({ length: 8 }, (_, i) => instance(clock, 8, { seed: i + 1 }));
    const rnd = seeded(11);
    let settled = 0;
    let admitted = 0;
    await Promise.all(
      fleet.map(async (q, n) => {
        for (let i = 0; i < 30; i++) {
          const key = `r${run}k${(n * 7 + i) % 40}`;
          const a = await q.admit([{ scope: global, amount: 1_000 }], undefined, clock.t, key);
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
    // No instance says goodbye: every page of every instance expires and is swept.
    clock.t += 120_000;
    await sweep(clock.t);
    const after = await scopeTotals(createCounterOps(ddb, table), global);
    expect(after.sliced).toBe(0);
    expect(after.spent).toBe(settled);
    expect(after.avail + after.spent).toBe(50_000);
  }, 120_000);

  test('a concurrency slot is the instance’s: callers on other pages share its cap and its streak', async () => {
    run++;
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const model = `m${run}`;
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => `r${run}${k}`);
    const x = keys[0];
    const y = keys.find((k) => pageOf(k, 8) !== pageOf(x, 8))!;
    const global = budget(`g${run}`, 1e9);
    const q = instance(clock, 8);
    const counters = createCounterOps(ddb, table);
    const a = await q.admit([{ scope: global, amount: 10 }], { model, cap: 1 }, clock.t, x);
    expect(a.ok).toBe(true);
    // The cap is 1 and this instance holds the one slot: the other caller is refused, and the
    // refusal leaves no budget reserved on its page.
    const b = await q.admit([{ scope: global, amount: 10 }], { model, cap: 1 }, clock.t, y);
    expect(b).toEqual({ ok: false, reason: 'full', model });
    expect(q.holdings().slices.reduce((n, s) => n + s.reserved, 0)).toBe(10);
    if (!a.ok) return;
    q.settle(a.hold, [5], clock.t);
    await q.record([], clock.t);
    clock.t += 100;
    // Back to back: the other caller's request gets the slot this instance kept, no take.
    const c = await q.admit([{ scope: global, amount: 10 }], { model, cap: 1 }, clock.t, y);
    expect(c.ok).toBe(true);
    expect(await counters.readSlots(model, 0)).toBe(1);
    if (c.ok) q.settle(c.hold, [5], clock.t);
    await q.record([], clock.t);
    // A quiet spell: the slot goes back with the next write.
    clock.t += 5_000;
    const d = await q.admit([], { model, cap: 1 }, clock.t, x);
    if (d.ok) q.settle(d.hold, [], clock.t);
    await q.record([], clock.t);
    expect(await counters.readSlots(model, 0)).toBe(0);
  });

  test('a page nobody comes back to gives its idle slices back with another page’s request', async () => {
    run++;
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const global = budget(`g${run}`, 1e9, 1);
    const x = `r${run}x`;
    const y = [1, 2, 3, 4, 5].map((i) => `r${run}y${i}`).find((k) => pageOf(k, 8) !== pageOf(x, 8))!;
    const q = instance(clock, 8);
    const a = await q.admit([{ scope: global, amount: 1_000 }], undefined, clock.t, x);
    if (!a.ok) throw new Error('refused');
    q.settle(a.hold, [400], clock.t);
    await q.record([], clock.t);
    expect((await scopeTotals(createCounterOps(ddb, table), global)).sliced).toBeGreaterThan(0);
    // Idle, but x's page may yet see a request whose write would give it back at no cost: kept.
    clock.t += 31_000;
    const b = await q.admit([{ scope: global, amount: 1_000 }], undefined, clock.t, y);
    if (!b.ok) throw new Error('refused');
    q.settle(b.hold, [400], clock.t);
    await q.record([], clock.t);
    expect(q.holdings().slices.filter((s) => s.scope.id === global.id)).toHaveLength(2);
    // Quiet for another idle time: y's next request writes x's page to give it back.
    clock.t += 30_000;
    const c = await q.admit([{ scope: global, amount: 1_000 }], undefined, clock.t, y);
    if (!c.ok) throw new Error('refused');
    q.settle(c.hold, [0], clock.t);
    await q.record([], clock.t);
    // x's page gave its slice back (spent 400 for good); y's page holds the one it just took.
    const held = q.holdings().slices.filter((s) => s.scope.id === global.id);
    expect(held).toHaveLength(1);
    const t = await scopeTotals(createCounterOps(ddb, table), global);
    expect(t.sliced).toBe(held[0].amount);
    expect(t.spent).toBe(400);
  });

  test('the caller’s and the candidate’s admissions are written once, before the call', async () => {
    run++;
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const key = `r${run}k`;
    const rpm: QuotaScope = { kind: 'rpm', id: `key#${key}`, period: 'rolling', limit: 1_000, shards: 1 };
    const own = budget(`key#${key}`, 1e8, 1);
    const { holders, writes } = counting();
    const q = instance(clock, 8, { holders });
    const caller = await q.admit([{ scope: rpm, amount: 1 }], undefined, clock.t, key, {
      anotherAdmissionFirst: true,
    });
    expect(caller.ok).toBe(true);
    // Taken from the shard, not yet listed: the candidate's admission comes before any call.
    expect(writes).toHaveLength(0);
    const candidate = await q.admit([{ scope: own, amount: 1_000 }], undefined, clock.t, key);
    expect(candidate.ok).toBe(true);
    expect(writes).toHaveLength(1);
    const [record] = (await records('2026-12-06#')).filter((i) => i.pk.S === writes[0].pk && i.sk.S === writes[0].sk);
    expect(Object.keys(record).filter((k) => k.startsWith('sd_'))).toHaveLength(2);
  });

  test('slices left for an admission that never comes are listed by the request’s own write, or strand (never mint)', async () => {
    run++;
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const rpm = (k: string): QuotaScope => ({
      kind: 'rpm',
      id: `key#${k}`,
      period: 'rolling',
      limit: 1_000,
      shards: 1,
    });
    const served = `r${run}served`;
    const dead = `r${run}dead`;
    const { holders, writes } = counting();
    const q = instance(clock, 8, { holders });
    // A cache hit: no candidate admission, the request ends and its write lists (or returns) the slice.
    const a = await q.admit([{ scope: rpm(served), amount: 1 }], undefined, clock.t, served, {
      anotherAdmissionFirst: true,
    });
    if (!a.ok) throw new Error('refused');
    q.settle(a.hold, [1], clock.t);
    await q.record([], clock.t);
    expect(writes.length).toBeGreaterThanOrEqual(1);
    // An instance that dies between the two admissions: the slice is on no record.
    const dying = instance(clock, 8);
    const b = await dying.admit([{ scope: rpm(dead), amount: 1 }], undefined, clock.t, dead, {
      anotherAdmissionFirst: true,
    });
    expect(b.ok).toBe(true);
    clock.t += 10 * 60_000;
    await sweep(clock.t);
    const counters = createCounterOps(ddb, table);
    // The served key's slice was listed, so its units all came back; the dead one's stay out of the pool.
    expect(await scopeTotals(counters, rpm(served))).toMatchObject({ avail: 1_000, sliced: 0 });
    const stranded = await scopeTotals(counters, rpm(dead));
    expect(stranded.sliced).toBeGreaterThan(0);
    expect(stranded.avail + stranded.sliced).toBe(1_000);
  });

  test('property: any interleaving across callers, pages and instances keeps use within every limit and loses nothing', async () => {
    type Op =
      | { op: 'admit'; who: number; key: number; amount: number; actual: number; twice: boolean }
      | { op: 'release'; who: number }
      | { op: 'record'; who: number }
      | { op: 'kill'; who: number }
      | { op: 'tick'; ms: number }
      | { op: 'sweep' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        op: fc.constant('admit' as const),
        who: fc.nat(2),
        key: fc.nat(5),
        amount: fc.integer({ min: 1, max: 3_000 }),
        actual: fc.nat(3_000),
        twice: fc.boolean(),
      }),
      fc.record({ op: fc.constant('release' as const), who: fc.nat(2) }),
      fc.record({ op: fc.constant('record' as const), who: fc.nat(2) }),
      fc.record({ op: fc.constant('kill' as const), who: fc.nat(2) }),
      fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 40_000 }) }),
      fc.constant({ op: 'sweep' as const }),
    );
    const counters = createCounterOps(ddb, table);
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 5, maxLength: 25 }),
        fc.integer({ min: 1_000, max: 20_000 }),
        async (ops, limit) => {
          run++;
          const clock = { t: Date.UTC(2026, 11, 6, 12) };
          const global = budget(`g${run}`, limit, 2);
          const keyScope = (k: number) => budget(`key#r${run}k${k}`, Math.ceil(limit / 2), 1);
          const fleet = [0, 1, 2].map((i) => instance(clock, 4, { seed: run * 10 + i }));
          type Open = { parts: Array<{ hold: QuotaHold; actual: number[] }>; key: number };
          const open: Open[][] = [[], [], []];
          const settledGlobal = { n: 0 };
          const settledKey = new Map<number, number>();
          for (const o of ops) {
            const q = fleet[o.op === 'tick' || o.op === 'sweep' ? 0 : o.who];
            if (o.op === 'admit') {
              const caller = `r${run}k${o.key}`;
              const actual = Math.min(o.actual, o.amount);
              // The chat path: the key's own budget first (listed with the next admission), then the
              // candidate's global budget; a refused candidate releases the first hold.
              if (o.twice) {
                const first = await q.admit(
                  [{ scope: keyScope(o.key), amount: o.amount }],
                  undefined,
                  clock.t,
                  caller,
                  {
                    anotherAdmissionFirst: true,
                  },
                );
                if (!first.ok) continue;
                const second = await q.admit([{ scope: global, amount: o.amount }], undefined, clock.t, caller);
                if (!second.ok) {
                  q.release(first.hold, clock.t);
                  continue;
                }
                open[o.who].push({
                  key: o.key,
                  parts: [
                    { hold: first.hold, actual: [actual] },
                    { hold: second.hold, actual: [actual] },
                  ],
                });
              } else {
                const a = await q.admit(
                  [
                    { scope: global, amount: o.amount },
                    { scope: keyScope(o.key), amount: o.amount },
                  ],
                  undefined,
                  clock.t,
                  caller,
                );
                if (a.ok) open[o.who].push({ key: o.key, parts: [{ hold: a.hold, actual: [actual, actual] }] });
              }
            } else if (o.op === 'release') {
              const h = open[o.who].shift();
              if (h) {
                for (const p of h.parts) q.settle(p.hold, p.actual, clock.t);
                const used = h.parts[0].actual[0];
                settledGlobal.n += used;
                settledKey.set(h.key, (settledKey.get(h.key) ?? 0) + used);
              }
            } else if (o.op === 'record') await q.record([], clock.t);
            else if (o.op === 'kill') {
              // Settled-but-unrecorded use dies with the instance: the documented cost of a crash.
              fleet[o.who] = instance(clock, 4, { seed: run * 10 + o.who + 5 });
              open[o.who] = [];
            } else if (o.op === 'tick') clock.t += o.ms;
            else await sweep(clock.t);
            expect(settledGlobal.n).toBeLessThanOrEqual(limit);
            for (const n of settledKey.values()) expect(n).toBeLessThanOrEqual(Math.ceil(limit / 2));
          }
          for (let i = 0; i < 3; i++) {
            for (const h of open[i]) for (const p of h.parts) fleet[i].settle(p.hold, p.actual, clock.t);
            await fleet[i].record([], clock.t);
          }
          clock.t += 200_000;
          await sweep(clock.t);
          for (const scope of [global, ...[0, 1, 2, 3, 4, 5].map(keyScope)]) {
            const t = await scopeTotals(counters, scope);
            expect(t.sliced).toBe(0);
            expect(t.avail + t.spent).toBe(scope.limit);
          }
        },
      ),
      { numRuns: 25, seed: 7 },
    );
  }, 240_000);

  test('a dead instance’s pages are all swept, and the budget report finds every key’s scope', async () => {
    run++;
    const clock = { t: Date.UTC(2026, 11, 6, 12) };
    const global = budget(`g${run}`, 1e9, 2);
    const q = instance(clock, 8, { id: `dead${run}` });
    const keys = Array.from({ length: 12 }, (_, i) => `r${run}k${i}`);
    for (const k of keys) {
      const a = await q.admit(
        [
          { scope: global, amount: 1_000 },
          { scope: budget(`key#${k}`, 1e8), amount: 1_000 },
        ],
        undefined,
        clock.t,
        k,
      );
      if (!a.ok) throw new Error('refused');
      q.settle(a.hold, [300, 300], clock.t);
      await q.record([], clock.t);
    }
    const pagesUsed = new Set(keys.map((k) => pageOf(k, 8))).size;
    const mine = (await records('2026-12-06#')).filter((i) => i.sk.S!.includes(`dead${run}`) && i.st?.S === 'active');
    expect(mine.length).toBe(pagesUsed);
    const report = createQuotaReport({
      counters: createCounterOps(ddb, table),
      holders: createHolderOps(ddb, table),
      partitions: PARTITIONS,
      slotShards: 1,
    });
    const rows = await report.budgets('2026-12-06');
    for (const k of keys) expect(rows.find((r) => r.scope === `key#${k}`)?.spentMicros).toBe(300);
    clock.t += 120_000;
    const swept = await sweep(clock.t);
    expect(swept.records).toBeGreaterThanOrEqual(pagesUsed);
    const t = await scopeTotals(createCounterOps(ddb, table), global);
    expect(t).toMatchObject({ sliced: 0, spent: 300 * keys.length });
  });
});
