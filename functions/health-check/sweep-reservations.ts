/**
 * Releases budget reservations whose router instance never settled them (crash, timeout). Runs on
 * the health check's schedule: one Query per ledger day (today and yesterday, so a reservation made
 * just before midnight is not forgotten) and one conditional write per expired reservation.
 */
import { utcDay } from '../core/time';
import type { HealthCheckDeps } from './run-rounds';

const DAY_MS = 86_400_000;

export async function sweepReservations(deps: HealthCheckDeps): Promise<number> {
  if (!deps.ledger) return 0;
  const now = deps.now();
  try {
    const released = await deps.ledger.sweep([utcDay(now - DAY_MS), utcDay(now)], now);
    if (released > 0) deps.log('info', 'released expired budget reservations', { released });
    return released;
  } catch (err) {
    deps.log('warn', 'budget reservation sweep failed; the next run retries', { error: String(err) });
    return 0;
  }
}
