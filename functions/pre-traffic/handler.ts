/**
 * The pre-traffic hook Lambda. TARGET_VERSION_ARN (PRE_TRAFFIC_TARGET_ENV) is the router version this deployment shifts to
 * (the stack sets it to the version it publishes); the config is bundled exactly like the router's.
 */
import middy from '@middy/core';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { AWS_CLIENT_TIMEOUTS, requestHandlerWith } from '../adapters/aws/client-options';
import { createLifecycleReporter } from '../adapters/codedeploy/lifecycle-status';
import { createStreamingInvoker } from '../adapters/lambda/streaming-invoke';
import { compileConfig } from '../core/config/compile';
import { PRE_TRAFFIC_TARGET_ENV } from '../core/cutover/settings';
import { loadConfigJson } from '../contracts/config-source';
import { runPreTrafficHook, type CodeDeployHookEvent } from './hook';
import { decodeHttpStream } from './http-stream';

const log = (level: 'info' | 'error', message: string, fields: Record<string, unknown> = {}) =>
  (level === 'error' ? console.error : console.log)(JSON.stringify({ level, message, ...fields }));

const lambda = new LambdaClient(requestHandlerWith(AWS_CLIENT_TIMEOUTS.lambdaInvoke));
const codedeploy = new CodeDeployClient(requestHandlerWith(AWS_CLIENT_TIMEOUTS.codeDeploy));

const target = process.env[PRE_TRAFFIC_TARGET_ENV];
const invokeTarget = target ? createStreamingInvoker(lambda, target) : undefined;

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
  });
  return { status };
});
