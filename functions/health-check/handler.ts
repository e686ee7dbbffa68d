/**
 * The health-check Lambda, invoked every minute by EventBridge. One invocation runs a probe round
 * every `health.probeIntervalMs` (default 10 s: six rounds a minute) because schedules cannot fire
 * more often than once a minute; see functions/core/health/rounds.ts.
 */
import { HEALTH_SCHEDULE_ENV } from '../core/health/rounds';
import { createHealthCheckDeps } from './default-deps';
import { createHealthCheckHandler } from './lambda-handler';

/** Set by the CDK construct from the rule's rate, so the rounds always fill the period. */
const schedulePeriodMs = Number(process.env[HEALTH_SCHEDULE_ENV] ?? 60_000);

export const handler = createHealthCheckHandler(createHealthCheckDeps(), { schedulePeriodMs });
