/**
 * What one instance holds of a scope, and the in-memory accounting of it: a request reserves its
 * worst case from a slice before the upstream call and settles the real amount after, exactly as
 * the ledger did per request, but with no I/O. Pure.
 */
import type { QuotaScope } from './scope';

export interface SlicePart {
  shard: number;
  amount: number;
}

export interface Slice {
  id: string;
  scope: QuotaScope;
  /** Where the amount came from (usually one shard; several when the last of a scope was gathered). */
  parts: SlicePart[];
  amount: number;
  /** Settled use (spend, requests, tokens). May pass `amount` when a request cost more than reserved. */
  used: number;
  /** Reserved by requests in flight. */
  reserved: number;
  /** Use already written to the instance's holder record (what the sweep would count as used). */
  recorded: number;
  takenAt: number;
  lastUseAt: number;
  /** Taken for one request only (near a limit): given back as soon as that request settles. */
  perRequest: boolean;
  /** No new reservations: exhausted, expired, or being given back. */
  closed: boolean;
}

export function free(s: Slice): number {
  return s.closed ? 0 : Math.max(0, s.amount - s.used - s.reserved);
}

/** Reserves `amount` from the slice; false when it does not fit. */
export function reserve(s: Slice, amount: number, now: number): boolean {
  if (s.closed || free(s) < amount) return false;
  s.reserved += amount;
  s.lastUseAt = now;
  return true;
}

/**
 * Replaces a reservation by the real use. Returns how far the real use went past the reservation
 * (0 normally): that overrun is still counted, never dropped.
 */
export function settle(s: Slice, reservedAmount: number, actual: number, now: number): number {
  s.reserved = Math.max(0, s.reserved - reservedAmount);
  s.used += actual;
  s.lastUseAt = now;
  return Math.max(0, actual - reservedAmount);
}

/** What giving the slice back returns to the pool now: budgets the unspent rest, rates the unused rest. */
export function unspent(s: Slice): number {
  return Math.max(0, s.amount - s.used);
}

/**
 * Splits what goes back over the parts the slice came from: use is charged to the parts in order,
 * so each shard gets back at most what it gave; an overrun (used > amount) is charged to the last
 * part, whose `back` is then negative (the money was spent: it is counted even past the limit).
 */
export function returnPlan(s: Pick<Slice, 'parts' | 'used'>): Array<{ shard: number; back: number; used: number }> {
  let rest = s.used;
  return s.parts.map((p, i) => {
    const used = i === s.parts.length - 1 ? rest : Math.min(p.amount, rest);
    rest -= used;
    return { shard: p.shard, back: p.amount - used, used };
  });
}
