/**
 * The system under test of `npm run soak`, in its own process so its memory is measured alone:
 * the local gateway (API Gateway emulator + authorizer + router + dynalite + health-check timer)
 * with the simulated providers at a fast but non-zero time scale. Forked by bench/soak.ts with
 * `--expose-gc`, so heap can be read after a forced collection.
 *
 * IPC commands (bench/soak/protocol.ts): `drain` waits until no router invocation is running
 * (after-response work included) and replays writes the router kept during DynamoDB faults,
 * `memory` samples process.memoryUsage() (after GC if asked), `dynamoFault` sets a DynamoDB fault on
 * the fault proxy (local/dynamo-faults.ts) for a while, `audit` reads the ledgers, usage rows and
 * leases straight from dynalite, `close` stops it all.
 */
import type { Writable } from 'node:stream';
import defaultConfig from '../../config/switchyard.json';
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { COST_TABLE, tableName } from '../../functions/contracts/table-specs';
import { createCounterOps } from '../../functions/adapters/dynamo/quota/counters';
import { createHolderOps } from '../../functions/adapters/dynamo/quota/holders';
import { createQuotaReport } from '../../functions/adapters/dynamo/quota/report';
import type { SharedQuotaAdapter } from '../../functions/adapters/dynamo/quota/shared-quota';
import { utcDay } from '../../functions/core/time';
import { createRouterHandler } from '../../functions/router/lambda-handler';
import { startLocalGateway } from '../../local/gateway';
import type { StreamingHandler } from '../../local/lambda-streaming';
import { failChild, serveChild } from '../child';
import type {
  Audit,
  Command,
  DrainResult,
  DynamoFaultCommand,
  LeaseState,
  MemorySample,
  Push,
  ScopeDrift,
  ServerInfo,
  SoakKeys,
} from './protocol';

const MB = 1024 * 1024;

/** Every provider request the simulator logs is kept until reset; cleared this often (see below). */
const SIM_LOG_TRIM_EVERY_MS = 5_000;

/**
 * The default config with the clocks scaled to the soak: the simulated upstreams answer in tens of
 * milliseconds, so a hung upstream, a stalled stream, a breaker cooldown or a health verdict must
 * also resolve in seconds, not minutes, for the run to see many of each. Limits are kept where they
 * are meant to bite (model concurrency caps; one model with a daily budget), the global budget is
 * lifted so a long run does not end as a wall of 429s (reservations are still made and settled).
 */
export function soakConfig(): unknown {
  const cfg = structuredClone(defaultConfig) as any;
  cfg.gateway = { ...cfg.gateway, requestDeadlineMs: 10_000, headersTimeoutMs: 3_000, bodyIdleTimeoutMs: 2_000 };
  cfg.breaker = { ...cfg.breaker, windowMs: 10_000, cooldownMs: 5_000 };
  cfg.health = { ...cfg.health, probeIntervalMs: 2_000, probeTimeoutMs: 1_000 };
  cfg.retry = { ...cfg.retry, baseDelayMs: 20, maxDelayMs: 300 };
  cfg.budgets = { ...cfg.budgets, globalDailyUsd: 100_000 };
  const claude = cfg.models.find((m: { id: string }) => m.id === 'claude-sonnet-4.5');
  if (claude) claude.dailyBudgetUsd = 3;
  return cfg;
}

