/**
 * One status for a whole pool (a model's endpoints), for candidate filtering and GET /health.
 * `down` only when health data says every endpoint is down: unknown (no data) never takes a model out.
 */
import type { EndpointCondition } from './strategies';

export function poolStatus(statuses: readonly EndpointCondition[]): EndpointCondition {
  if (statuses.includes('healthy')) return 'healthy';
  if (statuses.includes('unknown') || statuses.length === 0) return 'unknown';
  if (statuses.includes('degraded')) return 'degraded';
  return 'down';
}

export interface StatusCounts {
  healthy: number;
  degraded: number;
  down: number;
  unknown: number;
}

export function countStatuses(statuses: readonly EndpointCondition[]): StatusCounts {
  const counts: StatusCounts = { healthy: 0, degraded: 0, down: 0, unknown: 0 };
  for (const s of statuses) counts[s] += 1;
  return counts;
}
