/**
 * Probe rounds: every endpoint once per round, in parallel; each result goes through the health state
 * machine and is written to the state table on the version it was computed from, then the recorded
 * results go to CloudWatch in one batch.
 */
import type { CompiledConfig, CompiledEndpoint } from '../core/config/compile';
import {
  nextHealth,
  shouldRecord,
  type EndpointHealth,
  type HealthStatus,
  type ProbeResult,
} from '../core/health/endpoint-health';
import { roundFits } from '../core/health/rounds';
import type { HealthRecord } from '../adapters/dynamo/health-item';
import type { HealthStore } from '../adapters/dynamo/health-store';
import type { HealthMetrics, HealthRoundMetrics } from '../adapters/telemetry/cloudwatch-health-metrics';
import type { SecretSource } from '../ports/secrets';
import type { UpstreamClient } from '../ports/upstream';
import type { ProviderClient } from '../ports/bedrock';
import { probeEndpoint } from './probe';

import type { QuotaReport, QuotaSweep } from '../ports/shared-quota';
import { fleetCallTimes } from '../core/balancing/fleet-call-time';

export type HealthLogFn = (
  level: 'debug' | 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

export interface HealthCheckDeps {
  config: CompiledConfig;
  upstream: UpstreamClient;
  bedrock: ProviderClient;
  secrets: SecretSource;
  store: HealthStore;
  metrics: HealthMetrics;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  log: HealthLogFn;
  /** Each invocation also gives back the quota and slots of crashed or long-frozen router instances. */
  quotaSweep?: QuotaSweep;
  /** Every instance's recent calls per endpoint: each round stores the fleet's mean call time with the health. */
  recentCalls?: Pick<QuotaReport, 'recent'>;
}

export interface RoundOptions {
  /** Results whose probe started closer than this to the recorded one are dropped (see shouldRecord). */
  minSpacingMs: number;
}

export interface EndpointRoundResult {
  endpointId: string;
  model: string;
  status: HealthStatus;
  /** Consecutive recorded rounds down (0 while up). */
  downRounds: number;
  probe: ProbeResult;
  probedAt: number;
  /** False when another invocation had already recorded this round or a newer one. */
  recorded: boolean;
}

export interface RoundReport {
  startedAt: number;
  endpoints: EndpointRoundResult[];
}

/** Conflicting writers retry on the fresh item; a third loss means the others are recording this round. */
const MAX_WRITE_ATTEMPTS = 3;

async function record(
  deps: HealthCheckDeps,
  endpoint: CompiledEndpoint,
  stored: HealthRecord | undefined,
  probe: ProbeResult,
  probedAt: number,
  opts: RoundOptions,
  callTimes: Map<string, number> | undefined,
): Promise<{ health: EndpointHealth | undefined; recorded: boolean; previous?: HealthStatus }> {
  const settings = deps.config.settings.health;
  let current = stored;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    if (!shouldRecord(current, probedAt, opts.minSpacingMs)) return { health: current, recorded: false };
    // Counters that could not be read keep the last figure; read ones without this endpoint drop it.
    const callMs = callTimes ? callTimes.get(endpoint.id) : current?.fleetCallMs;
    const { fleetCallMs: _old, ...health } = nextHealth(current, probe, probedAt, settings);
    const next: HealthRecord = {
      ...health,
      ...(callMs !== undefined ? { fleetCallMs: callMs } : {}),
      version: (current?.version ?? 0) + 1,
    };
    if (await deps.store.write(endpoint.id, next, current?.version))
      return { health: next, recorded: true, previous: current?.status };
    current = await deps.store.read(endpoint.id);
  }
  return { health: current, recorded: false };
}

/** The fleet's mean call time per endpoint, or undefined when the counters cannot be read now. */
async function readCallTimes(deps: HealthCheckDeps, now: number): Promise<Map<string, number> | undefined> {
  if (!deps.recentCalls) return undefined;
  try {
    return fleetCallTimes(await deps.recentCalls.recent(now, deps.config.settings.breaker.windowMs));
  } catch (err) {
    deps.log('warn', 'recent call counters unreadable; call times kept', {
      error: (err as Error)?.name ?? String(err),
    });
    return undefined;
  }
}

