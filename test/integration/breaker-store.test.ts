/**
 * The DynamoDB breaker store against dynalite, two router instances sharing one table: a closed
 * breaker opens only on failures from enough different keys, a counted failure is still exactly one
 * write, the keys recorded per window stay bounded, and they are forgotten when the breaker closes.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoBreakerStore } from '../../functions/adapters/dynamo/breaker-store';
import { createDynamoHealth } from '../../functions/adapters/dynamo/dynamo-health';
import { createStateSnapshot } from '../../functions/adapters/dynamo/state-snapshot';
import { STATE_TABLE, tableName } from '../../functions/contracts/table-specs';
import type { BreakerSettings } from '../../functions/core/resilience/breaker';
import type { BreakerStore } from '../../functions/ports/breakers';
import { startLocalDynamo, type LocalDynamo } from '../../local/dynamo';

const SETTINGS: BreakerSettings = {
  failureThreshold: 3,
  windowMs: 60_000,
  cooldownMs: 1_000,
  halfOpenProbes: 1,
  successThreshold: 1,
  minDistinctKeys: 2,
};

describe('DynamoDB breaker store: failures attributed to keys', () => {
  let dynamo: LocalDynamo;
  let ddb: DynamoDBClient;
  let table: string;
  let prefix = 0;
  const clock = { t: Date.parse('2026-12-01T10:00:00Z') };

  beforeAll(async () => {
    dynamo = await startLocalDynamo({ tablePrefix: 'breakers-' });
    table = tableName(STATE_TABLE, dynamo.env);
    ddb = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    ddb.destroy();
    await dynamo.close();
  });

  /** A router instance's view: its own snapshot over the shared table. */
  function instance(settings: BreakerSettings = SETTINGS, client: DynamoDBClient = ddb): BreakerStore {
    const health = createDynamoHealth(
      () => undefined,
      () => clock.t,
    );
    const snapshot = createStateSnapshot({
      ddb: client,
      table,
      endpointIds: [],
      ttlMs: 60_000,
      dynamo: health,
      now: () => clock.t,
    });
    return createDynamoBreakerStore({ ddb: client, table, snapshot, settings, dynamo: health, now: () => clock.t });
  }

  async function item(endpoint: string) {
    const res = await ddb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: `endpoint#${endpoint}` }, sk: { S: 'breaker' } } }),
    );
    return res.Item;
  }

  const endpoint = () => `ep-${prefix++}`;

  it('stays closed however often one key fails, on every instance, at one write per failure', async () => {
    const id = endpoint();
    const [a, b] = [instance(), instance()];
    // Joining a window another instance started costs each instance one refused write and a read
    // (as it did before keys were counted); from then on every failure is one UpdateItem.
    expect(await a.onFailure(id, false, 'key_hostile')).toBe(false);
    expect(await b.onFailure(id, false, 'key_hostile')).toBe(false);
    dynamo.resetRequestCounts();
    for (let i = 0; i < 8; i++) expect(await (i % 2 ? a : b).onFailure(id, false, 'key_hostile')).toBe(false);
    expect(dynamo.requestCounts()).toEqual({ UpdateItem: 8 });
    const stored = await item(id);
    expect(stored?.phase.S).toBe('closed');
    expect(stored?.failures.N).toBe('10');
    expect(stored?.failingKeys.SS).toEqual(['key_hostile']);
    expect((await a.admit(id)).allowed).toBe(true);
  });

  it('opens once a second key fails in the window, seen by the other instance', async () => {
    const id = endpoint();
    const [a, b] = [instance(), instance()];
    expect(await a.onFailure(id, false, 'key_a')).toBe(false);
    expect(await a.onFailure(id, false, 'key_a')).toBe(false);
    // b has not seen a's writes: its update still carries the key and the count is atomic.
    expect(await b.onFailure(id, false, 'key_b')).toBe(true);
    expect((await item(id))?.phase.S).toBe('open');
    expect((await b.admit(id)).allowed).toBe(false);
  });

  it('records at most the keys the rule needs, however many tenants fail', async () => {
    const id = endpoint();
    const a = instance({ ...SETTINGS, failureThreshold: 1_000 });
    for (let i = 0; i < 30; i++) await a.onFailure(id, false, `key_${i}`);
    expect((await item(id))?.failingKeys.SS?.sort()).toEqual(['key_0', 'key_1']);
  });

  it('forgets the window keys when the breaker closes again', async () => {
    const id = endpoint();
    const a = instance();
    await a.onFailure(id, false, 'key_a');
    await a.onFailure(id, false, 'key_b');
    expect(await a.onFailure(id, false, 'key_a')).toBe(true);
    clock.t += SETTINGS.cooldownMs;
    const admit = await a.admit(id);
    expect(admit).toMatchObject({ allowed: true, probe: true });
    await a.onSuccess(id, true);
    const closed = await item(id);
    expect(closed?.phase.S).toBe('closed');
    expect(closed?.failingKeys).toBeUndefined();
    // The next window starts from nothing: key_b's old failure does not help key_a open it.
    for (let i = 0; i < 5; i++) expect(await a.onFailure(id, false, 'key_a')).toBe(false);
  });

  it('starts a new window with only the key that failed in it', async () => {
    const id = endpoint();
    const a = instance();
    await a.onFailure(id, false, 'key_b');
    clock.t += SETTINGS.windowMs;
    for (let i = 0; i < 4; i++) expect(await a.onFailure(id, false, 'key_a')).toBe(false);
    expect((await item(id))?.failingKeys.SS).toEqual(['key_a']);
  });

  it('applies the same rule on local state when DynamoDB cannot be reached', async () => {
    const unreachable = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const id = endpoint();
      const a = instance(SETTINGS, unreachable);
      for (let i = 0; i < 5; i++) expect(await a.onFailure(id, false, 'key_a')).toBe(false);
      expect(a.view(id).phase).toBe('closed');
      expect(await a.onFailure(id, false, 'key_b')).toBe(true);
      expect(a.view(id).phase).toBe('open');
    } finally {
      unreachable.destroy();
    }
  });
});
