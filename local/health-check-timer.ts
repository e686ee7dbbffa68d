/**
 * The health check for the local runtime: the deployed handler (same code, same state table items),
 * invoked on a timer instead of by EventBridge, one probe round per tick. Rounds run one at a time,
 * so the overlap guard of the deployed function (minimum spacing between recorded rounds) is off and
 * tests can drive rounds back to back.
 */
import type { Context } from 'aws-lambda';
import { discardHealthMetrics } from '../functions/adapters/telemetry/cloudwatch-health-metrics';
import { createHealthCheckDeps } from '../functions/health-check/default-deps';
import { createHealthCheckHandler } from '../functions/health-check/lambda-handler';
import type { HealthLogFn } from '../functions/health-check/run-rounds';

export interface LocalHealthCheckOptions {
  env: NodeJS.ProcessEnv;
  configJson: unknown;
  /** Time between rounds; 0 = no timer (rounds only through `runRound()`). */
  intervalMs: number;
  /** After every round, e.g. to refresh the router's cached copy of the state table. */
  afterRound?: () => Promise<void>;
}

export interface LocalHealthCheck {
  /** Runs one probe round now (after any round in progress) and resolves when it is recorded. */
  runRound(): Promise<void>;
  stop(): Promise<void>;
}

/** Status changes and failures, readable in the `npm start` terminal. */
const log: HealthLogFn = (level, msg, fields = {}) => {
  if (level === 'debug') return;
  if (msg === 'endpoint health changed') {
    const why = fields.to !== 'healthy' && fields.lastError ? ` (${fields.lastError})` : '';
    console.log(`  health: ${fields.endpoint} (${fields.model}) ${fields.from} -> ${fields.to}${why}`);
    return;
  }
  console.error(`  health: ${msg} ${JSON.stringify(fields)}`);
};

export function startLocalHealthCheck(opts: LocalHealthCheckOptions): LocalHealthCheck {
  const deps = createHealthCheckDeps(opts.env, { configJson: opts.configJson, metrics: discardHealthMetrics, log });
  const handler = createHealthCheckHandler(deps, { schedulePeriodMs: 0, minSpacingMs: 0 });
  const roundBudgetMs = deps.config.settings.health.probeTimeoutMs + 60_000;
  let queue: Promise<void> = Promise.resolve();
  let stopped = false;

  const invoke = async () => {
    if (stopped) return;
    const deadline = Date.now() + roundBudgetMs;
    const context = {
      functionName: 'switchyard-health-check-local',
      getRemainingTimeInMillis: () => deadline - Date.now(),
    } as Partial<Context>;
    await handler({}, context as Context);
    await opts.afterRound?.();
  };
  const runRound = () => {
    queue = queue.then(invoke, invoke);
    return queue;
  };
  const tick = () => {
    runRound().catch((err) => log('error', 'local health round failed', { error: String(err) }));
  };

  let timer: NodeJS.Timeout | undefined;
  if (opts.intervalMs > 0) {
    tick(); // know every endpoint's health right after start, not one interval later
    timer = setInterval(tick, opts.intervalMs);
    timer.unref();
  }

  return {
    runRound,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await queue.catch(() => undefined);
    },
  };
}
