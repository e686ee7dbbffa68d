/**
 * `npm start -- --dynamodb-endpoint URL`: the whole local gateway on a DynamoDB it does not host.
 * "Any DynamoDB-compatible endpoint" is a second dynalite started here, bare (no tables) and slow
 * to create tables (CREATING for 300 ms, as a real table is for seconds), so the gateway must
 * create the tables and wait for ACTIVE before its first write.
 */
import { CreateTableCommand, DeleteTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { usageRow } from '../helpers/quota-report';
import { COST_TABLE, STATE_TABLE } from '../../functions/contracts/table-specs';
import { startLocalDynamo, type LocalDynamo } from '../../local/dynamo';
import { connectDynamoEndpoint, parseDynamoEndpoint } from '../../local/dynamo-endpoint';
import { ensureTable } from '../../local/dynamo-tables';
import type { LocalGateway } from '../../local/gateway';
import { eventually, hi, post, startTestGateway } from '../helpers/local-gateway';

describe('the local gateway on an external DynamoDB endpoint', () => {
  let external: LocalDynamo;
  let gw: LocalGateway;
  beforeAll(async () => {
    external = await startLocalDynamo({ tables: false, createTableMs: 300 });
    gw = await startTestGateway(undefined, { dynamodbEndpoint: external.endpoint, tablePrefix: 'ext-' });
  });
  afterAll(async () => {
    await gw?.close();
    await external?.close();
  });

  it('creates the missing tables there and waits until they are ACTIVE', async () => {
    const ddb = createDynamoClient({ SWITCHYARD_DYNAMODB_ENDPOINT: external.endpoint });
    const names = (await ddb.send(new ListTablesCommand({}))).TableNames ?? [];
    ddb.destroy();
    expect(names.sort()).toEqual(['ext-cache', 'ext-cost', 'ext-keys', 'ext-state']);
    expect(gw.dynamo.endpoint).toBe(external.endpoint);
    expect(gw.external?.map((t) => [t.name, t.created])).toEqual([
      ['ext-state', true],
      ['ext-cost', true],
      ['ext-keys', true],
      ['ext-cache', true],
    ]);
    // dynalite has no TTL API; the report says so instead of failing the start.
    expect(gw.external?.every((t) => t.ttl === 'unsupported')).toBe(true);
  });

  it('serves a chat completion whose usage lands in the external tables', async () => {
    external.resetRequestCounts();
    const r = await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'));
    expect(r.status).toBe(200);
    expect(r.json.object).toBe('chat.completion');
    expect(gw.env[COST_TABLE.envVar]).toBe('ext-cost');
    expect(gw.env.SWITCHYARD_DYNAMODB_ENDPOINT).toBe(external.endpoint);
    await eventually(async () => {
      const row = await usageRow(gw, 'model#deepseek-v3.2');
      expect(row?.requests).toBe(1);
    });
    expect(external.requestCounts().UpdateItem).toBeGreaterThan(0);
  });

  it('finds existing tables on a second start and creates nothing', async () => {
    const again = await connectDynamoEndpoint({ endpoint: external.endpoint, tablePrefix: 'ext-' });
    expect(again.tables.map((t) => t.created)).toEqual([false, false, false, false]);
  });

  it('refuses a table that exists with another key schema', async () => {
    const ddb = createDynamoClient({ SWITCHYARD_DYNAMODB_ENDPOINT: external.endpoint });
    await ddb.send(
      new CreateTableCommand({
        TableName: 'odd-state',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    await expect(
      ensureTable(ddb, STATE_TABLE, 'odd-state', { pollMs: 50, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) }),
    ).rejects.toThrow(/exists with key \(id, -\), not \(pk, sk\)/);
    await ddb.send(new DeleteTableCommand({ TableName: 'odd-state' }));
    ddb.destroy();
  });

  it('gives up on a table that never becomes ACTIVE, by the injected clock', async () => {
    let t = 0;
    const never = { send: async () => ({ Table: { TableStatus: 'CREATING' } }) } as never;
    await expect(
      ensureTable(never, STATE_TABLE, 'stuck', {
        timeoutMs: 1_000,
        now: () => t,
        sleep: async (ms) => {
          t += ms;
        },
      }),
    ).rejects.toThrow(/stuck is not ACTIVE after 1000 ms \(CREATING\)/);
  });

  it.each([
    ['127.0.0.1:8000', /must be a URL/],
    ['ftp://127.0.0.1:8000', /http:\/\/ or https:\/\//],
  ])('rejects %s as an endpoint', (raw, msg) => {
    expect(() => parseDynamoEndpoint(raw)).toThrow(msg);
  });
});
