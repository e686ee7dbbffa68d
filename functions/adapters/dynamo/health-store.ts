/**
 * The health-check function's view of the state table: consistent reads of the stored health, and
 * writes that only land on the version they were computed from (optimistic locking), so two
 * overlapping invocations can never lose each other's counts or put an older result over a newer one.
 */
import {
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  type BatchGetItemCommandOutput,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { BreakerPhase } from '../../core/resilience/breaker';
import { breakerFromItem } from './breaker-store';
import { isConditionFailure } from './dynamo-health';
import { fromItem, healthKey, toItem, type HealthRecord } from './health-item';
import { endpointPk } from './state-snapshot';

type Item = Record<string, AttributeValue>;

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

  async function batchGet(keys: Item[], consistent: boolean): Promise<Item[]> {
    const found: Item[] = [];
    // BatchGetItem takes at most 100 keys per call and may hand some back unprocessed.
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Item[] | undefined = keys.slice(i, i + 100);
      for (let attempt = 0; pending?.length && attempt < 5; attempt++) {
        const res: BatchGetItemCommandOutput = await ddb.send(
          new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: consistent } } }),
        );
        found.push(...(res.Responses?.[table] ?? []));
        pending = res.UnprocessedKeys?.[table]?.Keys;
      }
    }
    return found;
  }

  return {
    async readAll(endpointIds) {
      const out = new Map<string, HealthRecord>();
      for (const item of await batchGet(endpointIds.map(healthKey), true)) {
        const record = fromItem(item);
        if (record) out.set(idOf(item), record);
      }
      return out;
    },

    async readBreakerPhases(endpointIds) {
      const keys = endpointIds.map((id) => ({ pk: { S: endpointPk(id) }, sk: { S: 'breaker' } }));
      const out = new Map<string, BreakerPhase>();
      for (const item of await batchGet(keys, false)) out.set(idOf(item), breakerFromItem(item).phase);
      return out;
    },

    async read(endpointId) {
      const res = await ddb.send(new GetItemCommand({ TableName: table, Key: healthKey(endpointId), ConsistentRead: true }));
      return fromItem(res.Item);
    },

    async write(endpointId, next, expectedVersion) {
      try {
        await ddb.send(
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
        );
        return true;
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw err;
      }
    },
  };
}
