/** Cold-start wiring of the health-check function: config, upstream client, keys, state table, CloudWatch. */
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { compileConfig } from '../core/config/compile';
import { AWS_CLIENT_TIMEOUTS, requestHandlerWith } from '../adapters/aws/client-options';
import { createDynamoClient } from '../adapters/dynamo/client';
import { METRIC_NAMESPACE, stackNameFrom } from '../core/telemetry/metric-names';
import { createDynamoHealthStore } from '../adapters/dynamo/health-store';
import { createQuotaReportOnly, createQuotaSweep } from '../adapters/dynamo/quota/create';
import { COST_TABLE, STATE_TABLE, tableName } from '../contracts/table-specs';
import { createSecretSource } from '../adapters/secrets/select';
import { createCloudWatchHealthMetrics, type HealthMetrics } from '../adapters/telemetry/cloudwatch-health-metrics';
import { createUndiciClient } from '../adapters/providers/openai-compatible/undici-client';
import { createBedrockProvider } from '../adapters/providers/bedrock/bedrock-provider';
import { bedrockCredentialsFrom } from '../adapters/providers/bedrock/local-credentials';
// The same config source as the router: on AWS both functions bundle the same config literal.
import { loadConfigJson } from '../contracts/config-source';
import type { HealthCheckDeps, HealthLogFn } from './run-rounds';
import { consoleLog } from '../adapters/telemetry/console-log';

export interface HealthCheckDepsOptions {
  /** Raw config JSON instead of loading it (the local runtime rewrites base URLs first). */
  configJson?: unknown;
  metrics?: HealthMetrics;
  log?: HealthLogFn;
}

const jsonLog: HealthLogFn = consoleLog('switchyard-health-check');

export function createHealthCheckDeps(
  env: NodeJS.ProcessEnv = process.env,
  opts: HealthCheckDepsOptions = {},
): HealthCheckDeps {
  const config = compileConfig(opts.configJson ?? loadConfigJson(env));
  const { health, gateway } = config.settings;
  const ddb = createDynamoClient(env);
  return {
    config,
    upstream: createUndiciClient({
      connectTimeoutMs: Math.min(gateway.connectTimeoutMs, health.probeTimeoutMs),
      connectionsPerOrigin: 4,
    }),
    bedrock: createBedrockProvider({
      connectTimeoutMs: Math.min(gateway.connectTimeoutMs, health.probeTimeoutMs),
      credentials: bedrockCredentialsFrom(env),
      maxSockets: 4,
    }),
    // Same source as the router: Secrets Manager on AWS (lib/ grants read on the provider secrets), env locally.
    secrets: createSecretSource(env),
    store: createDynamoHealthStore(ddb, tableName(STATE_TABLE, env)),
    quotaSweep: createQuotaSweep({
      ddb,
      table: tableName(COST_TABLE, env),
      config: config.settings,
      log: opts.log ?? jsonLog,
    }),
    recentCalls: createQuotaReportOnly({ ddb, table: tableName(COST_TABLE, env), config: config.settings }),
    metrics:
      opts.metrics ??
      createCloudWatchHealthMetrics(
        new CloudWatchClient({
          region: env.AWS_REGION,
          maxAttempts: 2,
          ...requestHandlerWith(AWS_CLIENT_TIMEOUTS.cloudWatch),
        }),
        METRIC_NAMESPACE,
        stackNameFrom(env),
      ),
    now: Date.now,
    sleep: (ms) => sleep(ms),
    log: opts.log ?? jsonLog,
  };
}
