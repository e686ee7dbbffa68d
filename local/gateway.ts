/**
 * The whole gateway on one machine: dynalite with the stack's tables, simulated providers (unless
 * real upstreams are asked for), the API Gateway emulator, and the same authorizer and router
 * handlers that run on AWS. `npm start` and the integration tests both start it through here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDynamoClient } from '../functions/adapters/dynamo/client';
import { createDynamoKeyStore, type KeyStore } from '../functions/adapters/dynamo/key-store';
import { KEYS_TABLE, tableName } from '../functions/contracts/table-specs';
import { createAuthorizerHandler } from '../functions/authorizer/lambda-handler';
import { keyHeaderSpec, type KeyHeaderMode } from '../functions/core/key-headers';
import { hashApiKey } from '../functions/core/keys';
import { quietSink, stdoutSink, type TelemetrySink } from '../functions/adapters/telemetry/sinks';
import { createDefaultDeps } from '../functions/router/default-deps';
import { BEDROCK_SIMULATED_ENV } from '../functions/adapters/providers/bedrock/local-credentials';
import type { RouterDeps } from '../functions/router/deps';
import { createRouterHandler } from '../functions/router/lambda-handler';
import { startApiGatewayEmulator, type Emulator, type InvokeTarget, type RequestLog } from './apigw-emulator';
import { startLocalDynamo, type LocalDynamo } from './dynamo';
import { connectDynamoEndpoint, type ExternalDynamo } from './dynamo-endpoint';
import type { TableReport } from './dynamo-tables';
import { startDynamoCapacityProxy, type CapacityProxy, type CapacityProxyOptions } from './dynamo-capacity';
import { startDynamoFaultProxy, type DynamoFaultProxy, type DynamoFaultSettings } from './dynamo-faults';
import { installAwsLambdaGlobal } from './lambda-streaming';
import { startSimulatedProviders, type SimulatedProviders } from './providers';
import { startLocalHealthCheck, type LocalHealthCheck } from './health-check-timer';
import type { CutoverView } from '../functions/router/admin/admin-deps';
import { createRequestTail } from './request-tail';

/** Well-known local key: printed in the banner and the README; a real (admin) key record in dynalite. */
export const DEMO_KEY = 'sk-sy-demo-local-only-0000000000000000';

export interface LocalGatewayOptions {
  host?: string;
  port?: number;
  /** Path of the routing config; default SWITCHYARD_CONFIG or config/switchyard.json. */
  configPath?: string;
  /** Raw config object (tests); wins over configPath. */
  configJson?: unknown;
  /** Serve the configured models from simulated providers (default) instead of real upstreams. */
  simulate?: boolean;
  /** Latency scale for the simulated providers: 1 = realistic, ~0.02 = fast (tests). */
  timeScale?: number;
  /** Persist DynamoDB data here instead of in memory. */
  dataDir?: string;
  /**
   * Use this DynamoDB-compatible endpoint (DynamoDB Local, a real regional endpoint) instead of the
   * embedded dynalite; the tables are created if missing (local/dynamo-endpoint.ts).
   */
  dynamodbEndpoint?: string;
  /** Region for `dynamodbEndpoint`: request signing, and the table's region on AWS. */
  region?: string;
  /** Table names are `<prefix>state` etc. (default `switchyard-`). */
  tablePrefix?: string;
  /** Default: the config's gateway.authorizerCacheTtlSeconds, the same setting the stack deploys. */
  authorizerCacheTtlMs?: number;
  /** Clock of the authorizer and the emulator's authorizer cache (tests move it past a TTL, an expiry or a grace). */
  now?: () => number;
  /** Where the client key may come from, as the stack's `keyHeaderMode` (default `authorization`). */
  keyHeaderMode?: KeyHeaderMode;
  /** Extra environment for the handlers (provider keys, feature flags). */
  env?: Record<string, string>;
  onRequest?: (log: RequestLog) => void;
  /**
   * A health-check round (the deployed handler) every N ms: default the config's health.probeIntervalMs;
   * 0 = no timer (tests drive rounds with runHealthRound()).
   */
  healthCheckIntervalMs?: number;
  /**
   * The router's structured logs and EMF metrics: `quiet` (default) keeps the terminal to the one-line
   * request log plus warnings and errors, `emf` prints everything as Lambda would, or pass a sink
   * (tests capture it with captureTelemetry()).
   */
  telemetry?: 'quiet' | 'emf' | TelemetrySink;
  /**
   * Put a fault proxy (local/dynamo-faults.ts) between the handlers and dynalite, exposed as
   * `dynamoFaults`. Settings are applied once setup (tables, demo key) is done, before any handler runs.
   */
  dynamoFaults?: boolean | DynamoFaultSettings;
  /**
   * Put the partition-capacity proxy (local/dynamo-capacity.ts) in front of DynamoDB, exposed as
   * `dynamoCapacity`: per-partition-key limits and counts. With dynamoFaults too, the fault proxy
   * sits in front of it.
   */
  dynamoCapacity?: boolean | CapacityProxyOptions;
  /**
   * Create the well-known admin DEMO_KEY (default true). `--real` turns it off unless `--demo-key`
   * is given, and an existing one (a kept `--data-dir`) is then revoked: a key printed in the README
   * must not spend real provider credit.
   */
  demoKey?: boolean;
  /** Refuse foreign `Host` and any browser `Origin` (see the emulator's `loopbackClientsOnly`). */
  loopbackClientsOnly?: boolean;
}

