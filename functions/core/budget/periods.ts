/**
 * Budget periods, all in UTC: the calendar day (`d2026-12-06`), the ISO week (`w2026-W49`, Monday to
 * Sunday; the week belongs to the ISO year of its Thursday) and the calendar month (`m2026-12`).
 * A period id is part of every budget scope's key, so each period is its own ledger: a slice of one
 * period can never be spent in another. Pure.
 */
import { utcMonth } from '../quota/scope';
import { utcDay } from '../time';

export type PeriodKind = 'day' | 'week' | 'month';

/** Longest first: a request refused by several periods is told about the one that resets last. */
export const PERIOD_KINDS: readonly PeriodKind[] = ['month', 'week', 'day'];

const DAY_MS = 86_400_000;
const PREFIX: Record<PeriodKind, string> = { day: 'd', week: 'w', month: 'm' };

/** Monday 00:00 UTC of the ISO week holding `ms`. */
function weekStart(ms: number): number {
  const d = new Date(ms);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return midnight - ((d.getUTCDay() + 6) % 7) * DAY_MS;
}

/** ISO 8601 week of a UTC instant: `2026-W49`; 2020-12-31 is `2020-W53`, 2024-12-30 is `2025-W01`. */
export function isoWeek(ms: number): string {
  const thursday = new Date(weekStart(ms) + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const ordinal = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY_MS);
  const week = Math.floor(ordinal / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The period id of `ms`: `d2026-12-06`, `w2026-W49`, `m2026-12`. */
export function periodId(kind: PeriodKind, ms: number): string {
  const label = kind === 'day' ? utcDay(ms) : kind === 'week' ? isoWeek(ms) : utcMonth(ms);
  return `${PREFIX[kind]}${label}`;
}

export function periodStart(kind: PeriodKind, ms: number): number {
  const d = new Date(ms);
  if (kind === 'day') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (kind === 'week') return weekStart(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** When the period holding `ms` ends: the next one's first millisecond (its budget's reset). */
export function periodEnd(kind: PeriodKind, ms: number): number {
  const start = periodStart(kind, ms);
  if (kind === 'day') return start + DAY_MS;
  if (kind === 'week') return start + 7 * DAY_MS;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

const PATTERNS: Array<[PeriodKind, RegExp]> = [
  ['day', /^d(\d{4})-(\d{2})-(\d{2})$/],
  ['week', /^w(\d{4})-W(\d{2})$/],
  ['month', /^m(\d{4})-(\d{2})$/],
];

/** A period id back to its kind and bounds; undefined for anything else (`rolling`, garbage). */
export function parsePeriod(period: string): { kind: PeriodKind; start: number; end: number } | undefined {
  for (const [kind, re] of PATTERNS) {
    const m = re.exec(period);
    if (!m) continue;
    const [y, a, b] = [Number(m[1]), Number(m[2]), Number(m[3])];
    let start: number;
    if (kind === 'day') start = Date.UTC(y, a - 1, b);
    else if (kind === 'month') start = Date.UTC(y, a - 1, 1);
    else start = weekStart(Date.UTC(y, 0, 4)) + (a - 1) * 7 * DAY_MS;
    // Ids that do not round-trip (month 13, week 54 of a 52-week year) are not periods.
    if (!Number.isFinite(start) || periodId(kind, start) !== period) return undefined;
    return { kind, start, end: periodEnd(kind, start) };
  }
  return undefined;
}

/** The period's kind from its id's prefix (`d`, `w`, `m`); undefined for rate scopes. */
export function periodKindOf(period: string): PeriodKind | undefined {
  return PATTERNS.find(([, re]) => re.test(period))?.[0];
}

/**
 * The UTC days whose holder records may hold slices of the period: every day of it, and the day
 * before it starts (a record lives on past midnight until its instance is idle).
 */
export function periodRecordDays(period: string): string[] {
  const p = parsePeriod(period);
  if (!p) return [];
  const days: string[] = [];
  for (let t = p.start - DAY_MS; t < p.end; t += DAY_MS) days.push(utcDay(t));
  return days;
}

/** `2026-12-06`, `week 2026-W49`, `2026-12` for messages and reports. */
export function periodLabel(period: string): string {
  const kind = periodKindOf(period);
  return kind === 'week' ? `week ${period.slice(1)}` : kind ? period.slice(1) : period;
}
