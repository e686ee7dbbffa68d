/**
 * What /v1/stats and the ledger checks read: usage counters per day and budget figures per period
 * (day, ISO week, month), gathered from the holder records (usage, open slices) and the shard
 * counters (what was given back). Admin path, not hot: one Query per holder partition (both days
 * at once; a period's earlier days once per instance), one GetItem per budget shard.
 */
import type { BudgetRow, UsageRow } from '../../../core/stats/stats-report';
import type { QuotaReport } from '../../../ports/shared-quota';
import { parsePeriod, periodRecordDays } from '../../../core/budget/periods';
import { recentSince } from '../../../core/stats/endpoint-health';
import { sumRecentCalls } from './recent-calls';
import { utcDay } from '../../../core/time';
import type { CounterOps } from './counters';
import type { HolderOps, HolderRecord } from './holders';
import { slotShardCount } from './keys';

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

export function createQuotaReport(o: {
  counters: CounterOps;
  holders: HolderOps;
  partitions: number;
  /** sharedState.slotShards: a model's cap is split over min(this, cap) slot items. */
  slotShards: number;
}): QuotaReport {
  /** Queries in flight by day range: the day tables and the period figures of one /v1/stats share them. */
  const inFlight = new Map<string, Promise<HolderRecord[]>>();
  /**
   * Scopes found in a period's records of days before yesterday, per period: those records no longer
   * change (an instance moves to a new record at its first write of each day), so each instance reads
   * them once and afterwards only yesterday's and today's.
   */
  const pastScopes = new Map<string, { through: string; scopes: Map<string, ScopeSeen> }>();

  /** Records and usage items started on any day from `from` to `to` (one Query per partition). */
  function recordsBetween(from: string, to: string): Promise<HolderRecord[]> {
    const key = `${from}..${to}`;
    const pending = inFlight.get(key);
    if (pending) return pending;
    const all: HolderRecord[] = [];
    const query = Promise.all(
      Array.from({ length: o.partitions }, async (_, p) => {
        all.push(...(await o.holders.queryDays(`holder#${p}`, from, to, true)));
      }),
    )
      .then(() => all)
      .finally(() => inFlight.delete(key));
    inFlight.set(key, query);
    return query;
  }

  /** Records started that day or the day before (a record lives on past midnight until a quiet moment). */
  function records(day: string): Promise<HolderRecord[]> {
    return recordsBetween(utcDay(Date.parse(day) - DAY_MS), day);
  }

  async function periodBudgets(period: string, now: number): Promise<BudgetRow[]> {
    const p = parsePeriod(period);
    if (!p) return [];
    const today = utcDay(Math.min(now, p.end - 1));
    const yesterday = utcDay(Date.parse(today) - DAY_MS);
    const days = periodRecordDays(period).filter((d) => d <= today);
    // Slices still open are in yesterday's and today's records; older records only name scopes.
    const recent = await records(today);
    let past = pastScopes.get(period);
    const older = days.filter((d) => d < yesterday && (!past || d > past.through));
    if (older.length) {
      const scopes = new Map(past?.scopes);
      for (const r of await recordsBetween(older[0], older[older.length - 1])) noteScopes(scopes, r, period);
      past = { through: older[older.length - 1], scopes };
      pastScopes.set(period, past);
    }
    const scopes = new Map(past?.scopes);
    for (const r of recent) noteScopes(scopes, r, period);
    // Use recorded in slices still open counts as spent; their unused rest is what they hold.
    const openUsed = new Map<string, number>();
    for (const r of recent) {
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
          } else if (counter.startsWith('ft_')) {
            const b = Number(counter.slice(3));
            row.firstToken ??= {};
            row.firstToken[b] = (row.firstToken[b] ?? 0) + n;
          } else if ((COUNTERS as readonly string[]).includes(counter)) {
            const c = counter as (typeof COUNTERS)[number];
            row[c] = (row[c] ?? 0) + n;
          }
          rows.set(dim, row);
        }
      }
      return [...rows.values()];
    },

    async recent(now, windowMs) {
      const recs = await records(utcDay(now));
      return sumRecentCalls(
        recs.map((r) => r.recent),
        recentSince(now, windowMs),
        now,
      );
    },
    async slotsHeld(model, cap) {
      const shards = slotShardCount(o.slotShards, cap);
      const held = await Promise.all(Array.from({ length: shards }, (_, s) => o.counters.readSlots(model, s)));
      // Summed as stored: a shard below 0 (a slot given back twice) must show, not be hidden.
      return held.reduce((a, b) => a + b, 0);
    },
    budgets: (day) => periodBudgets(`d${day}`, Date.parse(day) + DAY_MS - 1),
    periodBudgets,
  };
}

interface ScopeSeen {
  shards: number;
  limit: number;
}

/**
 * The budget scopes of a period a record names: its registry, and the slices it lists (the registry
 * follows with usage, which a dead instance may never have written). A limit changed mid-period may
 * have changed the shard count: every shard seen is read.
 */
function noteScopes(scopes: Map<string, ScopeSeen>, r: HolderRecord, period: string): void {
  const note = (id: string, v: ScopeSeen) =>
    scopes.set(id, { limit: v.limit, shards: Math.max(v.shards, scopes.get(id)?.shards ?? 0) });
  for (const [k, v] of Object.entries(r.scopes)) {
    const [kind, id, p] = k.split('|');
    if (kind === 'budget' && p === period) note(id, v);
  }
  for (const def of Object.values(r.defs))
    if (def.kind === 'budget' && def.period === period) note(def.id, { shards: def.shards, limit: def.limit });
}
