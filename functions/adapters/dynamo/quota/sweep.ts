/**
 * Gives back what dead or long-frozen instances hold: every holder record past its expiry is
 * claimed once (a conditional write, so two sweepers never both return it), then each slice's
 * unused rest goes back to its shards (budgets: the recorded use counts as spent; rates: all of it
 * comes back, the record having expired at least 60 s after its last use) and its slots are freed.
 * Runs on the health check's schedule and, rate-limited, on an instance that was refused.
 */
import { returnPlan } from '../../../core/quota/slice';
import type { QuotaScope, QuotaKind } from '../../../core/quota/scope';
import { unitsReturn } from '../../../core/quota/scope';
import { utcDay } from '../../../core/time';
import type { CounterOps } from './counters';
import { type HolderOps, splitSlot } from './holders';

const DAY_MS = 86_400_000;

export async function sweepExpired(o: {
  counters: CounterOps;
  holders: HolderOps;
  partitions: number;
  now: number;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}): Promise<{ records: number; slices: number; slots: number }> {
  const done = { records: 0, slices: 0, slots: 0 };
  // Records started today or yesterday (an instance rotates its record at the first quiet moment after midnight).
  const days = [utcDay(o.now - DAY_MS), utcDay(o.now)];
  for (let p = 0; p < o.partitions; p++) {
    const pk = `holder#${p}`;
    for (const day of days) {
      for (const r of await o.holders.query(pk, `${day}#`, true)) {
        if (r.state !== 'active' || !(r.expiresAt < o.now)) continue;
        if (!(await o.holders.claim(pk, r.sk, r.expiresAt))) continue;
        done.records++;
        for (const [id, def] of Object.entries(r.defs)) {
          const scope: QuotaScope = {
            kind: def.kind as QuotaKind,
            id: def.id,
            period: def.period,
            limit: def.limit,
            shards: def.shards,
          };
          const parts = def.parts.map(([shard, amount]) => ({ shard, amount }));
          const plan = returnPlan({ parts, used: r.used[id] ?? 0 });
          await Promise.all(
            plan.map((x, i) =>
              o.counters.credit(scope, x.shard, {
                given: parts[i].amount,
                back: x.back,
                used: x.used,
                spentForGood: !unitsReturn(scope.kind),
              }),
            ),
          );
          done.slices++;
        }
        for (const [key, count] of Object.entries(r.slots)) {
          if (count <= 0) continue;
          const [model, shard] = splitSlot(key);
          await o.counters.giveSlots(model, shard, count);
          done.slots += count;
        }
      }
    }
  }
  if (done.records > 0) o.log('info', 'returned quota of expired holder records', done);
  return done;
}

/**
 * An instance's sweeps of others' expired records: `run` now, or `soon` in the background at most
 * once per `everyMs` (a refused instance asks on every refusal). One per instance, shared by its
 * holder pages, so that pages do not each sweep.
 */
export function createSweeper(o: {
  counters: CounterOps;
  holders: HolderOps;
  partitions: number;
  everyMs: number;
  now: () => number;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  failed: (op: string, err: unknown) => void;
}) {
  let last = 0;
  const run = async (now: number): Promise<void> => {
    last = o.now();
    try {
      await sweepExpired({ counters: o.counters, holders: o.holders, partitions: o.partitions, now, log: o.log });
    } catch (err) {
      o.failed('sweep', err);
    }
  };
  return {
    run,
    soon(now: number): void {
      if (o.now() - last > o.everyMs) void run(now);
    },
  };
}
