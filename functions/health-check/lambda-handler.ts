/**
 * Builds the scheduled health-check handler around its deps. The deployed handler and the local
 * runtime's timer share it; only the schedule period differs (60 s on AWS, one round per tick locally).
 */
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { roundsPerInvocation } from '../core/health/rounds';
import { runRounds, type HealthCheckDeps, type RoundsReport } from './run-rounds';
import { sweepQuota } from './sweep-quota';

export interface HealthCheckHandlerOptions {
  /** How often the schedule invokes the function; 0 = run one round per invocation. */
  schedulePeriodMs: number;
  /** Default: half the probe interval (dedupes overlapping invocations). */
  minSpacingMs?: number;
}

export function createHealthCheckHandler(deps: HealthCheckDeps, opts: HealthCheckHandlerOptions) {
  const { health } = deps.config.settings;
  return middy<ScheduledEvent | Record<string, never>, RoundsReport & { holderRecordsSwept: number }>().handler(
    async (_event: unknown, context: Context) => {
      // The sweep runs first: it is a few queries and must not wait behind a minute of probe rounds.
      const holderRecordsSwept = await sweepQuota(deps);
      const report = await runRounds(deps, {
        rounds: roundsPerInvocation(opts.schedulePeriodMs, health.probeIntervalMs),
        intervalMs: health.probeIntervalMs,
        minSpacingMs: opts.minSpacingMs ?? Math.floor(health.probeIntervalMs / 2),
        remainingMs: () => context.getRemainingTimeInMillis(),
      });
      return { ...report, holderRecordsSwept };
    },
  );
}
