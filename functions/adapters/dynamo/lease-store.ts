/**
 * Per-model concurrency caps across all router instances. One item per model holds the in-flight
 * count and one attribute per holder with its expiry:
 *   acquire = ADD inflight 1 + SET h_<holder> = expiry, conditional on inflight < cap;
 *   release = ADD inflight -1 + REMOVE h_<holder>, conditional on the holder being there.
 * A crashed instance never releases, so a full model is checked for expired holders (one
 * consistent read, only on that slow path) and each is reclaimed with a conditional write.
 * Expiry is the invocation's own deadline: a holder cannot outlive its Lambda invocation.
 */
import {
  GetItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { DynamoHealth } from './dynamo-health';
import { conditionally } from './operations';
import type { WriteBacklog } from './write-backlog';

export interface Lease {
  release(): Promise<void>;
}

export interface LeaseStore {
  /** A lease, or undefined when the model is at its cap. */
  acquire(model: string, cap: number, holderId: string, expiresAt: number): Promise<Lease | undefined>;
}

const HOLDER_PREFIX = 'h_';

export function createDynamoLeaseStore(opts: {
  ddb: DynamoDBClient;
  table: string;
  dynamo: DynamoHealth;
  now: () => number;
  /** Keeps a release DynamoDB could not take, for replay (else the slot waits for its expiry and a reclaim). */
  backlog?: WriteBacklog;
}): LeaseStore {
  const { ddb, table, dynamo, now } = opts;
  const key = (model: string) => ({ pk: { S: `lease#${model}` }, sk: { S: 'lease' } });
  const holderAttr = (holderId: string) => HOLDER_PREFIX + holderId.replace(/[^A-Za-z0-9_-]/g, '_');

  /** One conditional UpdateItem on the model's lease item; false when its condition did not hold. */
  const updateLease = (model: string, input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>) =>
    conditionally(() => ddb.send(new UpdateItemCommand({ TableName: table, Key: key(model), ...input })));

  const tryAcquire = (model: string, cap: number, attr: string, expiresAt: number) =>
    updateLease(model, {
      UpdateExpression: 'SET #h = :exp ADD inflight :one',
      ConditionExpression: 'attribute_not_exists(inflight) OR inflight < :cap',
      ExpressionAttributeNames: { '#h': attr },
      ExpressionAttributeValues: { ':exp': { N: String(expiresAt) }, ':one': { N: '1' }, ':cap': { N: String(cap) } },
    });

  /** Frees slots whose holders are past their expiry; returns how many were freed. */
  async function reclaimExpired(model: string): Promise<number> {
    const res = await ddb.send(new GetItemCommand({ TableName: table, Key: key(model), ConsistentRead: true }));
    const t = now();
    let freed = 0;
    for (const [name, value] of Object.entries(res.Item ?? {})) {
      if (!name.startsWith(HOLDER_PREFIX) || Number(value.N) > t) continue;
      // Conditional on the expiry read: another instance may have reclaimed it first.
      const reclaimed = await updateLease(model, {
        UpdateExpression: 'REMOVE #h ADD inflight :minus',
        ConditionExpression: '#h = :exp',
        ExpressionAttributeNames: { '#h': name },
        ExpressionAttributeValues: { ':exp': value, ':minus': { N: '-1' } },
      });
      if (reclaimed) freed++;
    }
    return freed;
  }

  function leaseFor(model: string, attr: string): Lease {
    let released = false;
    return {
      async release() {
        if (released) return;
        released = true;
        // A failed condition means the holder was reclaimed as expired: the slot was given back then.
        const write = () =>
          updateLease(model, {
            UpdateExpression: 'REMOVE #h ADD inflight :minus',
            ConditionExpression: 'attribute_exists(#h)',
            ExpressionAttributeNames: { '#h': attr },
            ExpressionAttributeValues: { ':minus': { N: '-1' } },
          });
        try {
          await (opts.backlog ? opts.backlog.run('lease release', write) : write());
        } catch (err) {
          dynamo.failed('lease release', err);
        }
      },
    };
  }

  return {
    async acquire(model, cap, holderId, expiresAt) {
      const attr = holderAttr(holderId);
      try {
        if (await tryAcquire(model, cap, attr, expiresAt)) {
          dynamo.ok();
          return leaseFor(model, attr);
        }
        if ((await reclaimExpired(model)) > 0 && (await tryAcquire(model, cap, attr, expiresAt)))
          return leaseFor(model, attr);
        return undefined;
      } catch (err) {
        // Fail open: without DynamoDB the cap cannot be enforced across instances; serving beats refusing.
        dynamo.failed('lease acquire', err);
        // The acquire may have been applied with only its answer lost: release it like any lease (the
        // release is conditional on our holder being there, so it does nothing if it was not).
        return leaseFor(model, attr);
      }
    },
  };
}