export interface LocalGateway {
  url: string;
  /** What an OpenAI SDK takes as baseURL. */
  baseUrl: string;
  demoKey: string;
  providers?: SimulatedProviders;
  dynamo: LocalDynamo;
  /** With `dynamodbEndpoint`: the tables found or created there. */
  external?: TableReport[];
  /** With the dynamoCapacity option: the capacity proxy (its report counts every call the handlers make). */
  dynamoCapacity?: CapacityProxy;
  /** With the dynamoFaults option: the proxy the handlers reach DynamoDB through (`dynamo.endpoint` bypasses it). */
  dynamoFaults?: DynamoFaultProxy;
  env: NodeJS.ProcessEnv;
  keys: KeyStore;
  /** The deps of the router instance behind the emulator. */
  deps: RouterDeps;
  /** Every router instance built so far (the main one first): what the ledger checks account for. */
  instances(): RouterDeps[];
  /** Counts a router instance built elsewhere (tests with their own deps) among `instances()`. */
  track(deps: RouterDeps): void;
  /** Effective config JSON (base URLs rewritten when simulating). */
  configJson: unknown;
  /** Builds another, independent router instance (own caches) sharing the same DynamoDB and upstreams. */
  newRouterInstance(
    overrides?: Partial<RouterDeps>,
    /**
     * configJson: another version's raw config (cutover); its providers point at the same simulated upstreams.
     * now: the instance's clock (breakers, state snapshot), for tests that move time instead of waiting.
     */
    instance?: { configJson?: unknown; now?: () => number },
  ): { handler: ReturnType<typeof createRouterHandler>; deps: RouterDeps };
  /** Replaces what the emulator invokes (used by the cutover tool's weighted alias); no argument: the main instance again. */
  setTargetSelector(select?: () => InvokeTarget): void;
  emulator: Emulator;
  /** What the console's cutover view shows (a rehearsal running in this process publishes here). */
  publishCutover(view: CutoverView | undefined): void;
  /** Runs one health-check round now; resolves once the main router instance sees its results. */
  runHealthRound(): Promise<void>;
  close(): Promise<void>;
}

export function readConfigFile(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SWITCHYARD_CONFIG || join(__dirname, '..', 'config', 'switchyard.json');
}

/**
 * Points every provider of a config at the simulated server: OpenAI-compatible ones through their
 * base URL, Bedrock ones through `endpointUrl` (the simulator speaks Bedrock's wire protocol under
 * the provider's path prefix).
 */