export async function runRound(deps: HealthCheckDeps, opts: RoundOptions): Promise<RoundReport> {
  const { health } = deps.config.settings;
  const endpoints = [...deps.config.endpoints.values()];
  const startedAt = deps.now();
  const probes = await Promise.all(
    endpoints.map(async (e) => {
      const probedAt = deps.now();
      const result = await probeEndpoint(e, e.probe ?? health.probe, health.probeTimeoutMs, deps);
      return { probedAt, result };
    }),
  );
  // Read after probing, not before: the window in which another invocation can write in between is shorter.
  const [stored, callTimes] = await Promise.all([
    deps.store.readAll(endpoints.map((e) => e.id)),
    readCallTimes(deps, startedAt),
  ]);

  const results = await Promise.all(
    endpoints.map(async (e, i): Promise<EndpointRoundResult | undefined> => {
      const { probedAt, result } = probes[i];
      try {
        const outcome = await record(deps, e, stored.get(e.id), result, probedAt, opts, callTimes);
        // A first observation is news only when it is bad; after that, every change is.
        const changed =
          outcome.previous === undefined
            ? outcome.health?.status !== 'healthy'
            : outcome.previous !== outcome.health?.status;
        if (outcome.recorded && outcome.health && changed) {
          deps.log(outcome.health.status === 'down' ? 'warn' : 'info', 'endpoint health changed', {
            endpoint: e.id,
            model: e.model,
            from: outcome.previous ?? 'unknown',
            to: outcome.health.status,
            lastError: outcome.health.lastError,
          });
        }
        return {
          endpointId: e.id,
          model: e.model,
          status: outcome.health?.status ?? 'healthy',
          downRounds: outcome.health?.downRounds ?? 0,
          probe: result,
          probedAt,
          recorded: outcome.recorded,
        };
      } catch (err) {
        deps.log('error', 'cannot record endpoint health', {
          endpoint: e.id,
          error: (err as Error)?.name ?? String(err),
        });
        return undefined;
      }
    }),
  );
  const done = results.filter((r): r is EndpointRoundResult => r !== undefined);
  await publishMetrics(deps, startedAt, done, (id) => stored.get(id)?.status);
  return { startedAt, endpoints: done };
}

/**
 * Endpoint data points only for results this invocation recorded (an overlapping invocation's
 * duplicate round is not counted twice); the per-model and breaker gauges on every round.
 */
async function publishMetrics(
  deps: HealthCheckDeps,
  at: number,
  done: EndpointRoundResult[],
  storedStatus: (endpointId: string) => HealthStatus | undefined,
): Promise<void> {
  const endpoints = [...deps.config.endpoints.values()];
  const statusOf = new Map(done.map((r) => [r.endpointId, r.status]));
  let breakers: HealthRoundMetrics['breakers'] = [];
  try {
    const phases = await deps.store.readBreakerPhases(endpoints.map((e) => e.id));
    breakers = endpoints.map((e) => ({
      endpointId: e.id,
      model: e.model,
      open: (phases.get(e.id) ?? 'closed') !== 'closed',
    }));
  } catch (err) {
    deps.log('warn', 'cannot read breaker state for metrics', { error: (err as Error)?.name ?? String(err) });
  }
  const round: HealthRoundMetrics = {
    at,
    endpoints: done
      .filter((r) => r.recorded)
      .map((r) => ({
        endpointId: r.endpointId,
        model: r.model,
        up: r.status !== 'down',
        downRounds: r.downRounds,
        latencyMs: r.probe.ok ? r.probe.latencyMs : undefined,
      })),
    models: [...deps.config.models.values()].map((m) => ({
      model: m.id,
      // No data counts as up, as it does for routing.
      healthyEndpoints: m.endpoints.filter((e) => (statusOf.get(e.id) ?? storedStatus(e.id)) !== 'down').length,
    })),
    breakers,
  };
  try {
    await deps.metrics.publish(round);
  } catch (err) {
    deps.log('warn', 'cannot publish endpoint health metrics', { error: (err as Error)?.name ?? String(err) });
  }
}

export interface RoundsOptions extends RoundOptions {
  rounds: number;
  intervalMs: number;
  /** Time left in the invocation (Lambda context); no round starts that could not finish. */
  remainingMs: () => number;
}

export interface RoundsReport {
  rounds: number;
  failedRounds: number;
  /** Status counts of the last completed round. */
  last?: Record<HealthStatus, number>;
}

/** Runs rounds at fixed offsets from the start (start + i x interval), so slow rounds do not drift the schedule. */
export async function runRounds(deps: HealthCheckDeps, opts: RoundsOptions): Promise<RoundsReport> {
  const start = deps.now();
  const report: RoundsReport = { rounds: 0, failedRounds: 0 };
  for (let i = 0; i < opts.rounds; i++) {
    const wait = start + i * opts.intervalMs - deps.now();
    if (wait > 0) await deps.sleep(wait);
    if (!roundFits(opts.remainingMs(), deps.config.settings.health.probeTimeoutMs)) break;
    try {
      const round = await runRound(deps, opts);
      report.rounds += 1;
      const last: Record<HealthStatus, number> = { healthy: 0, degraded: 0, down: 0 };
      for (const e of round.endpoints) last[e.status] += 1;
      report.last = last;
    } catch (err) {
      report.failedRounds += 1;
      deps.log('error', 'health round failed', {
        round: i,
        error: (err as Error)?.name ?? String(err),
        message: (err as Error)?.message,
      });
    }
  }
  return report;
}
