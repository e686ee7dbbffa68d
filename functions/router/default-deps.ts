/** Cold-start wiring: the config, the clients and the stores every warm invocation reuses. */
import { setTimeout as sleep } from 'node:timers/promises';
import { compileConfig } from '../core/config/compile';
import { createDynamoClient } from '../adapters/dynamo/client';
import { createDynamoHealth } from '../adapters/dynamo/dynamo-health';
import { createDynamoBreakerStore } from '../adapters/dynamo/breaker-store';
import { createStateSnapshot } from '../adapters/dynamo/state-snapshot';
import { CACHE_TABLE, COST_TABLE, STATE_TABLE, tableName } from '../contracts/table-specs';
import { createDynamoResponseCache } from '../adapters/dynamo/response-cache';
import { createQuotaAdapters } from '../adapters/dynamo/quota/create';
import { createSecretSource } from '../adapters/secrets/select';
import { createPowertoolsTelemetry } from '../adapters/telemetry/powertools-telemetry';
import { createPowertoolsTracing } from '../adapters/telemetry/powertools-tracing';
import type { TelemetrySink } from '../adapters/telemetry/sinks';
import { createUndiciClient } from '../adapters/providers/openai-compatible/undici-client';
import { createBedrockProvider } from '../adapters/providers/bedrock/bedrock-provider';
import { bedrockCredentialsFrom } from '../adapters/providers/bedrock/local-credentials';
import { TRACING_ENV } from '../contracts/tracing';
import { noopTracing } from '../ports/tracing';
import { loadConfigJson } from '../contracts/config-source';
import type { RouterDeps } from './deps';
import { createHealthAwareEndpointPicker } from './health-aware-endpoint-picker';
import { createKeyPolicy } from './key-policy';

export interface DepsOptions {
  /** Raw config JSON to use instead of loading it (the local runtime rewrites base URLs first). */
  configJson?: unknown;
  /** Where logs and EMF lines go (default stdout, as on Lambda); the local runtime passes a quiet or capturing sink. */
  telemetrySink?: TelemetrySink;
  /** The instance's clock (breakers, state snapshot, health staleness, deadlines); tests move it instead of waiting. */
  now?: () => number;
}

export function createDefaultDeps(env: NodeJS.ProcessEnv = process.env, opts: DepsOptions = {}): RouterDeps {
  const config = compileConfig(opts.configJson ?? loadConfigJson(env));
  const now = opts.now ?? Date.now;
  const ddb = createDynamoClient(env);
  const powertools = createPowertoolsTelemetry({ env, sink: opts.telemetrySink });
  const { log } = powertools;
  // Opt-in (-c switchyard:tracing=true sets the variable): X-Ray through Powertools Tracer.
  const tracing = env[TRACING_ENV] === 'true' ? createPowertoolsTracing() : noopTracing;
  const telemetry: typeof powertools.telemetry = {
    requestDone(summary) {
      powertools.telemetry.requestDone(summary);
      tracing.requestDone(summary);
    },
  };
  const dynamo = createDynamoHealth(log, now);
  const stateTable = tableName(STATE_TABLE, env);
  const costTable = tableName(COST_TABLE, env);
  const state = createStateSnapshot({
    ddb,
    table: stateTable,
    endpointIds: [...config.endpoints.keys()],
    ttlMs: config.settings.gateway.stateCacheTtlMs,
    dynamo,
    now,
  });
  return {
    config,
    upstream: createUndiciClient({ connectTimeoutMs: config.settings.gateway.connectTimeoutMs }),
    bedrock: createBedrockProvider({
      connectTimeoutMs: config.settings.gateway.connectTimeoutMs,
      credentials: bedrockCredentialsFrom(env),
    }),
    state,
    breakers: createDynamoBreakerStore({
      ddb,
      table: stateTable,
      snapshot: state,
      settings: config.settings.breaker,
      dynamo,
      now,
    }),
    // Quota counters take ADDs that must not be applied twice: their client never retries a write
    // whose answer was lost (the adapter treats it as applied, which strands quota, never mints it).
    ...createQuotaAdapters({
      ddb: createDynamoClient(env, { maxAttempts: 1 }),
      table: costTable,
      config: config.settings,
      health: dynamo,
      log,
    }),
    secrets: createSecretSource(env),
    // Health from the health-check function, through the same snapshot; AWS_REGION is the caller's
    // region when the edge sends no x-switchyard-region.
    endpoints: createHealthAwareEndpointPicker({
      config,
      snapshot: state,
      region: env.AWS_REGION,
      random: Math.random,
      now,
    }),
    telemetry,
    tracing,
    keyPolicy: createKeyPolicy(),
    // One attempt per call: a retry after a throttle could not fit in the lookup's short timeout.
    responseCache: createDynamoResponseCache({
      ddb: createDynamoClient(env, { maxAttempts: 1 }),
      table: tableName(CACHE_TABLE, env),
      lookupTimeoutMs: config.settings.cache.lookupTimeoutMs,
      maxEntryBytes: config.settings.cache.maxEntryBytes,
      log,
    }),
    dynamo,
    now,
    random: Math.random,
    sleep: (ms, signal) => sleep(ms, undefined, { signal }),
    log,
  };
}
