/**
 * The pre-traffic hook Lambda. TARGET_VERSION_ARN (PRE_TRAFFIC_TARGET_ENV) is the router version this deployment shifts to
 * (the stack sets it to the version it publishes); the config is bundled exactly like the router's.
 * SERVING_ALIAS_ARN is the alias `live` (still all on the old version while this hook runs): its
 * GET /v1/models tells which models the new version introduces. SWITCHYARD_PROVIDER_SECRETS maps
 * providers to their secrets, whose metadata tells which keys were never set.
 */
import middy from '@middy/core';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AWS_CLIENT_TIMEOUTS, requestHandlerWith } from '../adapters/aws/client-options';
import { createLifecycleReporter } from '../adapters/codedeploy/lifecycle-status';
import { createStreamingInvoker } from '../adapters/lambda/streaming-invoke';
import { createUnsetProviderProbe } from '../adapters/secrets/unset-providers';
import { compileConfig } from '../core/config/compile';
import { PRE_TRAFFIC_TARGET_ENV } from '../core/cutover/settings';
import { loadConfigJson } from '../contracts/config-source';
import { PRE_TRAFFIC_SERVING_ALIAS_ENV } from '../contracts/pre-traffic';
import { PROVIDER_SECRETS_ENV } from '../contracts/secret-specs';
import { directEvent, modelIdsOf } from './check-version';
import { runPreTrafficHook, type CodeDeployHookEvent } from './hook';
import { decodeHttpStream } from './http-stream';
import { consoleLog } from '../adapters/telemetry/console-log';

const log = consoleLog('switchyard-pre-traffic');

const lambda = new LambdaClient(requestHandlerWith(AWS_CLIENT_TIMEOUTS.lambdaInvoke));
const codedeploy = new CodeDeployClient(requestHandlerWith(AWS_CLIENT_TIMEOUTS.codeDeploy));

const target = process.env[PRE_TRAFFIC_TARGET_ENV];
const invokeTarget = target ? createStreamingInvoker(lambda, target) : undefined;
const servingAlias = process.env[PRE_TRAFFIC_SERVING_ALIAS_ENV];
const invokeServing = servingAlias ? createStreamingInvoker(lambda, servingAlias) : undefined;
const secretArns = JSON.parse(process.env[PROVIDER_SECRETS_ENV] ?? '{}') as Record<string, string>;
const unsetProviders =
  Object.keys(secretArns).length > 0
    ? createUnsetProviderProbe(
        new SecretsManagerClient(requestHandlerWith(AWS_CLIENT_TIMEOUTS.secretsManager)),
        secretArns,
      )
    : undefined;

export const handler = middy<CodeDeployHookEvent, unknown>().handler(async (event, context) => {
  const { status } = await runPreTrafficHook(event, {
    config: () => compileConfig(loadConfigJson()),
    invoke: async (request, signal) => {
      if (!invokeTarget) throw new Error(`${PRE_TRAFFIC_TARGET_ENV} is not set`);
      return decodeHttpStream(await invokeTarget(request, signal));
    },
    report: createLifecycleReporter(codedeploy),
    log,
    remainingMs: () => context.getRemainingTimeInMillis(),
    unsetProviders,
    servingModels: invokeServing
      ? async () =>
          modelIdsOf(
            decodeHttpStream(
              await invokeServing(
                directEvent('GET', '/v1/models', `pre-traffic-${event.DeploymentId}-serving-models`, {}, null),
                AbortSignal.timeout(10_000),
              ),
            ),
          )
      : undefined,
  });
  return { status };
});
