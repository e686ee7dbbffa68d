/** The `days` parameter of GET /v1/stats and `npm run report`: today and the N-1 UTC days before it. */
import { errors } from '../openai/errors';
import { utcDay } from '../time';

export const DEFAULT_STATS_DAYS = 2;
/** Each day is one DynamoDB Query per table; a month bounds the cost of one admin call. */
export const MAX_STATS_DAYS = 31;

/** Throws a 400 naming the parameter for anything but an integer in 1..31. */
export function parseStatsDays(raw: string | undefined | null): number {
  if (raw === undefined || raw === null || raw === '') return DEFAULT_STATS_DAYS;
  if (!/^\d{1,3}$/.test(raw.trim()))
    throw errors.invalidField('days', `must be an integer from 1 to ${MAX_STATS_DAYS}`);
  const n = Number(raw.trim());
  if (n < 1 || n > MAX_STATS_DAYS) throw errors.invalidField('days', `must be an integer from 1 to ${MAX_STATS_DAYS}`);
  return n;
}

/** Newest first: [today, yesterday, ...]. */
export function recentUtcDays(now: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => utcDay(now - i * 86_400_000));
}
