/** Cold-start wiring: the config, the clients and the stores every warm invocation reuses. */
import { setTimeout as sleep } from 'node:timers/promises';
import { compileConfig } from '../core/config/compile';
import { createDynamoClient } from '../adapters/dynamo/client';
import { createDynamoHealth } from '../adapters/dynamo/dynamo-health';
import { createDynamoUsageStore } from '../adapters/dynamo/usage-store';
import { createDynamoBreakerStore } from '../adapters/dynamo/breaker-store';
import { createDynamoBudgetLedger } from '../adapters/dynamo/budget-ledger';
import { createDynamoLeaseStore } from '../adapters/dynamo/lease-store';
import { createStateSnapshot } from '../adapters/dynamo/state-snapshot';
import { COST_TABLE, STATE_TABLE, tableName } from '../contracts/table-specs';
import { createDynamoRateLimiter } from '../adapters/dynamo/rate-limit-store';
import { createWriteBacklog } from '../adapters/dynamo/write-backlog';
import { KEYS_TABLE } from '../contracts/table-specs';
import { createSecretSource } from '../adapters/secrets/select';
import { createPowertoolsTelemetry } from '../adapters/telemetry/powertools-telemetry';
import type { TelemetrySink } from '../adapters/telemetry/sinks';
import { createUndiciClient } from '../adapters/providers/openai-compatible/undici-client';
import { createBedrockProvider } from '../adapters/providers/bedrock/bedrock-provider';
import { bedrockCredentialsFrom } from '../adapters/providers/bedrock/local-credentials';
import { loadConfigJson } from '../contracts/config-source';
import type { RouterDeps } from './deps';
import { createHealthAwareEndpointPicker } from './health-aware-endpoint-picker';
import { createKeyPolicy } from './key-policy';

export interface DepsOptions {
  /** Raw config JSON to use instead of loading it (the local runtime rewrites base URLs first). */
  configJson?: unknown;
  /** Where logs and EMF lines go (default stdout, as on Lambda); the local runtime passes a quiet or capturing sink. */
  telemetrySink?: TelemetrySink;
}

export function createDefaultDeps(env: NodeJS.ProcessEnv = process.env, opts: DepsOptions = {}): RouterDeps {
  const config = compileConfig(opts.configJson ?? loadConfigJson(env));
  const ddb = createDynamoClient(env);
  const { telemetry, log } = createPowertoolsTelemetry({ env, sink: opts.telemetrySink });
  // Spend, counters and given-back leases that DynamoDB could not take are kept and replayed once
  // it answers again (the first success after an outage, and after each response while any are kept).
  const backlog = createWriteBacklog({ failed: (op, err) => dynamo.failed(op, err), ok: () => dynamo.ok(), log });
  const dynamo = createDynamoHealth(log, Date.now, undefined, {
    onRecovered: () => void backlog.flush(),
    pendingWrites: () => backlog.size(),
  });
  const stateTable = tableName(STATE_TABLE, env);
  const costTable = tableName(COST_TABLE, env);
  const state = createStateSnapshot({
    ddb,
    table: stateTable,
    endpointIds: [...config.endpoints.keys()],
    ttlMs: config.raw.gateway.stateCacheTtlMs,
    dynamo,
    now: Date.now,
  });
  return {
    config,
    upstream: createUndiciClient({ connectTimeoutMs: config.raw.gateway.connectTimeoutMs }),
    bedrock: createBedrockProvider({
      connectTimeoutMs: config.raw.gateway.connectTimeoutMs,
      credentials: bedrockCredentialsFrom(env),
    }),
    usage: createDynamoUsageStore(ddb, costTable, backlog),
    state,
    breakers: createDynamoBreakerStore({
      ddb,
      table: stateTable,
      snapshot: state,
      settings: config.raw.breaker,
      dynamo,
      now: Date.now,
    }),
    leases: createDynamoLeaseStore({ ddb, table: stateTable, dynamo, now: Date.now, backlog }),
    ledger: createDynamoBudgetLedger({
      ddb,
      table: costTable,
      globalShards: config.raw.budgets.globalShards,
      random: Math.random,
      backlog,
    }),
    backlog,
    secrets: createSecretSource(env),
    // Health from the health-check function, through the same snapshot; AWS_REGION is the caller's
    // region when the edge sends no x-switchyard-region.
    endpoints: createHealthAwareEndpointPicker({
      config,
      snapshot: state,
      region: env.AWS_REGION,
      random: Math.random,
      now: Date.now,
    }),
    telemetry,
    keyPolicy: createKeyPolicy(createDynamoRateLimiter(ddb, tableName(KEYS_TABLE, env), { log })),
    dynamo,
    now: Date.now,
    random: Math.random,
    sleep: (ms, signal) => sleep(ms, undefined, { signal }),
    log,
  };
}
