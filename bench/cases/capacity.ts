/**
 * The capacity model: what one chat request costs DynamoDB, per partition key, with many router
 * instances sharing one DynamoDB, and the request rate at which the hottest partition key reaches
 * DynamoDB's 1,000 write units per second.
 *
 * Every DynamoDB call the routers make goes through the partition-capacity proxy
 * (local/dynamo-capacity.ts), which counts write requests and write units per partition key from
 * DynamoDB's own sizing rules. Nothing here knows how the stores lay out their items: the harness
 * only sends chat requests and reads the proxy's counts, so it measures any store design.
 *
 * Lambda is simulated: `instances` router instances, each built by the local gateway's
 * `newRouterInstance()` (own caches, own in-memory state, own DynamoDB client), each serving one
 * request at a time from a shared queue (the next request starts only when the previous invocation
 * has returned, after-response work included), all of them in parallel. The upstream answers at
 * once from memory; the authorizer is left out (API Gateway caches its decision, and it only reads).
 *
 * Traffic shapes:
 *   a. one key, one model (gpt-4.1): the key has a daily budget, rpm and tpm; every model a budget;
 *   b. 100 keys over the four models, the same limits as (a);
 *   c. the global budget alone: 100 keys without limits of their own (still the default share of the
 *      global budget each), models without budgets.
 * Limits are set far above what the run spends, so nothing is refused and the counts are those of
 * admitted requests. Model concurrency caps stay on (lifted to 10,000, as in the rest of the bench),
 * so every request also takes and releases a lease.
 *
 * The modelled ceiling is 1,000 / (the hottest key's write units per request): the request rate at
 * which that key would need DynamoDB's whole per-partition-key write throughput. The proxy counts
 * only; throttling is off, because today's stores fail open on throttling and would change what
 * is counted.
 */
import { Readable, Writable } from 'node:stream';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ProviderClient } from '../../functions/ports/bedrock';
import type { UpstreamClient } from '../../functions/ports/upstream';
import { startLocalGateway } from '../../local/gateway';
import { localLambdaContext, PRELUDE_DELIMITER, type StreamingHandler } from '../../local/lambda-streaming';
import { benchConfig, providerKeyEnv } from '../config/bench-config';
import { costByKind, type FleetCeiling, fleetCeiling, type KindCost, settingsFor } from '../fleet-model';

export const MODELS = ['gpt-4.1', 'claude-sonnet-4.5', 'gemini-2.5-flash', 'deepseek-v3.2'] as const;
export const WCU_PER_KEY = 1000;
/** Holder partitions of every run here: what docs/architecture/shared-state.md advises above 10,000 req/s. */
export const HOLDER_PARTITIONS = 64;
/**
 * Mean request duration the fleet model assumes: a short non-streamed answer. Longer requests mean
 * more instances, spread more evenly over the holder partitions, so a longer one would flatter us.
 */
export const FLEET_REQUEST_SECONDS = 1;

export interface Shape {
  id: 'a' | 'b' | 'c';
  label: string;
  keys: number;
  models: readonly string[];
  keyLimits: Record<string, number>;
  modelBudgets: boolean;
}

const KEY_LIMITS = { dailyBudgetUsd: 1_000_000, rpm: 100_000_000, tpm: 1_000_000_000 };

export const SHAPES: Shape[] = [
  {
    id: 'a',
    label: 'one key, one model',
    keys: 1,
    models: ['gpt-4.1'],
    keyLimits: KEY_LIMITS,
    modelBudgets: true,
  },
  {
    id: 'b',
    label: '100 keys, four models',
    keys: 100,
    models: MODELS,
    keyLimits: KEY_LIMITS,
    modelBudgets: true,
  },
  { id: 'c', label: 'global budget alone', keys: 100, models: MODELS, keyLimits: {}, modelBudgets: false },
];

export interface HotKey {
  key: string;
  writeRequests: number;
  writeUnits: number;
}

