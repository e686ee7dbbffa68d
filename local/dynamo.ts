/**
 * DynamoDB for the local runtime: dynalite in-process (pure JS, no Docker, no Java) with the same
 * tables the stack creates, built from the shared specs. The real AWS SDK talks to it over HTTP.
 */
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { AddressInfo } from 'node:net';
import { TABLE_SPECS, type TableSpec } from '../functions/adapters/dynamo/table-specs';

// dynalite ships no types; this is the part of its API the runtime uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite: (opts: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number; path?: string }) => import('node:http').Server = require('dynalite');

export interface LocalDynamo {
  endpoint: string;
  /** Environment entries that point handlers at this instance and its tables. */
  env: Record<string, string>;
  /** Requests dynalite has received since start (or the last reset), by operation (X-Amz-Target, e.g. `GetItem`). */
  requestCounts(): Record<string, number>;
  resetRequestCounts(): void;
  close(): Promise<void>;
}

export interface LocalDynamoOptions {
  /** Persist tables to this directory instead of memory. */
  path?: string;
  port?: number;
  tablePrefix?: string;
}

export async function startLocalDynamo(opts: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(opts.path ? { path: opts.path } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  // A second 'request' listener only reads a header; dynalite's own listener still serves the request.
  let counts: Record<string, number> = {};
  server.on('request', (req: import('node:http').IncomingMessage) => {
    const op = String(req.headers['x-amz-target'] ?? '').split('.').pop() || 'unknown';
    counts[op] = (counts[op] ?? 0) + 1;
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const prefix = opts.tablePrefix ?? 'switchyard-';
  const env: Record<string, string> = { SWITCHYARD_DYNAMODB_ENDPOINT: endpoint };
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  for (const spec of TABLE_SPECS) {
    const name = `${prefix}${spec.name}`;
    env[spec.envVar] = name;
    await createTable(client, spec, name);
  }
  client.destroy();
  return {
    endpoint,
    env,
    requestCounts: () => ({ ...counts }),
    resetRequestCounts: () => {
      counts = {};
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

async function createTable(client: DynamoDBClient, spec: TableSpec, name: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: spec.partitionKey, AttributeType: 'S' },
          { AttributeName: spec.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: spec.partitionKey, KeyType: 'HASH' },
          { AttributeName: spec.sortKey, KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (e) {
    // A persisted (--data-dir) store already has its tables.
    if (!(e instanceof ResourceInUseException)) throw e;
  }
}
