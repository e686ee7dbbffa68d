/** Cold-start wiring: the config, the clients and the stores every warm invocation reuses. */
import { compileConfig } from '../core/config/compile';
import { createDynamoClient } from '../adapters/dynamo/client';
import { createDynamoUsageStore } from '../adapters/dynamo/usage-store';
import { COST_TABLE, tableName } from '../adapters/dynamo/table-specs';
import { createEnvSecretSource } from '../adapters/secrets/env-source';
import { createUndiciClient } from '../adapters/upstream/undici-client';
import { loadConfigJson } from './config-source';
import type { RouterDeps } from './deps';

export interface DepsOptions {
  /** Raw config JSON to use instead of loading it (the local runtime rewrites base URLs first). */
  configJson?: unknown;
}

export function createDefaultDeps(env: NodeJS.ProcessEnv = process.env, opts: DepsOptions = {}): RouterDeps {
  const config = compileConfig(opts.configJson ?? loadConfigJson(env));
  const ddb = createDynamoClient(env);
  return {
    config,
    upstream: createUndiciClient({ connectTimeoutMs: config.raw.gateway.connectTimeoutMs }),
    usage: createDynamoUsageStore(ddb, tableName(COST_TABLE, env)),
    secrets: createEnvSecretSource(env),
    now: Date.now,
    log: (level, msg, fields) => console[level === 'info' ? 'log' : level](JSON.stringify({ level, message: msg, ...fields })),
  };
}
