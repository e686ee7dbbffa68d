/**
 * The DynamoDB tables, declared once. The CDK stack (lib/) builds them from these specs and the
 * local runtime creates the same tables in dynalite, so the two can never drift apart.
 *
 * Every table uses the same generic key shape (pk/sk strings) so item types can share a table
 * and new item kinds need no schema change.
 */
export interface TableSpec {
  /** Stable short name, also the CloudFormation logical id suffix. */
  readonly name: 'state' | 'cost' | 'keys' | 'cache';
  /** Environment variable through which a function learns the physical table name. */
  readonly envVar: string;
  readonly partitionKey: 'pk';
  readonly sortKey: 'sk';
  /**
   * Attribute holding an epoch-seconds expiry. DynamoDB deletes expired items only eventually
   * (and dynalite never), so code must treat it as garbage collection, never as correctness.
   */
  readonly ttlAttribute: 'expiresAt';
  readonly description: string;
}

export const STATE_TABLE: TableSpec = {
  name: 'state',
  envVar: 'SWITCHYARD_STATE_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  description: 'circuit breakers, endpoint health, concurrency leases',
};

export const COST_TABLE: TableSpec = {
  name: 'cost',
  envVar: 'SWITCHYARD_COST_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  description: 'daily usage counters and budget ledgers per scope',
};

export const KEYS_TABLE: TableSpec = {
  name: 'keys',
  envVar: 'SWITCHYARD_KEYS_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  description: 'hashed virtual API keys, their limits and rate-limit windows',
};

export const CACHE_TABLE: TableSpec = {
  name: 'cache',
  envVar: 'SWITCHYARD_CACHE_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  description: 'response cache: answers under a hash of the normalized request, expiring by TTL',
};

export const TABLE_SPECS: readonly TableSpec[] = [STATE_TABLE, COST_TABLE, KEYS_TABLE, CACHE_TABLE];

/** Physical table name from the environment, with a readable default for the local runtime. */
export function tableName(spec: TableSpec, env: NodeJS.ProcessEnv = process.env): string {
  return env[spec.envVar] ?? `switchyard-${spec.name}`;
}