export interface CapacityRow {
  shape: Shape['id'];
  label: string;
  requests: number;
  ok: number;
  instances: number;
  /** Per chat request. */
  writeRequests: number;
  writeUnits: number;
  readRequests: number;
  readUnits: number;
  /** The hottest partition key's write units (and requests) per chat request. */
  hottestWriteUnits: number;
  hottestWriteRequests: number;
  /** Requests/s at which the hottest key reaches 1,000 WCU/s if these few instances carried it all. */
  ceiling: number;
  /** The same counts seen by a Lambda fleet (bench/fleet-model.ts). */
  fleet?: FleetCeiling;
  /** Top keys over the run (totals, not per request). */
  hottest: HotKey[];
  /** Write requests per chat request by operation. */
  operations: Record<string, number>;
  /** Write requests and units per chat request by what the keys hold (global budget, holder records...). */
  byKind?: Record<string, KindCost>;
  /** What the fleet model says this shape needs to carry its target (bench/fleet-model.ts settingsFor). */
  forTarget?: { holderPartitions: number; sharedShardFactor: number };
  seconds: number;
  /** The pass at the target rate, when run. */
  atTarget?: TargetRow;
}

export interface TargetRow {
  /** Requests per simulated second asked for, and reached. */
  target: number;
  simulatedRate: number;
  timeScale: number;
  requests: number;
  ok: number;
  /** Share of write requests the proxy answered with ProvisionedThroughputExceededException. */
  throttledShare: number;
  /** Write units the hottest key took per simulated second (admitted writes only). */
  hottestWcuPerSecond: number;
  burstSeconds: number;
}

export interface CapacityResult {
  instances: number;
  requests: number;
  warmup: number;
  rows: CapacityRow[];
  /** Free text: which code was measured (e.g. the git commit). */
  measuredOn?: string;
}

const REPLY = 'Hello from an upstream that answers at once.';

/** Answers every call at once, OpenAI-compatible and Bedrock alike (a Bedrock endpoint that failed would write breaker state). */
function instantUpstream(onCall?: () => void): UpstreamClient & ProviderClient {
  const text = JSON.stringify({
    id: 'chatcmpl-capacity',
    object: 'chat.completion',
    created: 1,
    model: 'bench',
    choices: [{ index: 0, message: { role: 'assistant', content: REPLY }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 12, total_tokens: 24 },
  });
  return {
    send: async () => {
      onCall?.();
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: Readable.from([Buffer.from(text)]),
        text: async () => text,
        discard: () => undefined,
      };
    },
  };
}

function shapeConfig(shape: Shape) {
  const cfg = benchConfig() as unknown as {
    models: Array<{ dailyBudgetUsd?: number }>;
    budgets: { globalDailyUsd: number };
    sharedState?: { usageFlushMs?: number; holderPartitions?: number; holderPages?: number };
  };
  for (const m of cfg.models) {
    if (shape.modelBudgets) m.dailyBudgetUsd = 1_000_000;
    else delete m.dailyBudgetUsd;
  }
  // What runs on AWS (the schema's usage default, not the local runtime's stats-at-once setting),
  // with the holder partitions the docs advise above 10,000 requests a second.
  cfg.sharedState = { ...cfg.sharedState, usageFlushMs: 10_000, holderPartitions: HOLDER_PARTITIONS };
  // (BENCH_CAPACITY_PAGES: another sharedState.holderPages, to compare page counts.)
  if (process.env.BENCH_CAPACITY_PAGES) cfg.sharedState.holderPages = Number(process.env.BENCH_CAPACITY_PAGES);
  return cfg;
}

