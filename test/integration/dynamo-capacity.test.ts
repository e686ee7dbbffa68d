/**
 * The partition-capacity proxy in front of dynalite, driven through the real AWS SDK with an
 * injected clock: units per request, throttling per partition key, refill by simulated time.
 */
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { STATE_TABLE } from '../../functions/contracts/table-specs';
import { startLocalDynamo, type LocalDynamo } from '../../local/dynamo';
import { startDynamoCapacityProxy, type CapacityProxy } from '../../local/dynamo-capacity';

const TABLE = `switchyard-${STATE_TABLE.name}`;
const client = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
const key = (pk: string, sk = 'x') => ({ pk: { S: pk }, sk: { S: sk } });
const bump = (pk: string, sk = 'x') =>
  new UpdateItemCommand({
    TableName: TABLE,
    Key: key(pk, sk),
    UpdateExpression: 'ADD n :one',
    ExpressionAttributeValues: { ':one': { N: '1' } },
  });

describe('DynamoDB partition-capacity proxy', () => {
  let dynamo: LocalDynamo;
  let proxy: CapacityProxy;
  let ddb: DynamoDBClient;
  let wallMs = 0;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(() => dynamo.close());
  afterEach(async () => {
    ddb?.destroy();
    await proxy?.close();
  });
  const start = async (opts: Parameters<typeof startDynamoCapacityProxy>[1] = {}) => {
    wallMs = 0;
    proxy = await startDynamoCapacityProxy(dynamo.endpoint, { now: () => wallMs, ...opts });
    ddb = client(proxy.endpoint);
  };

  it('throttles a partition key past its write units per second and lets other keys through', async () => {
    await start({ writeUnitsPerSecond: 10 });
    for (let i = 0; i < 10; i++) await ddb.send(bump('hot-a', `s${i}`));
    const err = await ddb.send(bump('hot-a')).catch((e) => e);
    expect(err?.name).toBe('ProvisionedThroughputExceededException');
    expect(err?.$metadata?.httpStatusCode).toBe(400);
    await ddb.send(bump('cold-a'));
    // 100 ms of simulated time refills one unit at 10 WCU/s.
    wallMs += 100;
    await ddb.send(bump('hot-a'));
    await expect(ddb.send(bump('hot-a'))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });

    const [hot, cold] = proxy.hottest(2);
    expect(hot).toMatchObject({ key: `${TABLE} hot-a`, writeRequests: 11, writeUnits: 11, throttledWrites: 2 });
    expect(cold).toMatchObject({ key: `${TABLE} cold-a`, writeRequests: 1, writeUnits: 1, throttledWrites: 0 });
    expect(proxy.report()).toMatchObject({ writeRequests: 12, writeUnits: 12, throttledWrites: 2 });
  });

  it('admits no more than the capacity when many writes to a key arrive at once', async () => {
    await start({ writeUnitsPerSecond: 10 });
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => ddb.send(bump('burst-a', `s${i}`))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    expect(proxy.hottest(1)[0]).toMatchObject({ writeRequests: 10, writeUnits: 10, throttledWrites: 20 });
  });

  it('runs capacity per simulated second: at timeScale 0.5, 200 ms of wall clock refill 0.1 s of capacity', async () => {
    await start({ writeUnitsPerSecond: 10, timeScale: 0.5 });
    for (let i = 0; i < 10; i++) await ddb.send(bump('scaled', `s${i}`));
    wallMs += 100; // 0.05 simulated s: half a unit, not enough
    await expect(ddb.send(bump('scaled'))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    wallMs += 100;
    await ddb.send(bump('scaled'));
    expect(proxy.report().simulatedSeconds).toBeCloseTo(0.1, 6);
  });

  it('charges writes by the larger of the item before and after, per KB, including failed conditions', async () => {
    await start();
    const big = 'x'.repeat(2500);
    await ddb.send(new PutItemCommand({ TableName: TABLE, Item: { ...key('size-a'), body: { S: big } } }));
    // ~2.5 KB before and after: 3 units for a one-number update.
    const up = await ddb.send(bump('size-a'));
    expect(up.Attributes).toBeUndefined(); // the proxy's ALL_NEW is not leaked to a caller who asked for nothing
    await expect(
      ddb.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: key('size-a'),
          UpdateExpression: 'SET n = :v',
          ConditionExpression: 'attribute_not_exists(pk)',
          ExpressionAttributeValues: { ':v': { N: '1' } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    await ddb.send(new DeleteItemCommand({ TableName: TABLE, Key: key('size-a') }));
    await ddb.send(bump('size-a'));
    const [p] = proxy.hottest(1);
    // put 3 (0 -> 2.5 KB), update 3, failed condition 3, delete 3 (2.5 KB -> 0), new small item 1
    expect(p).toMatchObject({ key: `${TABLE} size-a`, writeRequests: 5, writeUnits: 13 });
  });

  it('learns the size of an item written behind its back by reading it through the upstream', async () => {
    const direct = client(dynamo.endpoint);
    await direct.send(
      new PutItemCommand({ TableName: TABLE, Item: { ...key('pre-a'), body: { S: 'y'.repeat(5000) } } }),
    );
    direct.destroy();
    await start();
    await ddb.send(bump('pre-a'));
    expect(proxy.hottest(1)[0]).toMatchObject({ writeRequests: 1, writeUnits: 5 });
    // Its own read does not count as the caller's.
    expect(proxy.report()).toMatchObject({ readRequests: 0, operations: { UpdateItem: 1 } });
  });

  it('charges reads per 4 KB, half for eventually consistent, a query on the total it returns', async () => {
    await start();
    for (const sk of ['a', 'b', 'c'])
      await ddb.send(
        new PutItemCommand({ TableName: TABLE, Item: { ...key('read-a', sk), body: { S: 'z'.repeat(3000) } } }),
      );
    await ddb.send(new GetItemCommand({ TableName: TABLE, Key: key('read-a', 'a') }));
    await ddb.send(new GetItemCommand({ TableName: TABLE, Key: key('read-a', 'a'), ConsistentRead: true }));
    const q = await ddb.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: '#p = :p',
        ExpressionAttributeNames: { '#p': 'pk' },
        ExpressionAttributeValues: { ':p': { S: 'read-a' } },
      }),
    );
    expect(q.Items).toHaveLength(3);
    // 0.5 + 1 + ceil(3 x ~3 KB / 4 KB) / 2 = 0.5 + 1 + 1.5
    expect(proxy.hottest(1, 'readUnits')[0]).toMatchObject({ key: `${TABLE} read-a`, readRequests: 3, readUnits: 3 });
  });

  it('throttles reads at their own limit', async () => {
    await start({ readUnitsPerSecond: 2 });
    await ddb.send(new GetItemCommand({ TableName: TABLE, Key: key('r-lim'), ConsistentRead: true }));
    await ddb.send(new GetItemCommand({ TableName: TABLE, Key: key('r-lim'), ConsistentRead: true }));
    await expect(ddb.send(new GetItemCommand({ TableName: TABLE, Key: key('r-lim') }))).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
    });
    expect(proxy.hottest(1, 'throttledReads')[0]).toMatchObject({ readUnits: 2, throttledReads: 1 });
  });

  it("returns a batch write's throttled items as UnprocessedItems and charges only the written ones", async () => {
    await start({ writeUnitsPerSecond: 1 });
    await ddb.send(bump('bw-full'));
    const put = (pk: string) => ({ PutRequest: { Item: { ...key(pk), v: { S: 'v' } } } });
    const r = await ddb.send(
      new BatchWriteItemCommand({ RequestItems: { [TABLE]: [put('bw-full'), put('bw-free')] } }),
    );
    expect(r.UnprocessedItems?.[TABLE]).toEqual([put('bw-full')]);
    const by = Object.fromEntries(proxy.report().partitions.map((p) => [p.pk, p]));
    expect(by['bw-free']).toMatchObject({ writeRequests: 1, writeUnits: 1 });
    expect(by['bw-full']).toMatchObject({ writeRequests: 1, throttledWrites: 1 });
  });

  it('only counts when not enforcing', async () => {
    await start({ writeUnitsPerSecond: 1, enforce: false });
    for (let i = 0; i < 5; i++) await ddb.send(bump('count-only'));
    expect(proxy.hottest(1)[0]).toMatchObject({
      writeRequests: 5,
      writeUnits: 5,
      throttledWrites: 0,
      peakWriteUnitsPerSecond: 5,
    });
  });
});
