import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AWS_CLIENT_TIMEOUTS, requestHandlerWith } from '../aws/client-options';

/**
 * One client per instance. On AWS SWITCHYARD_DYNAMODB_ENDPOINT is unset and the SDK resolves the
 * regional endpoint and the role's credentials. Locally it points the real SDK at an endpoint:
 * a loopback one (dynalite, DynamoDB Local) gets fixed fake credentials, since those endpoints
 * accept any and the machine may have none; any other endpoint (a real regional or VPC endpoint,
 * a DynamoDB Local on another host) gets the SDK's default credential chain, as the AWS CLI would.
 */
export function createDynamoClient(
  env: NodeJS.ProcessEnv = process.env,
  opts: { maxAttempts?: number } = {},
): DynamoDBClient {
  const endpoint = env.SWITCHYARD_DYNAMODB_ENDPOINT;
  return new DynamoDBClient({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    maxAttempts: opts.maxAttempts ?? 2,
    ...requestHandlerWith(endpoint ? AWS_CLIENT_TIMEOUTS.localDynamodb : AWS_CLIENT_TIMEOUTS.dynamodb),
    ...(endpoint ? { endpoint } : {}),
    ...(endpoint && isLoopbackEndpoint(endpoint) ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** True for http(s) URLs on this machine: localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackEndpoint(endpoint: string): boolean {
  let host: string;
  try {
    host = new URL(endpoint).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