export function simulateProviders(configJson: unknown, sim: SimulatedProviders): unknown {
  const cfg = structuredClone(configJson) as {
    providers?: Record<string, { kind?: string; baseUrl?: string; endpointUrl?: string }>;
  };
  for (const [name, p] of Object.entries(cfg.providers ?? {})) {
    if (p.kind === 'bedrock') p.endpointUrl = `${sim.url}/${name}`;
    else p.baseUrl = sim.baseUrlFor(name);
  }
  return cfg;
}

/**
 * On AWS usage counters reach DynamoDB every `sharedState.usageFlushMs` (10 s) to keep the
 * per-request write small; locally, unless the config says otherwise, with every request, so
 * `/v1/stats`, the console and the tests see a request as soon as it ends.
 */
export function withLocalStatsAtOnce(configJson: unknown): unknown {
  const cfg = structuredClone(configJson) as { sharedState?: { usageFlushMs?: number } };
  if (!cfg || typeof cfg !== 'object') return configJson;
  cfg.sharedState = { ...(cfg.sharedState ?? {}) };
  cfg.sharedState.usageFlushMs ??= 0;
  return cfg;
}

export async function startLocalGateway(opts: LocalGatewayOptions = {}): Promise<LocalGateway> {
  installAwsLambdaGlobal();
  const simulate = opts.simulate ?? true;
  const rawConfig = withLocalStatsAtOnce(opts.configJson ?? readConfigFile(opts.configPath ?? defaultConfigPath()));

  if (opts.dynamodbEndpoint && opts.dataDir) {
    throw new Error('--data-dir is for the embedded DynamoDB; with --dynamodb-endpoint the data lives there');
  }
  const dynamo = opts.dynamodbEndpoint
    ? await connectDynamoEndpoint({
        endpoint: opts.dynamodbEndpoint,
        region: opts.region,
        tablePrefix: opts.tablePrefix,
      })
    : await startLocalDynamo({ path: opts.dataDir, tablePrefix: opts.tablePrefix });
  const dynamoCapacity = opts.dynamoCapacity
    ? await startDynamoCapacityProxy(
        dynamo.endpoint,
        typeof opts.dynamoCapacity === 'object' ? opts.dynamoCapacity : {},
      )
    : undefined;
  const dynamoFaults = opts.dynamoFaults
    ? await startDynamoFaultProxy(dynamoCapacity?.endpoint ?? dynamo.endpoint)
    : undefined;
  let providers: SimulatedProviders | undefined;
  let emulator: Emulator | undefined;
  let healthCheck: LocalHealthCheck | undefined;
  try {
    providers = simulate ? await startSimulatedProviders({ timeScale: opts.timeScale ?? 1 }) : undefined;
    const configJson = providers ? simulateProviders(rawConfig, providers) : rawConfig;
    const front = dynamoFaults?.endpoint ?? dynamoCapacity?.endpoint;
    const faultEnv = front ? { SWITCHYARD_DYNAMODB_ENDPOINT: front } : {};
    // The Bedrock simulator takes any signature: placeholder credentials instead of the ambient chain.
    const bedrockEnv = providers ? { [BEDROCK_SIMULATED_ENV]: '1' } : {};
    const env: NodeJS.ProcessEnv = { ...process.env, ...dynamo.env, ...faultEnv, ...bedrockEnv, ...(opts.env ?? {}) };

    const ddb = createDynamoClient(env);
    const keys = createDynamoKeyStore(ddb, tableName(KEYS_TABLE, env), { now: opts.now });
    // The console's admin views: key records, the request log's tail, a cutover rehearsal's state.
    const tail = createRequestTail();
    let cutoverView: CutoverView | undefined;
    const admin = { keys, recentRequests: tail.recent, cutover: () => cutoverView };
    const demo = await keys.getByHash(hashApiKey(DEMO_KEY));
    if (opts.demoKey === false) {
      if (demo && demo.status !== 'revoked') await keys.setStatus(demo.keyId, 'revoked');
    } else if (!demo) {
      await keys.create(DEMO_KEY, { name: 'local demo key', admin: true });
    } else if (demo.status === 'revoked') {
      await keys.setStatus(demo.keyId, 'active');
    }

    const telemetrySink =
      opts.telemetry === 'emf'
        ? stdoutSink
        : !opts.telemetry || opts.telemetry === 'quiet'
          ? quietSink
          : opts.telemetry;
    const instances: RouterDeps[] = [];
    const newRouterInstance = (
      overrides: Partial<RouterDeps> = {},
      instance: { configJson?: unknown; now?: () => number } = {},
    ) => {
      const own =
        instance.configJson === undefined
          ? configJson
          : providers
            ? simulateProviders(withLocalStatsAtOnce(instance.configJson), providers)
            : withLocalStatsAtOnce(instance.configJson);
      const deps = {
        ...createDefaultDeps(env, { configJson: own, telemetrySink, now: instance.now }),
        admin,
        ...overrides,
      };
      instances.push(deps);
      return { handler: createRouterHandler(deps), deps };
    };
    const main = newRouterInstance();
    const mainTarget = (): InvokeTarget => ({ handler: main.handler, version: '1' });
    let select: () => InvokeTarget = mainTarget;
    healthCheck = startLocalHealthCheck({
      env,
      configJson,
      intervalMs: opts.healthCheckIntervalMs ?? main.deps.config.settings.health.probeIntervalMs,
      // The router sees a round's results at once instead of after its state cache TTL.
      afterRound: () => main.deps.state.refresh(),
    });
    const health = healthCheck;

    // The same identity sources, caches and authorizer options the stack deploys for this mode.
    const keySpec = keyHeaderSpec(opts.keyHeaderMode);
    const authorizerCacheTtlMs =
      opts.authorizerCacheTtlMs ?? main.deps.config.settings.gateway.authorizerCacheTtlSeconds * 1000;
    emulator = await startApiGatewayEmulator({
      host: opts.host,
      port: opts.port,
      selectTarget: () => select(),
      authorizer: createAuthorizerHandler(keys, {
        keyHeaders: keySpec.keyHeaders,
        cacheTtlMs: keySpec.apiGatewayCache ? 0 : authorizerCacheTtlMs,
        now: opts.now,
      }) as never,
      now: opts.now,
      authorizerCacheTtlMs: keySpec.apiGatewayCache ? authorizerCacheTtlMs : 0,
      authorizerIdentityHeaders: keySpec.identityHeaders,
      onRequest: (log) => {
        tail.add(log);
        opts.onRequest?.(log);
      },
      loopbackClientsOnly: opts.loopbackClientsOnly,
    });
    const em = emulator;
    if (dynamoFaults && typeof opts.dynamoFaults === 'object') await dynamoFaults.set(opts.dynamoFaults);
    return {
      url: em.url,
      baseUrl: `${em.url}/v1`,
      demoKey: DEMO_KEY,
      providers,
      dynamo,
      external: 'tables' in dynamo ? (dynamo as ExternalDynamo).tables : undefined,
      dynamoFaults,
      dynamoCapacity,
      env,
      keys,
      deps: main.deps,
      instances: () => [...instances],
      track: (deps) => void instances.push(deps),
      configJson,
      newRouterInstance,
      setTargetSelector: (s) => {
        select = s ?? mainTarget;
      },
      emulator: em,
      publishCutover: (view) => {
        cutoverView = view;
      },
      runHealthRound: () => health.runRound(),
      async close() {
        await health.stop();
        await em.close();
        await providers?.close();
        ddb.destroy();
        await dynamoFaults?.close();
        await dynamoCapacity?.close();
        await dynamo.close();
      },
    };
  } catch (e) {
    await healthCheck?.stop();
    await emulator?.close();
    await providers?.close();
    await dynamoFaults?.close();
    await dynamoCapacity?.close();
    await dynamo.close();
    throw e;
  }
}
