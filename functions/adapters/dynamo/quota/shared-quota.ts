/**
 * Quota slices over DynamoDB (ports/shared-quota.ts), after Google's Doorman (capacity leases) and
 * Envoy's rate limit quota service (quota assignments a client enforces locally). An instance takes
 * a slice of a scope shard's remaining quota with one conditional write, lists it in its holder
 * record, and admits requests against it in memory. Each request then costs one write after its
 * response: its use, into the holder record; usage counters for stats follow in batches, into a
 * usage item of their own. Slices shrink near a limit, down to one request's worth
 * (core/quota/sizing.ts). A slice is given back when used up, unused for 30 s, or at once if it
 * was taken per request; a frozen or dead instance's record expires and the sweep gives back
 * what that record does not show as used. Quota is taken in DynamoDB before any of it is spent, so
 * settled use never passes a limit however many instances run.
 *
 * Order of writes, always: take = counter, then holder record; give back = holder record, then
 * counter. A crash between the two strands quota (safe) and never mints it.
 */
import { randomBytes } from 'node:crypto';
import { latencyBucket } from '../../../core/latency-histogram';
import type { QuotaScope } from '../../../core/quota/scope';
import { RATE_HOLD_MS, scopeKey, shardOrder, shardShare, unitsReturn } from '../../../core/quota/scope';
import { DEFAULT_SIZING, type SliceSizing, sliceSize } from '../../../core/quota/sizing';
import { free, reserve, returnPlan, type Slice, settle } from '../../../core/quota/slice';
import { utcDay } from '../../../core/time';
import type { QuotaHold, QuotaNeed, SharedQuota, SlotNeed, UsageRecord } from '../../../ports/shared-quota';
import { isUnavailable } from '../unavailable';
import type { CounterOps, ShardView } from './counters';
import { type HolderChange, type HolderOps, type SliceDef, slotKey, type UsageContent } from './holders';
import { ATTR, holderPartition, slotShardCount } from './keys';
import { recentCallDeltas } from './recent-calls';
import { createSweeper } from './sweep';

export type OnStoreError = 'bounded' | 'open';
export type Guarantee = 'budget' | 'rate' | 'concurrency';

export interface SharedQuotaOptions {
  counters: CounterOps;
  holders: HolderOps;
  /** Holder record partitions (the sweep queries each). */
  holderPartitions: number;
  /** A holder record expires this long after its last write (at least RATE_HOLD_MS). */
  termMs: number;
  /** Longest a request may hold quota before its record is renewed (its deadline). */
  requestHoldMs: number;
  /** A concurrency slot is kept after a request when the request before it ended less than this earlier. */
  slotStreakMs: number;
  /** A cap is split over at most this many slot items (never more than the cap). */
  slotShards: number;
  onStoreError: Record<Guarantee, OnStoreError>;
  sizing?: SliceSizing;
  random: () => number;
  now: () => number;
  instanceId?: string;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /** The outage tracker (/health): told about store failures and successes. */
  storeFailed?: (op: string, err: unknown) => void;
  storeOk?: () => void;
  /** At most one sweep of other instances' expired records per this many ms, from this instance. */
  sweepEveryMs?: number;
  /** A slice unused this long is given back (budgets at once, rates 60 s after their last use). */
  sliceIdleMs?: number;
  /**
   * Usage counters (and the scope registry reports read) go to the instance's usage item at most
   * this often, apart from the holder record: the record, written with every request, then holds
   * only slices, use and slots (well under 1 KB), and usage costs one write per interval, not one
   * per request. 0 writes usage with every request (the local runtime, for stats at once).
   */
  usageFlushMs?: number;
  /** Window of the per-endpoint recent call counters (the breaker's windowMs). @default 60000 */
  recentWindowMs?: number;
  /**
   * A page of a paged holder (pages.ts): scope registry entries go to this callback (the main
   * page's usage item) instead of this holder's own, and sweeps of others to `sweep`, so that
   * pages of one instance neither write usage items of their own nor sweep once each.
   */
  page?: {
    scopes(entries: Record<string, string>): void;
    sweep(now: number): void;
  };
}

/** A usage item moves on to a new one past about this many bytes of attributes (units per write). */
const USAGE_ITEM_BYTES = 2_048;
export const SLICE_IDLE_MS = 30_000;

interface SlotState {
  /** Slot shards this instance holds, one entry per slot. */
  held: number[];
  inflight: number;
  lastEnd: number;
  keep: boolean;
}

