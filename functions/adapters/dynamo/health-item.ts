/**
 * The endpoint health item in the state table, `pk = endpoint#<id>`, `sk = health`: written by the
 * health-check function, read by every router instance through the state snapshot. One codec for
 * both sides so the two can never disagree on a field.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { EndpointHealth, HealthStatus } from '../../core/health/endpoint-health';
import { endpointPk } from './endpoint-key';

type Item = Record<string, AttributeValue>;

export const HEALTH_SK = 'health';

/** Items of endpoints removed from the config disappear after a week (TTL is garbage collection only). */
const RETAIN_SECONDS = 7 * 24 * 3600;

/** A stored health state plus its write version (optimistic locking between overlapping writers). */
export interface HealthRecord extends EndpointHealth {
  version: number;
}

const STATUSES: readonly HealthStatus[] = ['healthy', 'degraded', 'down'];

export function healthKey(endpointId: string): Item {
  return { pk: { S: endpointPk(endpointId) }, sk: { S: HEALTH_SK } };
}

const num = (n: number): AttributeValue => ({ N: String(Math.round(n)) });

export function toItem(endpointId: string, r: HealthRecord): Item {
  const item: Item = {
    ...healthKey(endpointId),
    status: { S: r.status },
    failures: num(r.consecutiveFailures),
    successes: num(r.consecutiveSuccesses),
    probedAt: num(r.probedAt),
    changedAt: num(r.changedAt),
    version: num(r.version),
    expiresAt: num(r.probedAt / 1000 + RETAIN_SECONDS),
  };
  if (r.latencyEwmaMs !== undefined) item.latencyEwmaMs = num(r.latencyEwmaMs);
  if (r.lastLatencyMs !== undefined) item.lastLatencyMs = num(r.lastLatencyMs);
  if (r.lastError !== undefined) item.lastError = { S: r.lastError.slice(0, 200) };
  if (r.downRounds !== undefined) item.downRounds = num(r.downRounds);
  if (r.fleetCallMs !== undefined) item.callMs = num(r.fleetCallMs);
  return item;
}

function readNum(v: AttributeValue | undefined): number | undefined {
  if (v?.N === undefined) return undefined;
  const n = Number(v.N);
  return Number.isFinite(n) ? n : undefined;
}

/** The record, or undefined for a missing or unreadable item (the router then treats the endpoint as unknown). */
export function fromItem(item: Item | undefined): HealthRecord | undefined {
  if (!item) return undefined;
  const status = item.status?.S as HealthStatus | undefined;
  const probedAt = readNum(item.probedAt);
  if (!status || !STATUSES.includes(status) || probedAt === undefined) return undefined;
  return {
    status,
    consecutiveFailures: readNum(item.failures) ?? 0,
    consecutiveSuccesses: readNum(item.successes) ?? 0,
    latencyEwmaMs: readNum(item.latencyEwmaMs),
    lastLatencyMs: readNum(item.lastLatencyMs),
    lastError: item.lastError?.S,
    probedAt,
    changedAt: readNum(item.changedAt) ?? probedAt,
    version: readNum(item.version) ?? 0,
    ...(readNum(item.downRounds) !== undefined ? { downRounds: readNum(item.downRounds) } : {}),
    ...(readNum(item.callMs) !== undefined ? { fleetCallMs: readNum(item.callMs) } : {}),
  };
}