/** The event API Gateway sends once the authorizer allowed the key. */
function event(i: number, shape: Shape): APIGatewayProxyEvent {
  const key = i % shape.keys;
  // Keys and models vary independently: key i%100, model (i/100)%4.
  const model = shape.models[Math.floor(i / shape.keys) % shape.models.length];
  return {
    httpMethod: 'POST',
    path: '/v1/chat/completions',
    resource: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello to the capacity model.' }] }),
    isBase64Encoded: false,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      requestId: `cap-${shape.id}-${i}`,
      authorizer: {
        keyId: `bench-key-${key}`,
        keyName: `bench ${key}`,
        admin: 'false',
        limits: JSON.stringify(shape.keyLimits),
      },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

/** Invokes the handler as Lambda would and returns the response's status. */
async function invoke(handler: StreamingHandler, ev: APIGatewayProxyEvent): Promise<number> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(c, _e, cb) {
      chunks.push(Buffer.from(c));
      cb();
    },
  });
  await handler(
    ev,
    out,
    localLambdaContext({ functionName: 'switchyard-router', version: '1', qualifier: 'live', timeoutMs: 900_000 }),
  );
  const all = Buffer.concat(chunks);
  const end = all.indexOf(PRELUDE_DELIMITER);
  return end < 0 ? 0 : ((JSON.parse(all.subarray(0, end).toString('utf8')) as { statusCode?: number }).statusCode ?? 0);
}

/** Serves requests [from, to) with `handlers.length` instances, each one request at a time. */
async function serve(handlers: StreamingHandler[], shape: Shape, from: number, to: number): Promise<number> {
  let next = from;
  let ok = 0;
  await Promise.all(
    handlers.map(async (handler) => {
      for (;;) {
        const i = next++;
        if (i >= to) return;
        if ((await invoke(handler, event(i, shape))) === 200) ok++;
      }
    }),
  );
  return ok;
}

export const TARGETS: Record<Shape['id'], number> = { a: 10_000, b: 50_000, c: 10_000 };

async function startShapeGateway(
  shape: Shape,
  capacity: { enforce: boolean; timeScale?: number; burstSeconds?: number },
) {
  return startLocalGateway({
    port: 0,
    simulate: false,
    configJson: shapeConfig(shape),
    healthCheckIntervalMs: 0,
    env: providerKeyEnv(benchConfig()),
    dynamoCapacity: capacity,
  });
}

/** The shape at `target` requests per simulated second, with the limits enforced. */
export async function runAtTarget(
  shape: Shape,
  opts: { instances: number; requests: number; warmup: number; target: number; wallRate: number },
): Promise<TargetRow> {
  const timeScale = opts.wallRate / opts.target;
  // A run this short spans a fraction of a simulated second, which a full second of burst would
  // absorb whole: the burst is cut to a tenth of the run, so the steady per-key rate decides.
  const burstSeconds = Math.min(1, opts.requests / opts.target / 10);
  const gw = await startShapeGateway(shape, { enforce: true, timeScale, burstSeconds });
  try {
    const upstream = instantUpstream();
    const handlers = Array.from(
      { length: opts.instances },
      () => gw.newRouterInstance({ upstream, bedrock: upstream }).handler as unknown as StreamingHandler,
    );
    await serve(handlers, shape, 0, opts.warmup);
    const cap = gw.dynamoCapacity!;
    cap.resetCounts();
    const ok = await serve(handlers, shape, opts.warmup, opts.warmup + opts.requests);
    const r = cap.report();
    const attempts = r.writeRequests + r.throttledWrites;
    return {
      target: opts.target,
      simulatedRate: opts.requests / r.simulatedSeconds,
      timeScale,
      requests: opts.requests,
      ok,
      throttledShare: attempts > 0 ? r.throttledWrites / attempts : 0,
      hottestWcuPerSecond: (r.partitions[0]?.writeUnits ?? 0) / r.simulatedSeconds,
      burstSeconds,
    };
  } finally {
    await gw.close();
  }
}

