/**
 * The per-endpoint recent-window counters through the real usage-item writes (AWS SDK to
 * dynalite): two router instances record calls, the report sums them over the current and previous
 * breaker windows, and the per-request holder record carries none of them. Clocks are injected.
 */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createCounterOps } from '../../functions/adapters/dynamo/quota/counters';
import { createHolderOps } from '../../functions/adapters/dynamo/quota/holders';
import { createQuotaReport } from '../../functions/adapters/dynamo/quota/report';
import { createSharedQuota, type SharedQuotaAdapter } from '../../functions/adapters/dynamo/quota/shared-quota';
import { useCostTable } from '../helpers/cost-table';
import { seeded } from '../../local/seeded-random';

const WINDOW = 60_000;
const T0 = Date.parse('2026-12-07T10:00:00Z');
const PARTITIONS = 4;

describe('recent-window endpoint counters in holder records', () => {
  let ddb: DynamoDBClient;
  let table: string;
  useCostTable((s) => ({ ddb, table } = s), { tablePrefix: 'recent-' });

  const instance = (clock: { t: number }, id: string): SharedQuotaAdapter =>
    createSharedQuota({
      counters: createCounterOps(ddb, table),
      holders: createHolderOps(ddb, table),
      holderPartitions: PARTITIONS,
      termMs: 600_000,
      requestHoldMs: 30_000,
      slotStreakMs: 1_000,
      slotShards: 2,
      onStoreError: { budget: 'bounded', rate: 'bounded', concurrency: 'bounded' },
      random: seeded(3),
      now: () => clock.t,
      instanceId: id,
      log: () => undefined,
      sweepEveryMs: 1e12,
      usageFlushMs: 0,
      recentWindowMs: WINDOW,
    });
  const byEndpoint = async (now: number) => {
    const report = createQuotaReport({
      counters: createCounterOps(ddb, table),
      holders: createHolderOps(ddb, table),
      partitions: PARTITIONS,
      slotShards: 4,
    });
    return Object.fromEntries(
      (await report.recent(now, WINDOW)).map((r) => [r.endpoint, [r.calls, r.faults, r.busyMs]]),
    );
  };
  const call = (endpoint: string, fault: boolean, ms: number) => ({ endpoint, fault, ms });

  it('sums every instance over two windows, forgets older ones, and stays out of the holder record', async () => {
    const clock = { t: T0 + 5_000 };
    const a = instance(clock, 'inst-a');
    const b = instance(clock, 'inst-b');
    await a.record([], clock.t, [call('gpt-us', true, 100), call('gpt-us', false, 200)]);
    await b.record([], clock.t, [call('gpt-us', true, 50), call('ds', false, 30)]);
    // A write with nothing new changes nothing.
    await a.record([], clock.t, []);
    expect(await byEndpoint(clock.t)).toEqual({ 'gpt-us': [3, 2, 350], ds: [1, 0, 30] });

    // Next window: the previous one still counts.
    clock.t = T0 + WINDOW + 1_000;
    await a.record([], clock.t, [call('gpt-us', false, 10)]);
    expect(await byEndpoint(clock.t)).toEqual({ 'gpt-us': [4, 2, 360], ds: [1, 0, 30] });

    // Two windows on, the first window is out of the sum.
    clock.t = T0 + 2 * WINDOW + 1_000;
    expect(await byEndpoint(clock.t)).toEqual({ 'gpt-us': [1, 0, 10] });
    clock.t = T0 + 10 * WINDOW;
    expect(await byEndpoint(clock.t)).toEqual({});

    // The record every request writes holds slices and slots only: the counters went to the usage
    // item (and with no slice or slot moved, the record was not written at all).
    const { pk, sk } = a.holdings().record;
    const item =
      (await ddb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: sk } } }))).Item ?? {};
    expect(Object.keys(item).filter((k) => k.startsWith('w_'))).toEqual([]);
  });
});
