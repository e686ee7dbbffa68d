/**
 * Holder pages: one instance's holder record split by caller, so a request's write costs the size
 * of its caller's page, not of everything the instance holds.
 *
 * DynamoDB charges a write by the whole item's size. An instance that serves many keys listed a
 * slice per key and scope in one record (rate slices stay listed 60 s after their last use), which
 * grew to 10-20 KB, and every request paid that many write units. Here each caller (virtual key)
 * hashes to one of `pages` pages, and each page is a full holder of its own (shared-quota.ts): its
 * own record and its own slices of every scope its callers use, the global and model budgets
 * included, so a request still writes exactly one record. What is per instance stays on the main
 * page: concurrency slots (kept across back-to-back requests of any caller), usage counters and the
 * scope registry (one usage item per instance), and requests without a caller.
 *
 * The price: an instance holds up to `pages` slices of the global and model scopes instead of one.
 * The slice sizing already shares a scope out among its holders and shrinks slices near a limit,
 * A page's idle slices go back with its own next request, or, on a page no request comes back to,
 * with the next request of any page one more idle time later, so nothing waits for the sweep.
 */
import { randomBytes } from 'node:crypto';
import type { QuotaHold } from '../../../ports/shared-quota';
import { createSharedQuota, SLICE_IDLE_MS, type SharedQuotaAdapter, type SharedQuotaOptions } from './shared-quota';
import { createSweeper } from './sweep';

interface PagedHold extends QuotaHold {
  /** The holds this one is made of, each with the page that admitted it and whether it takes the use. */
  parts: Array<{ quota: SharedQuotaAdapter; hold: QuotaHold; slotOnly: boolean }>;
}

/** The page of a caller: a stable hash, so every instance groups the same callers together. */
export function pageOf(caller: string, pages: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < caller.length; i++) h = Math.imul(h ^ caller.charCodeAt(i), 0x01000193);
  return (h >>> 0) % pages;
}

export function createPagedSharedQuota(o: SharedQuotaOptions & { pages: number }): SharedQuotaAdapter {
  if (o.pages <= 1) return createSharedQuota(o);
  const instanceId = o.instanceId ?? randomBytes(6).toString('base64url');
  const sweepEveryMs = o.sweepEveryMs ?? 10_000;
  const idleMs = o.sliceIdleMs ?? SLICE_IDLE_MS;
  const sweeper = createSweeper({
    counters: o.counters,
    holders: o.holders,
    partitions: o.holderPartitions,
    everyMs: sweepEveryMs,
    now: o.now,
    log: o.log,
    failed: (op, err) => o.storeFailed?.(op, err),
  });
  const sweep = sweeper.soon;
  const main: SharedQuotaAdapter = createSharedQuota({
    ...o,
    instanceId,
    page: { scopes: (entries) => main.registerScopes(entries), sweep },
  });
  const pages = new Map<number, SharedQuotaAdapter>();
  /** Pages with use, releases or takes not yet written. */
  const touched = new Set<SharedQuotaAdapter>();

  function page(caller: string | undefined): SharedQuotaAdapter {
    if (caller === undefined) return main;
    const n = pageOf(caller, o.pages);
    let p = pages.get(n);
    if (!p) {
      p = createSharedQuota({
        ...o,
        instanceId: `${instanceId}.p${n}`,
        // The main page writes the registry into the instance's one usage item.
        page: { scopes: (entries) => main.registerScopes(entries), sweep },
      });
      pages.set(n, p);
    }
    return p;
  }

  const all = () => [main, ...pages.values()];

  const adapter: SharedQuotaAdapter = {
    instanceId,

    async admit(needs, slot, now, caller, opts) {
      const p = page(caller);
      touched.add(p);
      if (p === main || !slot) {
        const a = await p.admit(needs, slot, now, caller, opts);
        return a.ok ? { ok: true, hold: paged(needs, slot, [{ quota: p, hold: a.hold, slotOnly: false }]) } : a;
      }
      // Slots live on the main page (a streak spans callers), the needs on the caller's page.
      touched.add(main);
      const [a, s] = await Promise.all([
        // (Even with no needs: slices an earlier admission left to this one are listed by it.)
        p.admit(needs, undefined, now, caller, opts),
        main.admit([], slot, now),
      ]);
      if (!a.ok) {
        if (s.ok) main.release(s.hold, now);
        return a;
      }
      if (!s.ok) {
        p.release(a.hold, now);
        return s;
      }
      const parts: PagedHold['parts'] = [
        { quota: main, hold: s.hold, slotOnly: true },
        { quota: p, hold: a.hold, slotOnly: false },
      ];
      return { ok: true, hold: paged(needs, slot, parts) };
    },

    settle(h, actual, now) {
      for (const part of (h as PagedHold).parts) {
        touched.add(part.quota);
        part.quota.settle(part.hold, part.slotOnly ? [] : actual, now);
      }
    },

    release(h, now) {
      for (const part of (h as PagedHold).parts) {
        touched.add(part.quota);
        part.quota.release(part.hold, now);
      }
    },

    async record(usage, now, calls) {
      // The pages this request (and any finishing beside it) used, plus pages with idle slices to
      // give back: a page no request comes to again would otherwise keep them until it expires.
      const due = new Set(touched);
      touched.clear();
      // A page's own next request gives its idle slices back for free; a write of its own only for
      // what has waited a further idle time for one (a quiet page).
      for (const p of pages.values()) if (!due.has(p) && p.givesBack(now - idleMs)) due.add(p);
      const others = [...due].filter((p) => p !== main);
      if (o.usageFlushMs === 0) {
        // Usage written with every request (the local runtime): the pages first, so the scopes they
        // just took reach the registry in this request's usage write.
        await Promise.all(others.map((p) => p.record([], now)));
        await main.record(usage, now, calls);
        return;
      }
      await Promise.all([main.record(usage, now, calls), ...others.map((p) => p.record([], now))]);
    },

    async maintain(now) {
      await Promise.all([...pages.values()].map((p) => p.record([], now)));
      await main.maintain(now);
    },

    degraded: () => [...new Set(all().flatMap((p) => p.degraded()))],

    givesBack: (now) => all().some((p) => p.givesBack(now)),

    registerScopes: (entries) => main.registerScopes(entries),

    holdings() {
      const each = all().map((p) => p.holdings());
      const slots: Record<string, number> = {};
      for (const h of each) for (const [m, n] of Object.entries(h.slots)) slots[m] = (slots[m] ?? 0) + n;
      return { slices: each.flatMap((h) => h.slices), slots, record: each[0].record };
    },
  };

  return adapter;
}

function paged(needs: QuotaHold['needs'], slot: QuotaHold['slot'], parts: PagedHold['parts']): PagedHold {
  return { needs, slot, parts };
}
