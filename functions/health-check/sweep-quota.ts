/**
 * Gives back the quota slices and concurrency slots of router instances that died or stayed frozen
 * past their holder record's term. Runs on the health check's schedule: one Query per holder
 * partition and day, and per expired record one conditional claim plus the counter credits.
 */
import type { HealthCheckDeps } from './run-rounds';

export async function sweepQuota(deps: HealthCheckDeps): Promise<number> {
  if (!deps.quotaSweep) return 0;
  try {
    return await deps.quotaSweep.sweep(deps.now());
  } catch (err) {
    deps.log('warn', 'quota sweep failed; the next run retries', { error: String(err) });
    return 0;
  }
}
