/**
 * The stack's tables on any DynamoDB-compatible endpoint (the embedded dynalite, DynamoDB Local, or
 * a real account), built from the shared specs: created when missing, waited for until ACTIVE (a
 * real table takes seconds), and given TTL on the spec's attribute where the endpoint supports it
 * (dynalite has no TTL API; DynamoDB Local and DynamoDB do). A table that exists with another key
 * schema is an error, not something to write into.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_SPECS, type TableSpec } from '../functions/contracts/table-specs';

/** What happened to a table: created or found, and its TTL (`unsupported`: the endpoint has no TTL API). */
export interface TableReport {
  name: string;
  spec: TableSpec['name'];
  created: boolean;
  ttl: 'enabled' | 'enabling' | 'unsupported';
}

export interface EnsureTablesOptions {
  prefix?: string;
  /** Give up waiting for ACTIVE after this long (default 120 s). */
  timeoutMs?: number;
  /** Between DescribeTable polls (default 250 ms). */
  pollMs?: number;
  /** TTL on the spec's attribute (default true). */
  ttl?: boolean;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Errors of an endpoint that does not implement an operation at all (dynalite's TTL). */
function isUnsupported(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? '';
  const message = String((e as Error)?.message ?? '');
  return name === 'UnknownOperationException' || /unknown ?operation|not (yet )?(implemented|supported)/i.test(message);
}

export async function ensureTables(client: DynamoDBClient, opts: EnsureTablesOptions = {}): Promise<TableReport[]> {
  const prefix = opts.prefix ?? 'switchyard-';
  const out: TableReport[] = [];
  for (const spec of TABLE_SPECS) out.push(await ensureTable(client, spec, `${prefix}${spec.name}`, opts));
  return out;
}

export async function ensureTable(
  client: DynamoDBClient,
  spec: TableSpec,
  name: string,
  opts: EnsureTablesOptions = {},
): Promise<TableReport> {
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  let created = false;
  if (!(await describe(client, name))) {
    try {
      await client.send(createTableCommand(spec, name));
      created = true;
    } catch (e) {
      // Another process created it between our describe and create.
      if (!(e instanceof ResourceInUseException)) throw e;
    }
  }
  const deadline = now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const table = await describe(client, name);
    if (table?.TableStatus === 'ACTIVE') {
      checkKeySchema(spec, name, table.KeySchema ?? []);
      break;
    }
    if (now() >= deadline) {
      throw new Error(
        `table ${name} is not ACTIVE after ${opts.timeoutMs ?? 120_000} ms (${table?.TableStatus ?? 'missing'})`,
      );
    }
    await sleep(opts.pollMs ?? 250);
  }
  const ttl = opts.ttl === false ? 'unsupported' : await ensureTtl(client, spec, name);
  return { name, spec: spec.name, created, ttl };
}

async function describe(client: DynamoDBClient, name: string) {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (e) {
    if (e instanceof ResourceNotFoundException) return undefined;
    throw e;
  }
}

export function createTableCommand(spec: TableSpec, name: string): CreateTableCommand {
  return new CreateTableCommand({
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
  });
}

function checkKeySchema(spec: TableSpec, name: string, keys: Array<{ AttributeName?: string; KeyType?: string }>) {
  const hash = keys.find((k) => k.KeyType === 'HASH')?.AttributeName;
  const range = keys.find((k) => k.KeyType === 'RANGE')?.AttributeName;
  if (hash !== spec.partitionKey || range !== spec.sortKey) {
    throw new Error(
      `table ${name} exists with key (${hash ?? '-'}, ${range ?? '-'}), not (${spec.partitionKey}, ${spec.sortKey}): use another --table-prefix`,
    );
  }
}

async function ensureTtl(client: DynamoDBClient, spec: TableSpec, name: string): Promise<TableReport['ttl']> {
  try {
    const d = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    const status = d.TimeToLiveDescription?.TimeToLiveStatus;
    if (status === 'ENABLED' || status === 'ENABLING') return status === 'ENABLED' ? 'enabled' : 'enabling';
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true },
      }),
    );
    return 'enabling';
  } catch (e) {
    if (isUnsupported(e)) return 'unsupported';
    throw e;
  }
}
