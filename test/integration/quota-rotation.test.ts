/**
 * A router instance starts a new holder record after midnight UTC (the day, and with it any week or
 * month, changed). Slices and slots it still holds then must move to the new record, listed in one
 * record at a time: listed in both, the sweep would give them back a second time once the old
 * record expires (minting quota); listed in neither, a crash strands them (safe). Against dynalite.
 */
import { useCostTable } from '../helpers/cost-table';
import { scopeTotals } from '../helpers/scope-totals';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createCounterOps } from '../../functions/adapters/dynamo/quota/counters';
import { createHolderOps } from '../../functions/adapters/dynamo/quota/holders';
import { createSharedQuota, type SharedQuotaAdapter } from '../../functions/adapters/dynamo/quota/shared-quota';
import { sweepExpired } from '../../functions/adapters/dynamo/quota/sweep';
import type { QuotaScope } from '../../functions/core/quota/scope';
import { seeded } from '../../local/seeded-random';

describe('holder record rotation at midnight UTC', () => {
  let ddb: DynamoDBClient;
  let table: string;
  let run = 0;
  useCostTable((s) => ({ ddb, table } = s));

  function instance(clock: { t: number }): SharedQuotaAdapter {
    return createSharedQuota({
      counters: createCounterOps(ddb, table),
      holders: createHolderOps(ddb, table),
      holderPartitions: 2,
      termMs: 60_000,
      requestHoldMs: 30_000,
      slotStreakMs: 1_000,
      slotShards: 1,
      onStoreError: { budget: 'bounded', rate: 'bounded', concurrency: 'bounded' },
      random: seeded(run + 1),
      now: () => clock.t,
      log: () => undefined,
      sweepEveryMs: 1e12,
    });
  }

  const totals = (scope: QuotaScope) => scopeTotals(createCounterOps(ddb, table), scope);

  const sweep = (now: number) =>
    sweepExpired({
      counters: createCounterOps(ddb, table),
      holders: createHolderOps(ddb, table),
      partitions: 2,
      now,
      log: () => undefined,
    });

  test('a rate slice still held for its 60 s at midnight is given back once, not again by the sweep', async () => {
    run++;
    const clock = { t: Date.UTC(2026, 10, 30, 23, 59, 30) };
    const rpm: QuotaScope = { kind: 'rpm', id: `key#rot${run}`, period: 'rolling', limit: 1_000, shards: 1 };
    const q = instance(clock);
    const a = await q.admit([{ scope: rpm, amount: 1 }], undefined, clock.t);
    if (!a.ok) throw new Error('refused');
    q.settle(a.hold, [1], clock.t);
    await q.record([], clock.t);
    // After midnight, before the unit's 60 s are over: the record rotates with the slice still held.
    clock.t = Date.UTC(2026, 11, 1, 0, 0, 10);
    await q.record([], clock.t);
    clock.t += 60_000;
    await q.record([], clock.t);
    clock.t += 10 * 60_000;
    await q.maintain(clock.t);
    await sweep(clock.t);
    expect(await totals(rpm)).toEqual({ avail: 1_000, spent: 0, sliced: 0 });
  });

  test('a budget slice in use across midnight moves to the new record: spent once, returned once', async () => {
    run++;
    const clock = { t: Date.UTC(2026, 10, 30, 23, 59, 50) };
    const month: QuotaScope = { kind: 'budget', id: `key#rot${run}`, period: 'm2026-11', limit: 1_000_000, shards: 1 };
    const q = instance(clock);
    const a = await q.admit([{ scope: month, amount: 1_000 }], { model: `rot${run}`, cap: 2 }, clock.t);
    if (!a.ok) throw new Error('refused');
    // The request is still running when the first write after midnight rotates the record.
    clock.t = Date.UTC(2026, 11, 1, 0, 0, 5);
    await q.record([], clock.t);
    q.settle(a.hold, [700], clock.t);
    await q.record([], clock.t);
    // The instance dies; its new record expires and is swept, and so is the old one.
    clock.t += 10 * 60_000;
    const swept = await sweep(clock.t);
    expect(swept.records).toBeGreaterThanOrEqual(1);
    expect(await totals(month)).toEqual({ avail: 1_000_000 - 700, spent: 700, sliced: 0 });
    expect(await createCounterOps(ddb, table).readSlots(`rot${run}`, 0)).toBe(0);
  });

  test('a crash right after the move strands the slice (safe), never returns it twice', async () => {
    run++;
    const clock = { t: Date.UTC(2026, 10, 30, 23, 59, 50) };
    const month: QuotaScope = { kind: 'budget', id: `key#rot${run}`, period: 'm2026-11', limit: 1_000_000, shards: 1 };
    const holders = createHolderOps(ddb, table);
    let writes = 0;
    // Writes 1 (the slice taken) and 2 (the old record's, removing what moves) get through; the
    // instance dies before the new record is written. (Writes with nothing to change are not sent.)
    const dying = createSharedQuota({
      counters: createCounterOps(ddb, table),
      holders: {
        ...holders,
        write: (...args: Parameters<typeof holders.write>) =>
          ++writes <= 2 ? holders.write(...args) : Promise.reject(new Error('killed')),
      },
      holderPartitions: 2,
      termMs: 60_000,
      requestHoldMs: 30_000,
      slotStreakMs: 1_000,
      slotShards: 1,
      onStoreError: { budget: 'bounded', rate: 'bounded', concurrency: 'bounded' },
      random: seeded(99),
      now: () => clock.t,
      log: () => undefined,
      sweepEveryMs: 1e12,
    });
    const a = await dying.admit([{ scope: month, amount: 1_000 }], undefined, clock.t);
    if (!a.ok) throw new Error('refused');
    const held = dying.holdings().slices[0].amount;
    clock.t = Date.UTC(2026, 11, 1, 0, 0, 5);
    await dying.record([], clock.t);
    expect(writes).toBe(3);
    clock.t += 10 * 60_000;
    await sweep(clock.t);
    // Listed in neither record: the slice stays out of the pool (under-spend), never comes back twice.
    expect(await totals(month)).toEqual({ avail: 1_000_000 - held, spent: 0, sliced: held });
  });
});
