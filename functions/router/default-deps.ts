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
import { COST_TABLE, STATE_TABLE, tableName } from '../adapters/dynamo/table-specs';
import { createEnvSecretSource } from '../adapters/secrets/env-source';
import { createConsoleTelemetry } from '../adapters/telemetry/console-telemetry';
import { createUndiciClient } from '../adapters/upstream/undici-client';
import { loadConfigJson } from './config-source';
import type { LogFn, RouterDeps } from './deps';
import { createWeightedEndpointPicker } from './endpoint-picker';
import { createKeyPolicy } from './key-policy';

export interface DepsOptions {
  /** Raw config JSON to use instead of loading it (the local runtime rewrites base URLs first). */
  configJson?: unknown;
}

const consoleLog: LogFn = (level, msg, fields) => {
  const line = JSON.stringify({ level, message: msg, ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
};

export function createDefaultDeps(env: NodeJS.ProcessEnv = process.env, opts: DepsOptions = {}): RouterDeps {
  const config = compileConfig(opts.configJson ?? loadConfigJson(env));
  const ddb = createDynamoClient(env);
  const log = consoleLog;
  const dynamo = createDynamoHealth(log);
  const stateTable = tableName(STATE_TABLE, env);
  const costTable = tableName(COST_TABLE, env);
  const state = createStateSnapshot({ ddb, table: stateTable, endpointIds: [...config.endpoints.keys()], ttlMs: config.raw.gateway.stateCacheTtlMs, dynamo, now: Date.now });
  return {
    config,
    upstream: createUndiciClient({ connectTimeoutMs: config.raw.gateway.connectTimeoutMs }),
    usage: createDynamoUsageStore(ddb, costTable),
    state,
    breakers: createDynamoBreakerStore({ ddb, table: stateTable, snapshot: state, settings: config.raw.breaker, dynamo, now: Date.now }),
    leases: createDynamoLeaseStore({ ddb, table: stateTable, dynamo, now: Date.now }),
    ledger: createDynamoBudgetLedger({ ddb, table: costTable, globalShards: config.raw.budgets.globalShards, random: Math.random }),
    secrets: createEnvSecretSource(env),
    endpoints: createWeightedEndpointPicker(),
    telemetry: createConsoleTelemetry(log),
    keyPolicy: createKeyPolicy(),
    dynamo,
    now: Date.now,
    random: Math.random,
    sleep: (ms, signal) => sleep(ms, undefined, { signal }),
    log,
  };
}
