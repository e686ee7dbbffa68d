/**
 * The local runtime on a DynamoDB it does not host (`npm start -- --dynamodb-endpoint URL`):
 * DynamoDB Local, another dynalite, or a real table in an AWS account. The tables are created from
 * the shared specs when missing and waited for until ACTIVE. Credentials follow the handlers' rule
 * (functions/adapters/dynamo/client.ts): fixed fake ones for a loopback endpoint, the SDK's default
 * chain (environment, profile, SSO, instance role) for any other.
 */
import { createDynamoClient } from '../functions/adapters/dynamo/client';
import { TABLE_SPECS } from '../functions/contracts/table-specs';
import type { LocalDynamo } from './dynamo';
import { ensureTables, type EnsureTablesOptions, type TableReport } from './dynamo-tables';

export interface DynamoEndpointOptions extends Omit<EnsureTablesOptions, 'prefix'> {
  endpoint: string;
  /** AWS region for signing (and the endpoint's region on AWS); default AWS_REGION, else us-east-1. */
  region?: string;
  tablePrefix?: string;
}

export interface ExternalDynamo extends LocalDynamo {
  tables: TableReport[];
}

export function parseDynamoEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`--dynamodb-endpoint must be a URL such as http://127.0.0.1:8000, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`--dynamodb-endpoint must be http:// or https://, got "${raw}"`);
  }
  return url.origin;
}

export async function connectDynamoEndpoint(opts: DynamoEndpointOptions): Promise<ExternalDynamo> {
  const endpoint = parseDynamoEndpoint(opts.endpoint);
  const prefix = opts.tablePrefix ?? 'switchyard-';
  const env: Record<string, string> = { SWITCHYARD_DYNAMODB_ENDPOINT: endpoint };
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (region) env.AWS_REGION = region;
  for (const spec of TABLE_SPECS) env[spec.envVar] = `${prefix}${spec.name}`;
  const client = createDynamoClient({ ...process.env, ...env });
  let tables: TableReport[];
  try {
    tables = await ensureTables(client, { ...opts, prefix });
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    env,
    tables,
    // Not ours to count: the bench and tests count at a proxy in front of it.
    requestCounts: () => ({}),
    resetRequestCounts: () => undefined,
    close: async () => undefined,
  };
}