async function main(): Promise<void> {
  const send = (m: Push) => process.send?.(m);
  const timeScale = Number(process.env.SOAK_TIME_SCALE ?? 0.05);
  const configJson = soakConfig();
  // The DynamoDB fault proxy sits between every handler and dynalite (SOAK_DYNAMO_FAULTS=0: none).
  const withDynamoFaults = process.env.SOAK_DYNAMO_FAULTS !== '0';
  const gw = await startLocalGateway({
    host: '127.0.0.1',
    port: 0,
    timeScale,
    configJson,
    telemetry: 'quiet',
    dynamoFaults: withDynamoFaults,
  });
  if (!gw.providers) throw new Error('expected simulated providers');
  const providers = gw.providers;
  const startedAt = Date.now();

  // The simulator keeps every request it served (a test affordance: tests read it back); a soak
  // would measure that log, not the gateway. Cleared on a timer, which is what a long-lived user
  // of the simulator has to do.
  // SOAK_KEEP_SIM_LOG=1 keeps it (to see the leak detector fire).
  const trim = setInterval(() => {
    if (process.env.SOAK_KEEP_SIM_LOG !== '1') providers.resetRequests();
  }, SIM_LOG_TRIM_EVERY_MS);
  trim.unref();

  const keys: SoakKeys = {
    admin: gw.demoKey,
    budget: 'sk-sy-soak-budget-local-only-000000000000',
    limited: 'sk-sy-soak-limited-local-only-00000000000',
    limitedModels: ['gemini-2.5-flash', 'chat-default'],
  };
  await gw.keys.create(keys.budget, { name: 'soak budget key', admin: false, dailyBudgetUsd: 0.05 });
  await gw.keys.create(keys.limited, {
    name: 'soak limited key',
    admin: false,
    rpm: 30,
    allowedModels: keys.limitedModels,
  });

  // The gateway's own router deps, wrapped to know when every invocation (after-response writes
  // included) has returned: the audit must not race settlements still in flight.
  const inner = createRouterHandler(gw.deps) as unknown as StreamingHandler;
  let inFlight = 0;
  let invocations = 0;
  let waiters: Array<() => void> = [];
  const wrapped = awslambda.streamifyResponse(async (event: unknown, stream: Writable, context: unknown) => {
    inFlight++;
    invocations++;
    send({ inFlight });
    try {
      await inner(event, stream, context);
    } finally {
      send({ inFlight: --inFlight });
      if (inFlight === 0) {
        const w = waiters;
        waiters = [];
        for (const resolve of w) resolve();
      }
    }
  });
  gw.setTargetSelector(() => ({ handler: wrapped, version: '1' }));

  const idle = (timeoutMs: number) =>
    inFlight === 0
      ? Promise.resolve(true)
      : new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), timeoutMs);
          waiters.push(() => {
            clearTimeout(timer);
            resolve(true);
          });
        });

  // Writes the router kept while DynamoDB failed (when this gateway has a write backlog): replayed by
  // the next invocations once DynamoDB answers; at the end of a run there is no next invocation, so
  // the drain replays them, as the next request would.
  const backlog = (gw.deps as { backlog?: { size(): number; flush(): Promise<number> } }).backlog;
  async function drain(timeoutMs: number): Promise<DrainResult> {
    const until = Date.now() + timeoutMs;
    const wasIdle = await idle(timeoutMs);
    const backlogAtIdle = backlog?.size() ?? 0;
    while (backlog && backlog.size() > 0 && Date.now() < until) {
      await backlog.flush();
      if (backlog.size() > 0) await new Promise((r) => setTimeout(r, 100));
    }
    return { idle: wasIdle, backlogAtIdle, backlogAfterFlush: backlog?.size() ?? 0 };
  }

  let liftDynamoFault: NodeJS.Timeout | undefined;
  async function dynamoFault(f: DynamoFaultCommand): Promise<boolean> {
    const proxy = gw.dynamoFaults;
    if (!proxy) return false;
    clearTimeout(liftDynamoFault);
    if (f.kind === 'clear') await proxy.pass();
    else {
      if (f.kind === 'throttle') await proxy.throttle({ fraction: f.fraction, operations: f.operations });
      else await proxy.unreachable();
      liftDynamoFault = setTimeout(() => void proxy.pass(), f.ms);
    }
    return true;
  }

  const memory = (gc: boolean): MemorySample => {
    if (gc && typeof global.gc === 'function') {
      // Twice: the first pass can leave objects that only become unreachable once finalizers ran.
      global.gc();
      global.gc();
    }
    const m = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      t: (Date.now() - startedAt) / 1000,
      rssMB: m.rss / MB,
      heapUsedMB: m.heapUsed / MB,
      heapTotalMB: m.heapTotal / MB,
      externalMB: m.external / MB,
      arrayBuffersMB: m.arrayBuffers / MB,
      inFlight,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  };

  // Straight to dynalite, never through the fault proxy: the audit reads what is stored.
  const ddb = createDynamoClient({ ...gw.env, SWITCHYARD_DYNAMODB_ENDPOINT: gw.dynamo.endpoint });
  const costTable = tableName(COST_TABLE, gw.env);
  const cfg = gw.deps.config;
  const counters = createCounterOps(ddb, costTable);
  const report = createQuotaReport({
    counters,
    holders: createHolderOps(ddb, costTable),
    partitions: cfg.settings.sharedState.holderPartitions,
    slotShards: cfg.settings.sharedState.slotShards,
  });

  async function audit(): Promise<Audit> {
    const days = [...new Set([utcDay(startedAt), utcDay(Date.now())])];
    const scopes = new Map<string, ScopeDrift>();
    const scope = (id: string): ScopeDrift => {
      let s = scopes.get(id);
      if (!s)
        scopes.set(
          id,
          (s = {
            scope: id,
            ledgerSpentMicros: 0,
            usageCostMicros: 0,
            driftMicros: 0,
            reservedMicros: 0,
            openReservations: 0,
          }),
        );
      return s;
    };
    scope('global');
    let usageRequests = 0;
    let usageCostMicros = 0;
    for (const day of days) {
      for (const row of await report.budgets(day)) {
        const s = scope(row.scope);
        s.ledgerSpentMicros += row.spentMicros;
        // What open slices hold: instances keep them between requests (the design, not a leak).
        s.reservedMicros += row.reservedMicros;
      }
      for (const row of await report.usage(day)) {
        if (row.scope.startsWith('model#')) {
          usageRequests += row.requests;
          usageCostMicros += row.costMicros;
          scope('global').usageCostMicros += row.costMicros;
        }
        // Key and model rows are compared with their own ledger scope when that scope has a budget
        // (its ledger items were read above); route and variant rows have no ledger.
        if (row.scope.startsWith('key#') || row.scope.startsWith('model#')) {
          const s = scopes.get(row.scope);
          if (s) s.usageCostMicros += row.costMicros;
          else if (budgetedScope(row.scope)) scope(row.scope).usageCostMicros += row.costMicros;
        }
      }
    }
    for (const s of scopes.values()) s.driftMicros = s.ledgerSpentMicros - s.usageCostMicros;

    // Units reserved by requests still in flight, over every router instance: 0 after the drain.
    const holdings = gw.instances().map((d) => (d.quota as SharedQuotaAdapter).holdings());
    scope('global').openReservations = holdings.reduce((n, h) => n + h.slices.filter((x) => x.reserved > 0).length, 0);
    const leases: LeaseState[] = [];
    for (const m of cfg.models.values()) {
      if (m.maxConcurrency === undefined) continue;
      const counted = await report.slotsHeld(m.id, m.maxConcurrency);
      // Slots counted in DynamoDB and slots the instances say they hold (kept across back-to-back requests).
      leases.push({ model: m.id, inflight: counted, holders: holdings.reduce((n, h) => n + (h.slots[m.id] ?? 0), 0) });
    }
    return { days, scopes: [...scopes.values()], leases, usageRequests, usageCostMicros, inFlight, invocations };
  }

  /** A model scope with a daily budget has a ledger even before its first reservation. */
  function budgetedScope(s: string): boolean {
    return s.startsWith('model#') && cfg.models.get(s.slice('model#'.length))?.dailyBudgetUsd !== undefined;
  }

  const info: ServerInfo = {
    url: gw.url,
    simUrl: providers.url,
    keys,
    // The soak drives chat completions: embedding models are not its to call.
    models: [...cfg.models.values()]
      .filter((m) => m.kind === 'chat')
      .map((m) => ({
        id: m.id,
        upstream: m.endpoints[0].upstreamModel,
        provider: m.endpoints[0].providerName,
      })),
    routes: Object.keys((configJson as { routes: Record<string, unknown> }).routes),
    timeScale,
    dynamoFaults: gw.dynamoFaults !== undefined,
    pid: process.pid,
  };
  serveChild<Command>(
    info,
    {
      drain: (m) => drain(m.timeoutMs),
      memory: (m) => memory(m.gc),
      audit: () => audit(),
      dynamoFault: (m) => dynamoFault(m.fault),
    },
    async () => {
      clearInterval(trim);
      clearTimeout(liftDynamoFault);
      ddb.destroy();
      await gw.close();
    },
  );
}

main().catch(failChild);
