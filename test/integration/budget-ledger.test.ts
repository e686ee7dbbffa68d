/**
 * The budget ledger against dynalite when DynamoDB fails part-way through a reservation: nothing
 * stays held, and a refusal stays a refusal.
 */
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { createDynamoBudgetLedger, type ScopeRequest } from '../../functions/adapters/dynamo/budget-ledger';
import { COST_TABLE, tableName } from '../../functions/contracts/table-specs';
import { startLocalDynamo, type LocalDynamo } from '../../local/dynamo';

describe('budget ledger with DynamoDB failing mid-way', () => {
  let dynamo: LocalDynamo;
  let ddb: DynamoDBClient;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    ddb = createDynamoClient(dynamo.env);
  });
  afterAll(async () => {
    ddb.destroy();
    await dynamo.close();
  });

  /** A client that throws (like a throttled request) for the commands `failing` picks. */
  function flaky(failing: (input: UpdateItemCommand['input']) => boolean): DynamoDBClient {
    return {
      send: (cmd: unknown) =>
        cmd instanceof UpdateItemCommand && failing(cmd.input)
          ? Promise.reject(new Error('ProvisionedThroughputExceededException'))
          : ddb.send(cmd as never),
    } as unknown as DynamoDBClient;
  }
  const ledgerWith = (client: DynamoDBClient) =>
    createDynamoBudgetLedger({
      ddb: client,
      table: tableName(COST_TABLE, dynamo.env),
      globalShards: 1,
      random: () => 0,
    });
  const reader = () => ledgerWith(ddb);

  it('gives back the scopes already held when a later scope throws', async () => {
    const day = '2026-01-01';
    const scopes: ScopeRequest[] = [
      { kind: 'global', id: 'global', limitMicros: 10_000 },
      { kind: 'key', id: 'key#k1', limitMicros: 10_000 },
    ];
    const ledger = ledgerWith(flaky((i) => i.Key?.sk?.S === 'key#k1'));
    await expect(ledger.reserve(day, scopes, 4_000, 'req-a', Date.now() + 60_000)).rejects.toThrow('Throughput');
    const global = (await reader().snapshot(day)).find((r) => r.scope === 'global');
    expect(global?.reservedMicros ?? 0).toBe(0);
  });

  it('still refuses when the rollback of an earlier scope fails (never "DynamoDB down, serve anyway")', async () => {
    const day = '2026-01-02';
    const scopes: ScopeRequest[] = [
      { kind: 'global', id: 'global', limitMicros: 10_000 },
      { kind: 'key', id: 'key#k2', limitMicros: 1_000 },
    ];
    const ledger = ledgerWith(flaky((i) => !!i.UpdateExpression?.startsWith('REMOVE')));
    const r = await ledger.reserve(day, scopes, 4_000, 'req-b', Date.now() - 1);
    expect(r).toMatchObject({ ok: false, scope: { kind: 'key' } });
    // The hold left behind is the sweep's: it carries its expiry.
    expect(await reader().sweep([day], Date.now())).toBe(1);
    expect((await reader().snapshot(day)).find((x) => x.scope === 'global')?.reservedMicros).toBe(0);
  });

  it('charges spend that had no reservation (taken while DynamoDB was down) to every scope, past the limit if need be', async () => {
    const day = '2026-01-03';
    const scopes: ScopeRequest[] = [
      { kind: 'global', id: 'global', limitMicros: 1_000 },
      { kind: 'key', id: 'key#k3', limitMicros: 1_000 },
    ];
    await reader().charge(day, scopes, 1_500);
    const rows = await reader().snapshot(day);
    expect(rows.find((r) => r.scope === 'global')).toMatchObject({
      spentMicros: 1_500,
      reservedMicros: 0,
      limitMicros: 1_000,
    });
    expect(rows.find((r) => r.scope === 'key#k3')).toMatchObject({ spentMicros: 1_500, reservedMicros: 0 });
    // The limit guards `committed`: the day is now closed to new reservations.
    expect((await reader().reserve(day, scopes, 1, 'after', Date.now() + 60_000)).ok).toBe(false);
  });
});
