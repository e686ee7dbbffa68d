/**
 * DynamoDB for the local runtime: dynalite (pure JS, no Docker, no Java) in a worker thread, with
 * the same tables the stack creates, built from the shared specs. The real AWS SDK talks to it over
 * HTTP. Its own thread keeps its CPU off the gateway's event loop (on a 2-core machine it was half
 * the local runtime's CPU per request), and a process hosting it may block (execFileSync) without
 * deadlocking it.
 */
import { DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { TABLE_SPECS, type TableSpec } from '../functions/contracts/table-specs';
import { createTableCommand } from './dynamo-tables';

/** Operations counted one by one; anything else lands in `other`. */
const COUNTED_OPS = [
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchGetItem',
  'BatchWriteItem',
  'Query',
  'Scan',
  'TransactGetItems',
  'TransactWriteItems',
  'CreateTable',
  'DescribeTable',
  'DeleteTable',
  'ListTables',
];

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
  /** Create the stack's tables (default true); false gives a bare endpoint, as a fresh DynamoDB Local is. */
  tables?: boolean;
  /** How long a new table stays CREATING (default 0); a real table takes seconds. */
  createTableMs?: number;
}

export async function startLocalDynamo(opts: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const shared = new SharedArrayBuffer(4 * (COUNTED_OPS.length + 1));
  const counts = new Int32Array(shared);
  const worker = new Worker(join(__dirname, 'dynalite-worker.cjs'), {
    // No TypeScript loader in the worker: its entry is plain CommonJS.
    execArgv: [],
    workerData: {
      switchyardDynalite: true,
      path: opts.path,
      port: opts.port,
      createTableMs: opts.createTableMs ?? 0,
      counts: shared,
      ops: COUNTED_OPS,
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`dynalite worker exited (${code}) before listening`)));
    worker.once('message', (m: { port?: number; error?: string }) =>
      m.port ? resolve(m.port) : reject(new Error(`dynalite: ${m.error}`)),
    );
  });
  // The worker must never keep a finished process (a CLI, a test) alive on its own.
  worker.unref();

  const endpoint = `http://127.0.0.1:${port}`;
  const prefix = opts.tablePrefix ?? 'switchyard-';
  const env: Record<string, string> = { SWITCHYARD_DYNAMODB_ENDPOINT: endpoint };
  if (opts.tables === false) return handle(worker, counts, endpoint, env);
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  for (const spec of TABLE_SPECS) {
    const name = `${prefix}${spec.name}`;
    env[spec.envVar] = name;
    await createTable(client, spec, name);
  }
  client.destroy();
  return handle(worker, counts, endpoint, env);
}

function handle(worker: Worker, counts: Int32Array, endpoint: string, env: Record<string, string>): LocalDynamo {
  let baseline = Array.from(counts);
  let closing: Promise<void> | undefined;
  return {
    endpoint,
    env,
    requestCounts: () => {
      const out: Record<string, number> = {};
      for (let i = 0; i <= COUNTED_OPS.length; i++) {
        const n = Atomics.load(counts, i) - baseline[i];
        if (n > 0) out[COUNTED_OPS[i] ?? 'other'] = n;
      }
      return out;
    },
    resetRequestCounts: () => {
      baseline = Array.from(counts);
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        const done = () => void worker.terminate().then(() => resolve());
        worker.once('message', (m) => m === 'closed' && done());
        worker.once('exit', () => resolve());
        worker.postMessage('close');
      })),
  };
}

async function createTable(client: DynamoDBClient, spec: TableSpec, name: string): Promise<void> {
  try {
    await client.send(createTableCommand(spec, name));
  } catch (e) {
    // A persisted (--data-dir) store already has its tables.
    if (!(e instanceof ResourceInUseException)) throw e;
  }
}
