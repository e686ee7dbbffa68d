/**
 * The local DynamoDB (dynalite) must close the store iterator behind every Query: an iterator left
 * open pins a snapshot of the in-memory tree, and the local runtime then grows with every write
 * (found by `npm run soak`; see closeLevelIteratorsOnReturn in local/dynalite-worker.cjs). The local
 * runtime runs dynalite in a worker thread; this test runs it in-process with the same fix, so the
 * iterators can be watched.
 */
import { CreateTableCommand, DynamoDBClient, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createRequire } from 'node:module';
import { COST_TABLE, tableName } from '../../functions/contracts/table-specs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { startLocalDynamo, type LocalDynamo } from '../../local/dynamo';
import { eventually } from '../helpers/local-gateway';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { closeLevelIteratorsOnReturn } = require('../../local/dynalite-worker.cjs') as {
  closeLevelIteratorsOnReturn(): void;
};

function iteratorBase(): { close(): Promise<void> } {
  const fromDynalite = createRequire(require.resolve('dynalite'));
  const { AbstractIterator } = createRequire(fromDynalite.resolve('memory-level'))('abstract-level');
  return Object.getPrototypeOf(AbstractIterator.prototype);
}

describe('local DynamoDB (dynalite)', () => {
  let server: Server;
  let ddb: DynamoDBClient;
  let table: string;
  beforeAll(async () => {
    closeLevelIteratorsOnReturn();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    server = require('dynalite')({ createTableMs: 0 }) as Server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    ddb = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    table = 'iterators';
    await ddb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  });
  afterAll(async () => {
    ddb.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('closes the iterator of every Query once its results are read', async () => {
    for (let i = 0; i < 3; i++) {
      await ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: 'q' }, sk: { S: `s${i}` } },
          UpdateExpression: 'ADD n :one',
          ExpressionAttributeValues: { ':one': { N: '1' } },
        }),
      );
    }
    const close = jest.spyOn(iteratorBase(), 'close');
    try {
      for (let i = 0; i < 10; i++) {
        const res = await ddb.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :p',
            ExpressionAttributeValues: { ':p': { S: 'q' } },
          }),
        );
        expect(res.Items).toHaveLength(3);
      }
      // Closing runs when the result stream is destroyed, right after the answer is written.
      await eventually(async () => expect(close.mock.calls.length).toBeGreaterThanOrEqual(10));
    } finally {
      close.mockRestore();
    }
  });
});

describe('local DynamoDB in its worker thread', () => {
  let dynamo: LocalDynamo;
  afterAll(() => dynamo.close());

  it('serves the stack tables, counts requests by operation, and closes once however often asked', async () => {
    dynamo = await startLocalDynamo({ tablePrefix: 'worker-' });
    const ddb = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      dynamo.resetRequestCounts();
      const table = tableName(COST_TABLE, dynamo.env);
      await ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: 'c' }, sk: { S: 'c' } },
          UpdateExpression: 'ADD n :one',
          ExpressionAttributeValues: { ':one': { N: '1' } },
        }),
      );
      await ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: 'c' }, sk: { S: 'c' } },
          UpdateExpression: 'ADD n :one',
          ExpressionAttributeValues: { ':one': { N: '1' } },
        }),
      );
      const q = await ddb.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': { S: 'c' } },
        }),
      );
      expect(q.Items?.[0]?.n?.N).toBe('2');
      expect(dynamo.requestCounts()).toEqual({ UpdateItem: 2, Query: 1 });
      dynamo.resetRequestCounts();
      expect(dynamo.requestCounts()).toEqual({});
    } finally {
      ddb.destroy();
    }
    await Promise.all([dynamo.close(), dynamo.close()]);
    await expect(fetch(dynamo.endpoint)).rejects.toThrow();
  });
});
