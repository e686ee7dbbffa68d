/**
 * The shard counters, each change one single-item UpdateItem:
 *   take:   avail -= a (if avail >= a), sliced += a, holders += 1   (a new slice, one conditional write)
 *   credit: avail += back, spent += used, sliced -= given, holders -= 1   (a slice given back)
 *   adjust: avail += new - old share, lim = new   (the limit changed since the shard was created)
 * `avail` starts at the shard's share of the limit (if_not_exists), so no item is written before
 * the first take. Writes here are not retried by the SDK (a lost answer to an ADD could apply it
 * twice); the caller treats an unanswered take as taken, which strands quota instead of minting it.
 */
import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { QuotaScope } from '../../../core/quota/scope';
import { shardShare } from '../../../core/quota/scope';
import { isConditionFailure } from '../dynamo-health';
import { COUNTER_SK, KEEP_SECONDS, shardPk, slotPk } from './keys';

export interface ShardView {
  avail: number;
  holders: number;
}

const N = (v: number) => ({ N: String(v) });

/** Throttled writes were not applied: those (only those) are safe to send again, after a short wait. */
async function unlessThrottled<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      const name = (err as { name?: string })?.name;
      const throttled = name === 'ProvisionedThroughputExceededException' || name === 'ThrottlingException';
      if (!throttled || attempt >= 2) throw err;
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 40 * (attempt + 1)));
    }
  }
}

export function createCounterOps(rawDdb: DynamoDBClient, table: string) {
  const ddb = { send: <T>(cmd: T) => unlessThrottled(() => rawDdb.send(cmd as never)) } as unknown as DynamoDBClient;
  const key = (pk: string) => ({ pk: { S: pk }, sk: { S: COUNTER_SK } });
  const expires = (scope: QuotaScope, now: number) => N(Math.floor(now / 1000) + KEEP_SECONDS);

  async function read(pk: string): Promise<Record<string, number>> {
    const res = await ddb.send(new GetItemCommand({ TableName: table, Key: key(pk), ConsistentRead: true }));
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(res.Item ?? {})) if (v.N !== undefined) out[k] = Number(v.N);
    return out;
  }

  return {
    /** Takes `amount` from a shard; the shard's state after the take, or undefined when it does not fit. */
    async take(scope: QuotaScope, shard: number, amount: number, now: number): Promise<ShardView | undefined> {
      const share = shardShare(scope.limit, scope.shards, shard);
      if (amount <= 0) return { avail: share, holders: 0 };
      for (let round = 0; round < 2; round++) {
        try {
          const res = await ddb.send(
            new UpdateItemCommand({
              TableName: table,
              Key: key(shardPk(scope, shard)),
              UpdateExpression:
                'SET avail = if_not_exists(avail, :share) - :a, lim = if_not_exists(lim, :share), expiresAt = if_not_exists(expiresAt, :exp) ADD sliced :a, holders :one',
              ConditionExpression: '(attribute_not_exists(avail) AND :share >= :a) OR (avail >= :a AND lim = :share)',
              ExpressionAttributeValues: {
                ':share': N(share),
                ':a': N(amount),
                ':one': N(1),
                ':exp': expires(scope, now),
              },
              ReturnValues: 'UPDATED_NEW',
            }),
          );
          return { avail: Number(res.Attributes?.avail?.N ?? 0), holders: Number(res.Attributes?.holders?.N ?? 0) };
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
        }
        // Refused: either too little left, or the limit changed since the shard was made.
        const item = await read(shardPk(scope, shard));
        if (item.lim === undefined || item.lim === share) return undefined;
        await adjust(scope, shard, item.lim, share);
      }
      return undefined;
    },

    /** What a shard has left (consistent read): for gathering the last of a scope across shards. */
    async view(scope: QuotaScope, shard: number): Promise<ShardView> {
      const item = await read(shardPk(scope, shard));
      const share = shardShare(scope.limit, scope.shards, shard);
      const avail = item.avail === undefined ? share : item.avail + (item.lim !== undefined ? share - item.lim : 0);
      return { avail, holders: item.holders ?? 0 };
    },

    /** Gives a slice's part back: `back` unspent (negative for an overrun), `used` spent for good (budgets). */
    async credit(
      scope: QuotaScope,
      shard: number,
      part: { given: number; back: number; used: number; spentForGood: boolean },
    ): Promise<void> {
      const values: Record<string, { N: string }> = {
        ':back': N(part.spentForGood ? part.back : part.back + part.used),
        ':minus': N(-part.given),
        ':less': N(-1),
      };
      let update = 'ADD avail :back, sliced :minus, holders :less';
      if (part.spentForGood) {
        update += ', spent :used';
        values[':used'] = N(part.used);
      }
      await ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key(shardPk(scope, shard)),
          UpdateExpression: update,
          ExpressionAttributeValues: values,
        }),
      );
    },

    /** Spend that had no slice (fail-open mode, or a record swept under a slow instance): counted as is. */
    async charge(scope: QuotaScope, shard: number, used: number, now: number): Promise<void> {
      const share = shardShare(scope.limit, scope.shards, shard);
      await ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key(shardPk(scope, shard)),
          UpdateExpression:
            'SET avail = if_not_exists(avail, :share) - :u, lim = if_not_exists(lim, :share), expiresAt = if_not_exists(expiresAt, :exp) ADD spent :u',
          ExpressionAttributeValues: { ':share': N(share), ':u': N(used), ':exp': expires(scope, now) },
        }),
      );
    },

    async read(scope: QuotaScope, shard: number) {
      return read(shardPk(scope, shard));
    },

    /** One concurrency slot from a model's slot shard, if it has room. */
    async takeSlot(model: string, shard: number, share: number): Promise<boolean> {
      try {
        await ddb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: key(slotPk(model, shard)),
            UpdateExpression: 'ADD inflight :one',
            ConditionExpression: 'attribute_not_exists(inflight) OR inflight < :share',
            ExpressionAttributeValues: { ':one': N(1), ':share': N(share) },
          }),
        );
        return true;
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw err;
      }
    },

    async giveSlots(model: string, shard: number, count: number): Promise<void> {
      await ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key(slotPk(model, shard)),
          UpdateExpression: 'ADD inflight :n',
          ExpressionAttributeValues: { ':n': N(-count) },
        }),
      );
    },

    async readSlots(model: string, shard: number): Promise<number> {
      return (await read(slotPk(model, shard))).inflight ?? 0;
    },
  };

  async function adjust(scope: QuotaScope, shard: number, oldShare: number, newShare: number): Promise<void> {
    try {
      await ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key(shardPk(scope, shard)),
          UpdateExpression: 'SET lim = :new ADD avail :delta',
          ConditionExpression: 'lim = :old',
          ExpressionAttributeValues: { ':new': N(newShare), ':old': N(oldShare), ':delta': N(newShare - oldShare) },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }
}

export type CounterOps = ReturnType<typeof createCounterOps>;
