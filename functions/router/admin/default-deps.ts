/**
 * Cold-start wiring of the admin function on AWS: the keys table (read and write: only this
 * function's role may) and the cutover reader (Lambda, CodeDeploy, CloudWatch: read-only, scoped to
 * the router's alias, deployment group and cutover alarms).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { AWS_CLIENT_TIMEOUTS, requestHandlerWith } from '../../adapters/aws/client-options';
import { createAwsCutoverStatus } from '../../adapters/aws/cutover-status';
import { createDynamoClient } from '../../adapters/dynamo/client';
import { createDynamoKeyStore } from '../../adapters/dynamo/key-store';
import { cutoverTargetFrom } from '../../contracts/admin-function';
import { KEYS_TABLE, tableName } from '../../contracts/table-specs';
import { GatewayError } from '../../core/openai/errors';
import { consoleLog } from '../../adapters/telemetry/console-log';
import type { CutoverStatus } from '../../ports/cutover-status';
import type { LogFn } from '../deps';
import type { AdminAppDeps } from './app';

const log: LogFn = consoleLog('switchyard-admin');

/**
 * An AWS call that fails (throttled, denied, unreachable) is the gateway's problem, not the caller's:
 * a 503 in the API's error shape, with the cause in the log (its name only: messages may quote ARNs).
 */
export function unavailableOnError(status: CutoverStatus, logFn: LogFn): CutoverStatus {
  return {
    async read() {
      try {
        return await status.read();
      } catch (err) {
        logFn('warn', 'cannot read the cutover status from AWS', { error: (err as Error)?.name ?? String(err) });
        throw new GatewayError(
          503,
          'The cutover status could not be read from AWS; try again shortly.',
          'api_error',
          'cutover_status_unavailable',
        );
      }
    },
  };
}

export function createAdminDeps(env: NodeJS.ProcessEnv = process.env): AdminAppDeps {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const target = cutoverTargetFrom(env);
  const cutover = target
    ? unavailableOnError(
        createAwsCutoverStatus(target, {
          lambda: new LambdaClient({ region, ...requestHandlerWith(AWS_CLIENT_TIMEOUTS.cloudWatch) }),
          codeDeploy: new CodeDeployClient({ region, ...requestHandlerWith(AWS_CLIENT_TIMEOUTS.codeDeploy) }),
          cloudWatch: new CloudWatchClient({ region, ...requestHandlerWith(AWS_CLIENT_TIMEOUTS.cloudWatch) }),
        }),
        log,
      )
    : undefined;
  return {
    admin: {
      keys: createDynamoKeyStore(createDynamoClient(env), tableName(KEYS_TABLE, env)),
      ...(cutover ? { cutover: () => cutover.read() } : {}),
    },
    log,
    now: Date.now,
  };
}
