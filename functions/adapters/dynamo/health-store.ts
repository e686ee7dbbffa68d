/**
 * The health-check function's view of the state table: consistent reads of the stored health, and
 * writes that only land on the version they were computed from (optimistic locking), so two
 * overlapping invocations can never lose each other's counts or put an older result over a newer one.
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BreakerPhase } from '../../core/resilience/breaker';
import { breakerFromItem } from './breaker-item';
import { fromItem, healthKey, toItem, type HealthRecord } from './health-item';
import { batchGetAll, conditionally, type Item } from './operations';
import { endpointPk } from './endpoint-key';

export interface HealthStore {
  readAll(endpointIds: readonly string[]): Promise<Map<string, HealthRecord>>;
  /** Breaker phase per endpoint (the routers write breakers; the health check only reports them). */
  readBreakerPhases(endpointIds: readonly string[]): Promise<Map<string, BreakerPhase>>;
  read(endpointId: string): Promise<HealthRecord | undefined>;
  /**
   * Writes `next` only if the stored item is still at `expectedVersion` (undefined: no item yet) and
   * holds an older probe. False when another writer got there first: re-read and decide again.
   */
  write(endpointId: string, next: HealthRecord, expectedVersion: number | undefined): Promise<boolean>;
}

export function createDynamoHealthStore(ddb: DynamoDBClient, table: string): HealthStore {
  const idOf = (item: Item) => item.pk.S!.slice(endpointPk('').length);

  return {
    async readAll(endpointIds) {
      const out = new Map<string, HealthRecord>();
      for (const item of await batchGetAll(ddb, table, endpointIds.map(healthKey), true)) {
        const record = fromItem(item);
        if (record) out.set(idOf(item), record);
      }
      return out;
    },

    async readBreakerPhases(endpointIds) {
      const keys = endpointIds.map((id) => ({ pk: { S: endpointPk(id) }, sk: { S: 'breaker' } }));
      const out = new Map<string, BreakerPhase>();
      for (const item of await batchGetAll(ddb, table, keys, false)) out.set(idOf(item), breakerFromItem(item).phase);
      return out;
    },

    async read(endpointId) {
      const res = await ddb.send(
        new GetItemCommand({ TableName: table, Key: healthKey(endpointId), ConsistentRead: true }),
      );
      return fromItem(res.Item);
    },

    async write(endpointId, next, expectedVersion) {
      return conditionally(() =>
        ddb.send(
          new PutItemCommand({
            TableName: table,
            Item: toItem(endpointId, next),
            ...(expectedVersion === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: '#version = :expected AND #probedAt < :probedAt',
                  ExpressionAttributeNames: { '#version': 'version', '#probedAt': 'probedAt' },
                  ExpressionAttributeValues: {
                    ':expected': { N: String(expectedVersion) },
                    ':probedAt': { N: String(Math.round(next.probedAt)) },
                  },
                }),
          }),
        ),
      );
    },
  };
}
