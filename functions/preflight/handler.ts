/**
 * The API Gateway account-logging check (a CloudFormation custom resource; see
 * account-logging-check.ts). API Gateway's SDK client is not a dependency of this repository: the
 * nodejs22.x runtime provides every AWS SDK v3 client, and NodejsFunction leaves `@aws-sdk/*` out of
 * the bundle, so it is loaded from the runtime here (through a variable, so neither the type check
 * nor the import-rule check looks for it in node_modules).
 */
import { AWS_CLIENT_TIMEOUTS, requestHandlerWith } from '../adapters/aws/client-options';
import { consoleLog } from '../adapters/telemetry/console-log';
import { runAccountLoggingCheck } from './account-logging-check';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

interface ApiGatewaySdk {
  APIGatewayClient: new (config: object) => { send(command: unknown): Promise<{ cloudwatchRoleArn?: string }> };
  GetAccountCommand: new (input: object) => unknown;
}

const API_GATEWAY_SDK = '@aws-sdk/client-api-gateway';

const log = consoleLog('switchyard-preflight');

export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  await runAccountLoggingCheck(event, {
    region: process.env.AWS_REGION ?? 'unknown',
    log,
    async cloudWatchRoleArn() {
      const { APIGatewayClient, GetAccountCommand } = require(API_GATEWAY_SDK) as ApiGatewaySdk;
      const client = new APIGatewayClient({ maxAttempts: 2, ...requestHandlerWith(AWS_CLIENT_TIMEOUTS.apiGateway) });
      return (await client.send(new GetAccountCommand({}))).cloudwatchRoleArn;
    },
    async respond(url, body) {
      // The pre-signed S3 URL is signed without a content type.
      const res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': '' } });
      if (!res.ok) throw new Error(`response PUT answered ${res.status}`);
    },
  });
}