interface Hold extends QuotaHold {
  parts: Array<{ slice: Slice; amount: number; need: number }>;
  done: boolean;
}

export interface SharedQuotaAdapter extends SharedQuota {
  readonly instanceId: string;
  /** What this instance holds now (tests, /health). */
  holdings(): { slices: Slice[]; slots: Record<string, number>; record: { pk: string; sk: string } };
  /** Slices that are due to go back (idle, or rate units past their 60 s) with nothing else to write them. */
  givesBack(now: number): boolean;
  /** Scope registry entries (`sc_…` -> `shards:limit`) for the usage item, from another page (pages.ts). */
  registerScopes(entries: Record<string, string>): void;
}

export function createSharedQuota(o: SharedQuotaOptions): SharedQuotaAdapter {
  const sizing = o.sizing ?? DEFAULT_SIZING;
  const termMs = Math.max(o.termMs, RATE_HOLD_MS);
  const sweepEveryMs = o.sweepEveryMs ?? 10_000;
  const sliceIdleMs = o.sliceIdleMs ?? SLICE_IDLE_MS;
  const usageFlushMs = o.usageFlushMs ?? 0;
  const instanceId = o.instanceId ?? randomBytes(6).toString('base64url');
  const pk = holderPartition(instanceId, o.holderPartitions);
  let gen = 0;
  let recordDay = '';
  let sk = '';
  /** Expiry of the record in DynamoDB as of our last successful write (0: nothing written yet). */
  let recordExpires = 0;
  const slices = new Map<string, Slice[]>();
  /** Admitted while the store failed in `open` mode: charged when it answers again. */
  const unbacked = new Set<Slice>();
  const seen = new Map<string, ShardView>();
  const slots = new Map<string, SlotState>();
  let pendingUsage: Record<string, number> = {};
  let pendingSlots: Record<string, number> = {};
  let pendingDefs: Record<string, SliceDef> = {};
  const closing: Slice[] = [];
  /** Guarantees (and usage recording) running degraded since when. */
  const degradedSince = new Map<string, number>();
  /** Takes in progress per scope (see takeFor). */
  const taking = new Map<string, Promise<void>>();
  let inflight = 0;
  let renewTimer: NodeJS.Timeout | undefined;
  /** Scope registry entries waiting for the usage item (`sc_…` -> `shards:limit`). */
  let pendingScopes: Record<string, string> = {};
  /** The usage item being filled: its sort key, the attributes it has, its write sequence. */
  const usageItem = { day: '', n: 0, sk: '', attrs: new Set<string>(), bytes: 0, seq: 0 };
  let lastUsageFlush = Number.NEGATIVE_INFINITY;
  let usageWriting: Promise<void> | null = null;
  let unsentUsage: UsageContent | null = null;

  const failed = (op: string, err: unknown) => o.storeFailed?.(op, err);
  const sweeper = createSweeper({
    counters: o.counters,
    holders: o.holders,
    partitions: o.holderPartitions,
    everyMs: sweepEveryMs,
    now: o.now,
    log: o.log,
    failed,
  });
  /** Sweeps others' expired records in the background, at most every sweepEveryMs (or as the page owner decides). */
  function maybeSweep(now: number): void {
    if (o.page) o.page.sweep(now);
    else sweeper.soon(now);
  }
  /** A slice nothing reserves, unused for the idle time: it goes back at the next write. */
  const idle = (s: Slice, now: number) => s.reserved === 0 && now - s.lastUseAt >= sliceIdleMs;
  /**
   * A closed slice that may go back now: budgets at once, rate units 60 s after their last use (the
   * sliding-window guarantee).
   */
  const dueBack = (s: Slice, now: number) =>
    s.reserved === 0 && (!unitsReturn(s.scope.kind) || now - s.lastUseAt >= RATE_HOLD_MS);
  function newRecord(now: number): void {
    recordDay = utcDay(now);
    gen++;
    sk = `${recordDay}#${instanceId}.${gen}`;
    recordExpires = 0;
  }
  newRecord(o.now());

  /**
   * After the sweep took this instance's record for dead and gave its slices back by what the record
   * showed. A slice still held by a request in flight, or with use not yet written, is not ours any
   * more: its use (and the in-flight request's, once it settles) is charged straight to the counters
   * like use admitted in open mode, and it is never listed or given back again (that would credit
   * its rest a second time and mint quota).
   */
  function forget(): void {
    for (const list of slices.values()) {
      for (const sl of list) {
        const unrecorded = sl.used - sl.recorded;
        if (sl.reserved === 0 && unrecorded <= 0) continue;
        sl.used = Math.max(0, unrecorded);
        sl.recorded = 0;
        sl.closed = true;
        unbacked.add(sl);
      }
    }
    slices.clear();
    slots.clear();
    closing.length = 0;
    pendingDefs = {};
    pendingSlots = {};
  }

  async function write(change: Omit<HolderChange, 'expiresAt'>, now: number): Promise<'ok' | 'swept'> {
    const expiresAt = now + termMs;
    const r = await o.holders.write(pk, sk, { ...change, inflight, expiresAt }, now);
    if (r === 'ok') recordExpires = expiresAt;
    return r;
  }

  /** The record must outlive every request this instance may be serving. */
  async function ensureRecord(now: number): Promise<void> {
    if (recordExpires === 0 || recordExpires - now >= o.requestHoldMs) return;
    if ((await write({}, now)) === 'swept') {
      // Idle past the record's expiry: the sweep gave our slices and slots back already.
      forget();
      newRecord(now);
    }
  }

  function close(s: Slice): void {
    if (s.closed) return;
    s.closed = true;
    if (!unbacked.has(s)) closing.push(s);
  }

  function listFor(scope: QuotaScope): Slice[] {
    const k = scopeKey(scope);
    let list = slices.get(k);
    if (!list) slices.set(k, (list = []));
    return list;
  }

  function fromHeld(need: QuotaNeed, now: number): Slice | undefined {
    for (const s of listFor(need.scope)) {
      if (s.scope.limit !== need.scope.limit || s.scope.shards !== need.scope.shards) {
        // The limit changed (key updated, config deployed): slices of the old one are given back.
        if (s.reserved === 0) close(s);
        continue;
      }
      if (reserve(s, need.amount, now)) return s;
    }
    return undefined;
  }

  function newSlice(scope: QuotaScope, parts: Slice['parts'], perRequest: boolean, now: number): Slice {
    const s: Slice = {
      id: randomBytes(4).toString('base64url'),
      scope,
      parts,
      amount: parts.reduce((a, p) => a + p.amount, 0),
      used: 0,
      reserved: 0,
      recorded: 0,
      takenAt: now,
      lastUseAt: now,
      perRequest,
      closed: false,
    };
    listFor(scope).push(s);
    pendingDefs[s.id] = defOf(s);
    return s;
  }

  function defOf(s: Slice): SliceDef {
    const { kind, id, period, limit, shards } = s.scope;
    return { kind, id, period, limit, shards, parts: s.parts.map((p) => [p.shard, p.amount]) };
  }

  /** A new slice that fits `need`, from the scope's shards; undefined when the scope cannot fit it. */
  async function take(need: QuotaNeed, now: number): Promise<Slice | undefined> {
    const scope = need.scope;
    for (const s of listFor(scope)) if (s.reserved === 0 && free(s) < need.amount) close(s);
    const order = shardOrder(scope.shards, o.random());
    for (const shard of order) {
      const k = `${scopeKey(scope)}#${shard}`;
      let size = sliceSize(need.amount, seen.get(k) ?? {}, sizing, scope.limit);
      let got = await o.counters.take(scope, shard, size.amount, now);
      if (!got) {
        const v = await o.counters.view(scope, shard);
        seen.set(k, v);
        if (v.avail < need.amount) continue;
        size = sliceSize(need.amount, v, sizing, scope.limit);
        got = await o.counters.take(scope, shard, size.amount, now);
        if (!got) continue;
      }
      seen.set(k, got);
      return newSlice(scope, [{ shard, amount: size.amount }], size.perRequest, now);
    }
    return gather(need, order, now);
  }

  /** The last of a scope, spread over several shards: one request's worth taken in parts. */
  async function gather(need: QuotaNeed, order: number[], now: number): Promise<Slice | undefined> {
    const scope = need.scope;
    const views = order.map((shard) => ({ shard, avail: seen.get(`${scopeKey(scope)}#${shard}`)?.avail ?? 0 }));
    if (views.reduce((a, v) => a + Math.max(0, v.avail), 0) < need.amount) return undefined;
    const parts: Slice['parts'] = [];
    let left = need.amount;
    for (const v of views) {
      const part = Math.min(left, v.avail);
      if (part <= 0) continue;
      if (await o.counters.take(scope, v.shard, part, now)) {
        parts.push({ shard: v.shard, amount: part });
        left -= part;
      }
      if (left <= 0) break;
    }
    if (left > 0) {
      // Another instance took some of it meanwhile: give the parts back, refuse.
      await Promise.all(
        parts.map((p) =>
          o.counters.credit(scope, p.shard, { given: p.amount, back: p.amount, used: 0, spentForGood: true }),
        ),
      );
      return undefined;
    }
    return newSlice(scope, parts, true, now);
  }

  async function takeSlot(need: SlotNeed, st: SlotState): Promise<boolean> {
    const shards = slotShardCount(o.slotShards, need.cap);
    for (const shard of shardOrder(shards, o.random())) {
      if (await o.counters.takeSlot(need.model, shard, shardShare(need.cap, shards, shard))) {
        st.held.push(shard);
        const k = slotKey(need.model, shard);
        pendingSlots[k] = (pendingSlots[k] ?? 0) + 1;
        return true;
      }
    }
    return false;
  }

  /** A new slice for one need: taken, refused by the scope, or the store unavailable (or, open mode, unbacked). */
  async function takeFor(
    need: QuotaNeed,
    now: number,
  ): Promise<{ slice: Slice; reserved: true } | { refused?: QuotaScope; unavailable?: Guarantee }> {
    const what: Guarantee = need.scope.kind === 'budget' ? 'budget' : 'rate';
    const k = scopeKey(need.scope);
    try {
      // One take per scope at a time on this instance: requests arriving together wait for it and
      // share the slice it brings, instead of each taking (and stranding) one of their own.
      for (let pending = taking.get(k); pending; pending = taking.get(k)) {
        await pending;
        const held = fromHeld(need, now);
        if (held) return { slice: held, reserved: true };
      }
      // Rate units due back (60 s after their last use) go back first, so a key whose instance
      // only sees refusals still gets its quota again.
      if (closing.some((c) => scopeKey(c.scope) === k && c.reserved === 0 && now - c.lastUseAt >= RATE_HOLD_MS))
        await flush(now, false);
      const attempt = take(need, now);
      const done = attempt.then(
        () => undefined,
        () => undefined,
      );
      taking.set(k, done);
      let slice: Slice | undefined;
      try {
        slice = await attempt;
        // Reserved at once, before the requests waiting on this take resume and share the slice.
        if (slice) reserve(slice, need.amount, now);
      } finally {
        if (taking.get(k) === done) taking.delete(k);
      }
      degradedSince.delete(what);
      o.storeOk?.();
      return slice ? { slice, reserved: true } : { refused: need.scope };
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      failed(`quota take (${need.scope.kind})`, err);
      degrade(what, now);
      if (o.onStoreError[what] === 'bounded') return { unavailable: what };
      // Open mode: serve on, and count the use when DynamoDB takes writes again (charged, not sliced).
      const slice: Slice = {
        id: randomBytes(4).toString('base64url'),
        scope: need.scope,
        parts: [{ shard: Math.floor(o.random() * need.scope.shards), amount: need.amount }],
        amount: need.amount,
        used: 0,
        reserved: 0,
        recorded: 0,
        takenAt: now,
        lastUseAt: now,
        perRequest: true,
        closed: false,
      };
      unbacked.add(slice);
      reserve(slice, need.amount, now);
      return { slice, reserved: true };
    }
  }

  /** A slot of a capped model when this instance holds none free. */
  async function slotFor(need: SlotNeed, st: SlotState, now: number): Promise<'ok' | 'full' | 'unavailable'> {
    try {
      const got = await takeSlot(need, st);
      // Full: slots of dead instances may be what fills it. Reclaim them in the background (the next
      // request profits) rather than make this refusal wait for a sweep.
      if (!got) maybeSweep(now);
      degradedSince.delete('concurrency');
      return got ? 'ok' : 'full';
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      failed('slot take', err);
      degrade('concurrency', now);
      if (o.onStoreError.concurrency === 'bounded') return 'unavailable';
      // Open: serve without a slot (nothing to give back later).
      st.held.push(-1);
      return 'ok';
    }
  }

  function undo(h: Hold, now: number): void {
    for (const p of h.parts) {
      settle(p.slice, p.amount, 0, now);
      if (p.slice.perRequest) close(p.slice);
    }
    h.parts = [];
  }

  function degrade(what: string, now: number): void {
    if (!degradedSince.has(what)) degradedSince.set(what, now);
  }

  /** Streams can outlive the record's term: keep it alive while anything is in flight. */
  function keepAlive(): void {
    if (renewTimer) return;
    renewTimer = setInterval(
      () => {
        if (inflight === 0) {
          clearInterval(renewTimer);
          renewTimer = undefined;
          return;
        }
        const now = o.now();
        if (recordExpires - now < termMs / 2) void write({}, now).catch((err) => failed('holder renew', err));
      },
      Math.max(1_000, Math.floor(termMs / 4)),
    );
    renewTimer.unref?.();
  }

  function usageDeltas(usage: UsageRecord[], now: number): void {
    const day = utcDay(now);
    for (const u of usage) {
      const add = (dim: string, counter: string, n: number) => {
        if (!n) return;
        const attr = ATTR.usage(day, dim, counter);
        pendingUsage[attr] = (pendingUsage[attr] ?? 0) + n;
      };
      for (const dim of u.dims) {
        add(dim, 'requests', 1);
        add(dim, u.ok ? 'successes' : 'errors', 1);
        if (u.countsOnly) continue;
        add(dim, 'promptTokens', u.promptTokens);
        add(dim, 'completionTokens', u.completionTokens);
        add(dim, 'costMicros', u.costMicros);
        add(dim, `lat_${latencyBucket(u.latencyMs)}`, 1);
        if (u.cache) {
          add(dim, u.cache.hit ? 'cacheHits' : 'cacheMisses', 1);
          add(dim, 'savedMicros', u.cache.savedMicros ?? 0);
        }
        // Model rows only: the SLO verdict needs it, other rows would only grow the record.
        if (u.firstTokenMs !== undefined && dim.startsWith('model#'))
          add(dim, `ft_${latencyBucket(u.firstTokenMs)}`, 1);
      }
    }
  }

  /**
   * One write at a time per instance: a write computes its deltas from what the previous one
   * recorded, so two at once would count the same use twice. Requests finishing while a write is
   * out are coalesced into the next one (under concurrency that is also fewer writes).
   */
  let writing: Promise<void> | null = null;
  let next: { promise: Promise<void>; everything: boolean } | null = null;
  function flush(now: number, everything: boolean): Promise<void> {
    if (!writing) {
      writing = flushOnce(now, everything).finally(() => {
        writing = null;
      });
      return writing;
    }
    if (next) {
      next.everything ||= everything;
      return next.promise;
    }
    const queued: { promise: Promise<void>; everything: boolean } = { promise: Promise.resolve(), everything };
    queued.promise = writing
      .catch(() => undefined)
      .then(() => {
        next = null;
        return flush(o.now(), queued.everything);
      });
    next = queued;
    return queued.promise;
  }

  /**
   * The request's write: use of every slice since the last write, usage counters, slices and slots
   * given back. Then the counters get back what the record no longer lists.
   */
  async function flushOnce(now: number, everything: boolean): Promise<void> {
    // What this write carries is taken out of the pending state now: requests finishing while it is
    // out add to fresh maps, for the next write.
    const taken = pendingSlots;
    const defs = pendingDefs;
    pendingSlots = {};
    pendingDefs = {};
    for (const list of slices.values()) {
      for (const sl of list) if (idle(sl, now)) close(sl);
    }
    const deltas: Array<[Slice, number]> = [];
    for (const list of slices.values()) {
      for (const s of list) if (s.used !== s.recorded) deltas.push([s, s.used - s.recorded]);
    }
    for (const [s, d] of deltas) s.recorded += d;
    if (everything) for (const list of slices.values()) for (const s of list) if (s.reserved === 0) close(s);
    const giveSlots: Array<[string, number]> = [];
    for (const [model, st] of slots) {
      if (st.inflight > 0 || (st.keep && !everything)) continue;
      for (const shard of st.held.splice(0)) if (shard >= 0) giveSlots.push([model, shard]);
    }
    const slotChanges = { ...taken };
    for (const [model, shard] of giveSlots) {
      const k = slotKey(model, shard);
      slotChanges[k] = (slotChanges[k] ?? 0) - 1;
    }
    const returning = closing.filter((s) => dueBack(s, now));
    const returningIds = new Set(returning.map((s) => s.id));
    const change: Omit<HolderChange, 'expiresAt'> = {
      // A slice taken and given back between two writes is never listed at all.
      defs: Object.fromEntries(Object.entries(defs).filter(([id]) => !returningIds.has(id))),
      used: Object.fromEntries(deltas.filter(([s]) => !returningIds.has(s.id)).map(([s, d]) => [s.id, d])),
      slots: slotChanges,
      removeSlices: returning.filter((s) => !defs[s.id]).map((s) => s.id),
    };
    // Nothing to list, use or give back, and the record outlives any request this instance may
    // start: no write at all (a request of a page that moved no slice, slot or use costs nothing).
    const empty =
      !Object.keys(change.defs ?? {}).length &&
      !Object.keys(change.used ?? {}).length &&
      !Object.values(slotChanges).some((n) => n !== 0) &&
      !change.removeSlices?.length &&
      (recordExpires === 0 || recordExpires - now >= o.requestHoldMs);
    let result: 'ok' | 'swept';
    try {
      result = 'ok';
      if (!empty) {
        // (Only an answer from the store says it is back: a write not sent proves nothing.)
        result = await write(change, now);
        degradedSince.delete('usage');
        o.storeOk?.();
      }
    } catch (err) {
      // Kept in memory for the next write: slots stay ours, use and usage wait.
      failed('holder record', err);
      if (!isUnavailable(err))
        o.log('error', 'holder record write rejected', { error: String((err as Error)?.message ?? err) });
      if (!degradedSince.has('usage')) degradedSince.set('usage', now);
      for (const [s, d] of deltas) s.recorded -= d;
      for (const [k, n] of Object.entries(taken)) pendingSlots[k] = (pendingSlots[k] ?? 0) + n;
      Object.assign(pendingDefs, defs);
      for (const [model, shard] of giveSlots) slots.get(model)?.held.push(shard);
      return;
    }
    if (result === 'swept') {
      // The sweep gave this record's slices and slots back by what it had recorded: use since then
      // was spent all the same, so it is charged straight to the counters; slots taken since were on
      // no record, so they go back too. Then a fresh record.
      await Promise.all([
        ...deltas.map(([s, d]) =>
          o.counters.charge(s.scope, s.parts[0].shard, d, now).catch((err) => failed('charge after sweep', err)),
        ),
        ...Object.entries(taken)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => {
            const at = k.lastIndexOf('#');
            return o.counters
              .giveSlots(k.slice(0, at), Number(k.slice(at + 1)), n)
              .catch((err) => failed('slot give-back', err));
          }),
      ]);
      forget();
      newRecord(now);
      await write({}, now).catch((err) => failed('holder record', err));
      return;
    }
    const registry: Record<string, string> = {};
    for (const def of Object.values(change.defs ?? {})) {
      registry[ATTR.scope(def.kind, def.id, def.period)] = `${def.shards}:${def.limit}`;
    }
    if (o.page) o.page.scopes(registry);
    else Object.assign(pendingScopes, registry);
    for (const s of returning) {
      const list = listFor(s.scope);
      list.splice(list.indexOf(s), 1);
      closing.splice(closing.indexOf(s), 1);
    }
    await Promise.all([
      ...returning.map((s) => giveBack(s)),
      ...giveSlots.map(([model, shard]) =>
        o.counters.giveSlots(model, shard, 1).catch((err) => failed('slot give-back', err)),
      ),
    ]);
    if (everything && utcDay(now) !== recordDay) await carryOver(now);
  }

  /**
   * A new UTC day (and with it maybe a new week or month): the instance starts a new record, and what
   * the old one still lists (slices in use or waiting out their 60 s, slots in use) moves to it. It is
   * removed from the old record first and listed in the new one by the next write: a crash in between
   * strands it (safe). Listed in both, the sweep would give it back a second time once the old record
   * expires, minting quota. Runs inside the one-write-at-a-time chain, so no other write interleaves.
   */
  async function carryOver(now: number): Promise<void> {
    // Slices whose definition is still pending were never written to the old record.
    const moving = [...slices.values()].flat().filter((s) => !pendingDefs[s.id]);
    const counted = new Map<string, number>();
    for (const [model, st] of slots)
      for (const shard of st.held)
        if (shard >= 0) counted.set(slotKey(model, shard), (counted.get(slotKey(model, shard)) ?? 0) + 1);
    for (const [k, n] of Object.entries(pendingSlots)) counted.set(k, (counted.get(k) ?? 0) - n);
    const listedSlots = [...counted].filter(([, n]) => n > 0);
    if (moving.length || listedSlots.length) {
      let r: 'ok' | 'swept';
      try {
        r = await write(
          {
            removeSlices: moving.map((s) => s.id),
            slots: Object.fromEntries(listedSlots.map(([k, n]) => [k, -n])),
          },
          now,
        );
      } catch (err) {
        // Not moved: still listed in the old record, which this instance keeps; tried again later.
        failed('holder record', err);
        return;
      }
      if (r === 'swept') {
        // The sweep returned the old record's slices by what it had recorded: later use is charged
        // (forget hands it to the next write's charges).
        forget();
        newRecord(now);
        return;
      }
    }
    newRecord(now);
    for (const s of moving) {
      pendingDefs[s.id] = defOf(s);
      // The new record counts the slice's whole use from the start.
      s.recorded = 0;
    }
    for (const [k, n] of listedSlots) pendingSlots[k] = (pendingSlots[k] ?? 0) + n;
  }

  /**
   * Writes the usage counters and scope registry entries gathered since the last time into the
   * usage item, one at a time. The write carries a sequence number and is conditional on the
   * previous one, so a write whose answer was lost and that is sent again is recognised as applied
   * and never counted twice. Past USAGE_ITEM_BYTES (or on a new UTC day) the next item is started.
   */
  function flushUsage(now: number): Promise<void> {
    const send = async (batch: UsageContent): Promise<boolean> => {
      try {
        await o.holders.addUsage(pk, usageItem.sk, batch, usageItem.seq, now);
      } catch (err) {
        failed('usage', err);
        if (!degradedSince.has('usage')) degradedSince.set('usage', now);
        return false;
      }
      usageItem.seq++;
      lastUsageFlush = now;
      degradedSince.delete('usage');
      for (const attr of [...Object.keys(batch.usage), ...Object.keys(batch.scopes)]) {
        if (usageItem.attrs.has(attr)) continue;
        usageItem.attrs.add(attr);
        usageItem.bytes += attr.length + 12;
      }
      return true;
    };
    const run = async () => {
      // A batch whose write failed goes again alone, with the same sequence number: if the first
      // attempt was applied after all, the condition fails and it is not counted twice.
      if (unsentUsage) {
        if (!(await send(unsentUsage))) return;
        unsentUsage = null;
      }
      const batch = { usage: pendingUsage, scopes: pendingScopes };
      if (!Object.keys(batch.usage).length && !Object.keys(batch.scopes).length) return;
      pendingUsage = {};
      pendingScopes = {};
      const day = utcDay(now);
      if (usageItem.day !== day || usageItem.bytes > USAGE_ITEM_BYTES) {
        usageItem.day = day;
        usageItem.n++;
        usageItem.sk = `${day}#${instanceId}.u${gen}.${usageItem.n}`;
        usageItem.attrs.clear();
        usageItem.bytes = 0;
        usageItem.seq = 0;
      }
      if (!(await send(batch))) unsentUsage = batch;
    };
    const p = (usageWriting ?? Promise.resolve()).then(run, run);
    usageWriting = p.finally(() => {
      if (usageWriting === p) usageWriting = null;
    });
    return p;
  }

  async function giveBack(s: Slice): Promise<void> {
    const spentForGood = !unitsReturn(s.scope.kind);
    await Promise.all(
      returnPlan(s).map((p, i) =>
        o.counters
          .credit(s.scope, p.shard, { given: s.parts[i].amount, back: p.back, used: p.used, spentForGood })
          // Unanswered: treated as applied (crediting twice could mint quota); at worst it stays stranded.
          .catch((err) => failed('slice give-back', err)),
      ),
    );
  }

  /** Use admitted without a slice (fail-open mode), charged once the store answers again. */
  async function chargeUnbacked(now: number): Promise<void> {
    for (const s of [...unbacked]) {
      if (s.reserved > 0) continue;
      try {
        if (s.used > 0) await o.counters.charge(s.scope, s.parts[0].shard, s.used, now);
        unbacked.delete(s);
      } catch (err) {
        // Still down: kept, charged by a later write.
        failed('charge unbacked use', err);
        return;
      }
    }
  }

  function endSlot(hold: Hold, now: number): void {
    const st = hold.slot && slots.get(hold.slot.model);
    if (!st) return;
    st.inflight = Math.max(0, st.inflight - 1);
    st.lastEnd = now;
  }

  function finish(hold: Hold): boolean {
    if (hold.done) return false;
    hold.done = true;
    inflight = Math.max(0, inflight - 1);
    return true;
  }

  return {
    instanceId,

    registerScopes(entries) {
      Object.assign(pendingScopes, entries);
    },

    givesBack(now) {
      for (const list of slices.values()) if (list.some((sl) => idle(sl, now))) return true;
      return closing.some((s) => dueBack(s, now));
    },

    holdings: () => ({
      slices: [...slices.values()].flat(),
      slots: Object.fromEntries([...slots].map(([m, st]) => [m, st.held.filter((x) => x >= 0).length])),
      record: { pk, sk },
    }),

    async admit(needs, slot, now, _caller, opts) {
      const hold: Hold = { needs, slot, parts: [], done: false };
      try {
        await ensureRecord(now);
      } catch (err) {
        failed('holder renew', err);
      }
      // What this instance's slices cover costs nothing; the rest, and a slot when none is free, is
      // taken from DynamoDB in one parallel round trip for every scope.
      const missing: number[] = [];
      for (const [i, need] of needs.entries()) {
        if (need.amount <= 0) continue;
        const s = fromHeld(need, now);
        if (s) hold.parts.push({ slice: s, amount: need.amount, need: i });
        else missing.push(i);
      }
      const st = slot ? (slots.get(slot.model) ?? { held: [], inflight: 0, lastEnd: 0, keep: false }) : undefined;
      if (slot && st) {
        slots.set(slot.model, st);
        st.keep = st.lastEnd > 0 && now - st.lastEnd < o.slotStreakMs;
      }
      const [taken, slotOutcome] = await Promise.all([
        Promise.all(missing.map((i) => takeFor(needs[i], now))),
        slot && st && st.inflight >= st.held.length ? slotFor(slot, st, now) : Promise.resolve('ok' as const),
      ]);
      taken.forEach((t, k) => {
        if ('slice' in t) {
          hold.parts.push({ slice: t.slice, amount: needs[missing[k]].amount, need: missing[k] });
        }
      });
      const refusal = taken.find((t) => !('slice' in t));
      if (refusal && !('slice' in refusal)) {
        undo(hold, now);
        if (refusal.refused) maybeSweep(now);
        return refusal.refused
          ? { ok: false, reason: 'refused', scope: refusal.refused }
          : { ok: false, reason: 'unavailable', what: refusal.unavailable! };
      }
      if (slotOutcome !== 'ok') {
        undo(hold, now);
        return slotOutcome === 'full'
          ? { ok: false, reason: 'full', model: slot!.model }
          : { ok: false, reason: 'unavailable', what: 'concurrency' };
      }
      if (st) st.inflight++;
      // What was just taken goes into the holder record before the call that may spend it. (A failed
      // write keeps it pending: ours all the same, taken first; the next write lists it.) Slices may
      // wait for the caller's next admission, which comes before any call and writes them with its
      // own: one write instead of two, and a crash in between only strands them. Slots never wait:
      // a request may make no other admission that would list them.
      const slicesWait = opts?.anotherAdmissionFirst === true;
      if (Object.keys(pendingSlots).length || (Object.keys(pendingDefs).length && !slicesWait)) {
        await flush(now, false);
      }
      inflight++;
      keepAlive();
      return { ok: true, hold };
    },

    settle(h, actual, now) {
      const hold = h as Hold;
      if (!finish(hold)) return;
      for (const p of hold.parts) {
        settle(p.slice, p.amount, Math.max(0, actual[p.need] ?? 0), now);
        if (p.slice.perRequest || (p.slice.reserved === 0 && free(p.slice) === 0)) close(p.slice);
      }
      endSlot(hold, now);
    },

    release(h, now) {
      const hold = h as Hold;
      if (!finish(hold)) return;
      undo(hold, now);
      endSlot(hold, now);
    },

    async record(usage, now, calls) {
      usageDeltas(usage, now);
      if (calls?.length) {
        for (const [attr, n] of Object.entries(recentCallDeltas(calls, now, o.recentWindowMs ?? 60_000)))
          pendingUsage[attr] = (pendingUsage[attr] ?? 0) + n;
      }
      try {
        await chargeUnbacked(now);
        await flush(now, false);
        // (A clock that went back, as an injected one may, counts as due.)
        if (usageFlushMs === 0 || now - lastUsageFlush >= usageFlushMs || now < lastUsageFlush) await flushUsage(now);
        // A new UTC day: what is idle is given back under the old record, the rest moves to a new one
        // (carryOver), which is written at once.
        if (utcDay(now) !== recordDay) {
          await flush(now, true);
          if (Object.keys(pendingDefs).length || Object.keys(pendingSlots).length) await flush(now, false);
        }
      } catch (err) {
        failed('quota record', err);
        o.log('error', 'quota record failed', { error: String((err as Error)?.stack ?? err) });
      }
    },

    async maintain(now) {
      try {
        await flush(now, false);
      } catch (err) {
        failed('holder record', err);
      }
      await flushUsage(now);
      await sweeper.run(now);
    },

    degraded: () => [...degradedSince.keys()],
  };
}