export async function runShape(
  shape: Shape,
  opts: { instances: number; requests: number; warmup: number },
): Promise<CapacityRow> {
  const gw = await startShapeGateway(shape, { enforce: false });
  try {
    // Each instance runs on its own simulated clock, and its upstream call lasts
    // FLEET_REQUEST_SECONDS of it: a Lambda instance serving back-to-back requests of that length.
    // Slices then go idle, rate units wait out their 60 s, slot streaks hold and usage is flushed
    // every 10 s at the pace of a real fleet, not of an instance serving hundreds of requests a
    // second of wall time.
    const noon = Date.parse(`${new Date().toISOString().slice(0, 10)}T12:00:00Z`);
    const handlers = Array.from({ length: opts.instances }, () => {
      const clock = { t: noon };
      const upstream = instantUpstream(() => {
        clock.t += FLEET_REQUEST_SECONDS * 1000;
      });
      return gw.newRouterInstance({ upstream, bedrock: upstream }, { now: () => clock.t })
        .handler as unknown as StreamingHandler;
    });
    // Warm every instance (state snapshot loaded, clients connected), then count from zero.
    await serve(handlers, shape, 0, opts.warmup);
    const cap = gw.dynamoCapacity!;
    cap.resetCounts();
    const t0 = performance.now();
    const ok = await serve(handlers, shape, opts.warmup, opts.warmup + opts.requests);
    const seconds = (performance.now() - t0) / 1000;
    const r = cap.report();
    const n = opts.requests;
    const top = r.partitions.filter((p) => p.writeUnits > 0).slice(0, 5);
    const hottest = top[0] ?? { writeUnits: 0, writeRequests: 0 };
    const writeOps = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];
    return {
      shape: shape.id,
      label: shape.label,
      requests: n,
      ok,
      instances: opts.instances,
      writeRequests: r.writeRequests / n,
      writeUnits: r.writeUnits / n,
      readRequests: r.readRequests / n,
      readUnits: r.readUnits / n,
      hottestWriteUnits: hottest.writeUnits / n,
      hottestWriteRequests: hottest.writeRequests / n,
      ceiling: hottest.writeUnits > 0 ? WCU_PER_KEY / (hottest.writeUnits / n) : Number.POSITIVE_INFINITY,
      hottest: top.map((p) => ({ key: p.key, writeRequests: p.writeRequests, writeUnits: p.writeUnits })),
      fleet: fleetCeiling({
        partitions: r.partitions,
        requests: n,
        holderPartitions: HOLDER_PARTITIONS,
        requestSeconds: FLEET_REQUEST_SECONDS,
      }),
      byKind: costByKind(r.partitions, n),
      forTarget: TARGETS[shape.id]
        ? settingsFor(
            {
              partitions: r.partitions,
              requests: n,
              holderPartitions: HOLDER_PARTITIONS,
              requestSeconds: FLEET_REQUEST_SECONDS,
            },
            TARGETS[shape.id] as number,
          )
        : undefined,
      operations: Object.fromEntries(
        Object.entries(r.operations)
          .filter(([op]) => writeOps.includes(op))
          .map(([op, v]) => [op, v / n]),
      ),
      seconds,
    };
  } finally {
    await gw.close();
  }
}

export async function capacityCase(opts: {
  instances: number;
  requests: number;
  warmup: number;
  shapes?: Array<Shape['id']>;
  /** Requests of the pass at the target rate (0: no such pass). */
  targetRequests?: number;
  log?: (msg: string) => void;
}): Promise<CapacityResult> {
  const rows: CapacityRow[] = [];
  for (const shape of SHAPES.filter((s) => !opts.shapes || opts.shapes.includes(s.id))) {
    opts.log?.(`capacity (${shape.id}) ${shape.label}: ${opts.instances} instances, ${opts.requests} requests...`);
    const row = await runShape(shape, opts);
    if (opts.targetRequests) {
      opts.log?.(`capacity (${shape.id}) at ${TARGETS[shape.id]} req/s simulated, limits enforced...`);
      row.atTarget = await runAtTarget(shape, {
        ...opts,
        requests: opts.targetRequests,
        target: TARGETS[shape.id],
        wallRate: row.requests / row.seconds,
      });
    }
    rows.push(row);
  }
  return { instances: opts.instances, requests: opts.requests, warmup: opts.warmup, rows };
}
