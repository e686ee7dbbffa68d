/**
 * A SharedQuota with no store, that admits everything unless told otherwise and writes down what
 * each request took, settled and gave back (the router's unit tests check the accounting with it).
 */
import type {
  Admission,
  QuotaHold,
  QuotaNeed,
  SharedQuota,
  SlotNeed,
  UsageRecord,
} from '../../functions/ports/shared-quota';

export interface QuotaBooks {
  admitted: Array<{ needs: QuotaNeed[]; slot?: SlotNeed }>;
  settled: Array<{ needs: readonly QuotaNeed[]; actual: number[] }>;
  released: Array<readonly QuotaNeed[]>;
  slots: { taken: number; freed: number };
  usage: UsageRecord[];
}

export function memoryQuota(decide?: (needs: QuotaNeed[], slot?: SlotNeed) => Admission | undefined): {
  quota: SharedQuota;
  books: QuotaBooks;
} {
  const books: QuotaBooks = { admitted: [], settled: [], released: [], slots: { taken: 0, freed: 0 }, usage: [] };
  const open = new Set<QuotaHold>();
  const quota: SharedQuota = {
    async admit(needs, slot) {
      const refused = decide?.(needs, slot);
      if (refused) return refused;
      books.admitted.push({ needs, slot });
      if (slot) books.slots.taken++;
      const hold: QuotaHold = { needs, slot };
      open.add(hold);
      return { ok: true, hold };
    },
    settle(hold, actual) {
      if (!open.delete(hold)) throw new Error('hold settled twice or never admitted');
      books.settled.push({ needs: hold.needs, actual });
      if (hold.slot) books.slots.freed++;
    },
    release(hold) {
      if (!open.delete(hold)) throw new Error('hold released twice or never admitted');
      books.released.push(hold.needs);
      if (hold.slot) books.slots.freed++;
    },
    async record(usage) {
      books.usage.push(...usage);
    },
    async maintain() {},
    degraded: () => [],
  };
  return { quota, books };
}

/** The budget reservation of an admission (every scope reserves the same worst case). */
export const reservedMicros = (needs: readonly QuotaNeed[]) =>
  needs.find((n) => n.scope.kind === 'budget')?.amount ?? 0;
