/**
 * A quota scope's shards summed, as the tests audit them: what is left unallocated, spent for good,
 * and out in slices. A shard never written holds its whole share.
 */
import type { CounterOps } from '../../functions/adapters/dynamo/quota/counters';
import { type QuotaScope, shardShare } from '../../functions/core/quota/scope';

export async function scopeTotals(
  counters: CounterOps,
  scope: QuotaScope,
): Promise<{ avail: number; spent: number; sliced: number }> {
  let avail = 0;
  let spent = 0;
  let sliced = 0;
  for (let s = 0; s < scope.shards; s++) {
    const item = await counters.read(scope, s);
    avail += item.avail ?? shardShare(scope.limit, scope.shards, s);
    spent += item.spent ?? 0;
    sliced += item.sliced ?? 0;
  }
  return { avail, spent, sliced };
}
