import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AWS_CLIENT_TIMEOUTS, requestHandlerWith } from '../aws/client-options';

/**
 * One client per instance. SWITCHYARD_DYNAMODB_ENDPOINT points the real SDK at dynalite locally;
 * on AWS it is unset and the SDK resolves the regional endpoint and the role's credentials.
 */
export function createDynamoClient(
  env: NodeJS.ProcessEnv = process.env,
  opts: { maxAttempts?: number } = {},
): DynamoDBClient {
  const endpoint = env.SWITCHYARD_DYNAMODB_ENDPOINT;
  return new DynamoDBClient({
    region: env.AWS_REGION ?? 'us-east-1',
    maxAttempts: opts.maxAttempts ?? 2,
    ...requestHandlerWith(endpoint ? AWS_CLIENT_TIMEOUTS.localDynamodb : AWS_CLIENT_TIMEOUTS.dynamodb),
    ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}
