/**
 * What /v1/stats and the ledger checks read: usage counters and budget figures per day, gathered
 * from the holder records (usage, open slices) and the shard counters (what was given back). Admin
 * path, not hot: one Query per holder partition (both days at once), one GetItem per budget shard.
 */
import type { BudgetRow, UsageRow } from '../../../core/stats/stats-report';
import type { QuotaReport } from '../../../ports/shared-quota';
import { utcDay } from '../../../core/time';
import type { CounterOps } from './counters';
import type { HolderOps, HolderRecord } from './holders';

const DAY_MS = 86_400_000;
const COUNTERS = [
  'requests',
  'successes',
  'errors',
  'promptTokens',
  'completionTokens',
  'costMicros',
  'cacheHits',
  'cacheMisses',
  'savedMicros',
] as const;

export function createQuotaReport(o: { counters: CounterOps; holders: HolderOps; partitions: number }): QuotaReport {
  /**
   * A stats call asks for a day's usage and its budgets at once: both read the same records, so
   * a read still in flight serves the second ask (never a finished one: that could be stale).
   */
  const reading = new Map<string, Promise<HolderRecord[]>>();
  function records(day: string): Promise<HolderRecord[]> {
    const pending = reading.get(day);
    if (pending) return pending;
    const read = readRecords(day).finally(() => reading.delete(day));
    reading.set(day, read);
    return read;
  }

  /** Records started that day or the day before (a record lives on past midnight until a quiet moment). */
  async function readRecords(day: string): Promise<HolderRecord[]> {
    const prev = utcDay(Date.parse(day) - DAY_MS);
    const all: HolderRecord[] = [];
    await Promise.all(
      Array.from({ length: o.partitions }, async (_, p) => {
        all.push(...(await o.holders.queryDays(`holder#${p}`, prev, day, true)));
      }),
    );
    return all;
  }

  return {
    async usage(day) {
      const rows = new Map<string, UsageRow>();
      for (const r of await records(day)) {
        for (const [attr, n] of Object.entries(r.usage)) {
          const [d, dim, counter] = attr.split('|');
          if (d !== day || !dim || !counter) continue;
          const row = rows.get(dim) ?? {
            scope: dim,
            requests: 0,
            successes: 0,
            errors: 0,
            promptTokens: 0,
            completionTokens: 0,
            costMicros: 0,
            cacheHits: 0,
            cacheMisses: 0,
            savedMicros: 0,
            latency: {},
          };
          if (counter.startsWith('lat_')) {
            const b = Number(counter.slice(4));
            row.latency[b] = (row.latency[b] ?? 0) + n;
          } else if ((COUNTERS as readonly string[]).includes(counter)) {
            const c = counter as (typeof COUNTERS)[number];
            row[c] = (row[c] ?? 0) + n;
          }
          rows.set(dim, row);
        }
      }
      return [...rows.values()];
    },

    async budgets(day) {
      const period = `d${day}`;
      const recs = await records(day);
      const scopes = new Map<string, { shards: number; limit: number }>();
      for (const r of recs) {
        for (const [k, v] of Object.entries(r.scopes)) {
          const [kind, id, p] = k.split('|');
          if (kind === 'budget' && p === period) scopes.set(id, v);
        }
        // Slices a record lists name their scope too (the registry follows with usage, which a dead
        // instance may never have written).
        for (const def of Object.values(r.defs)) {
          if (def.kind === 'budget' && def.period === period && !scopes.has(def.id))
            scopes.set(def.id, { shards: def.shards, limit: def.limit });
        }
      }
      // Use recorded in slices still open counts as spent; their unused rest is what they hold.
      const openUsed = new Map<string, number>();
      for (const r of recs) {
        if (r.state !== 'active') continue;
        for (const [sid, def] of Object.entries(r.defs)) {
          if (def.kind !== 'budget' || def.period !== period) continue;
          openUsed.set(def.id, (openUsed.get(def.id) ?? 0) + (r.used[sid] ?? 0));
        }
      }
      const rows: BudgetRow[] = [];
      for (const [id, { shards, limit }] of scopes) {
        let spent = 0;
        let sliced = 0;
        for (let s = 0; s < shards; s++) {
          const item = await o.counters.read({ kind: 'budget', id, period, limit: 0, shards }, s);
          spent += item.spent ?? 0;
          sliced += item.sliced ?? 0;
        }
        const used = openUsed.get(id) ?? 0;
        rows.push({
          scope: id,
          limitMicros: limit,
          spentMicros: spent + used,
          reservedMicros: Math.max(0, sliced - used),
        });
      }
      return rows;
    },
  };
}
