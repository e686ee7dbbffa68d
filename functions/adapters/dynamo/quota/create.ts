/** Builds the shared quota and its report from a config and a DynamoDB client (router and health check). */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SwitchyardConfig } from '../../../core/config/schema';
import type { QuotaReport, QuotaSweep } from '../../../ports/shared-quota';
import type { StoreHealth } from '../../../ports/store-health';
import type { LogFn } from '../../../ports/telemetry';
import { createCounterOps } from './counters';
import { createHolderOps } from './holders';
import { createQuotaReport } from './report';
import { sweepExpired } from './sweep';
import { createPagedSharedQuota } from './pages';
import { type Guarantee, type OnStoreError, type SharedQuotaAdapter } from './shared-quota';

/** Margin a holder record keeps past the longest request, so clock skew never lets it expire under one. */
const TERM_MARGIN_MS = 15_000;

export function onStoreErrorModes(cfg: SwitchyardConfig): Record<Guarantee, OnStoreError> {
  const m = cfg.sharedState.onDynamoError;
  return typeof m === 'string' ? { budget: m, rate: m, concurrency: m } : m;
}

export function createQuotaAdapters(o: {
  ddb: DynamoDBClient;
  table: string;
  config: SwitchyardConfig;
  health: StoreHealth;
  log: LogFn;
  now?: () => number;
  random?: () => number;
}): { quota: SharedQuotaAdapter; report: QuotaReport } {
  const counters = createCounterOps(o.ddb, o.table);
  const holders = createHolderOps(o.ddb, o.table);
  const s = o.config.sharedState;
  const requestHoldMs = o.config.gateway.requestDeadlineMs;
  const quota = createPagedSharedQuota({
    pages: s.holderPages,
    counters,
    holders,
    holderPartitions: s.holderPartitions,
    termMs: requestHoldMs + TERM_MARGIN_MS,
    requestHoldMs,
    slotStreakMs: s.slotStreakMs,
    slotShards: s.slotShards,
    usageFlushMs: s.usageFlushMs,
    sliceIdleMs: s.sliceIdleMs,
    onStoreError: onStoreErrorModes(o.config),
    random: o.random ?? Math.random,
    now: o.now ?? Date.now,
    log: o.log,
    storeFailed: (op, err) => o.health.failed(op, err),
    storeOk: () => o.health.ok(),
    recentWindowMs: o.config.breaker.windowMs,
  });
  return {
    quota,
    report: createQuotaReport({
      counters,
      holders,
      partitions: s.holderPartitions,
      slotShards: s.slotShards,
    }),
  };
}

/** The sweep alone, for the health-check function's schedule. */
export function createQuotaSweep(o: {
  ddb: DynamoDBClient;
  table: string;
  config: SwitchyardConfig;
  log: LogFn;
}): QuotaSweep {
  const counters = createCounterOps(o.ddb, o.table);
  const holders = createHolderOps(o.ddb, o.table);
  return {
    async sweep(now) {
      const done = await sweepExpired({
        counters,
        holders,
        partitions: o.config.sharedState.holderPartitions,
        now,
        log: o.log,
      });
      return done.records;
    },
  };
}

/** The report alone (the health check reads the fleet's recent calls per endpoint with it). */
export function createQuotaReportOnly(o: {
  ddb: DynamoDBClient;
  table: string;
  config: SwitchyardConfig;
}): QuotaReport {
  return createQuotaReport({
    counters: createCounterOps(o.ddb, o.table),
    holders: createHolderOps(o.ddb, o.table),
    partitions: o.config.sharedState.holderPartitions,
    slotShards: o.config.sharedState.slotShards,
  });
}
