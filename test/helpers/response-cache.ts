/** Reads the local gateway's response-cache table, and counts what reached the simulated upstreams. */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { CACHE_TABLE, tableName } from '../../functions/contracts/table-specs';
import type { LocalGateway } from '../../local/gateway';

export interface StoredEntry {
  scope: string;
  model: string;
  createdAt: number;
  bytes: number;
}

/** Every item of the cache table (a test table holds a handful). */
export async function cacheEntries(gw: LocalGateway): Promise<StoredEntry[]> {
  const ddb = createDynamoClient({ ...gw.env, SWITCHYARD_DYNAMODB_ENDPOINT: gw.dynamo.endpoint });
  try {
    const res = await ddb.send(new ScanCommand({ TableName: tableName(CACHE_TABLE, gw.env) }));
    return (res.Items ?? []).map((i) => ({
      scope: i.scope?.S ?? '',
      model: i.model?.S ?? '',
      createdAt: Number(i.createdAt?.N),
      bytes: (i.body?.S ?? '').length,
    }));
  } finally {
    ddb.destroy();
  }
}

/** Chat completion calls the simulated providers received. */
export function upstreamCalls(gw: LocalGateway): number {
  return gw.providers!.requests().filter((r) => r.path.endsWith('/chat/completions')).length;
}
