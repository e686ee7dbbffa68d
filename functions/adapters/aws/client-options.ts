/**
 * Timeouts for every AWS SDK client the functions build. Without them a socket that stops answering
 * (a half-open connection after a network blip, an overloaded endpoint) holds the request until
 * Lambda's own timeout: 15 minutes for the router. The SDK retries a timed-out attempt like any other
 * transient failure, within `maxAttempts`.
 *
 * The values are the SDK's Node.js request handler options (NodeHttpHandler), passed as a plain
 * object so no handler package is imported here.
 */
export interface AwsClientTimeouts {
  /** TCP + TLS connect, in ms. */
  connectionTimeout: number;
  /** Socket inactivity while waiting for or reading the answer, in ms. */
  requestTimeout: number;
}

/**
 * Per service: DynamoDB is on the request path (single-digit ms when healthy), so it gives up
 * fast; the others are off the hot path or slower by nature.
 */
export const AWS_CLIENT_TIMEOUTS = {
  dynamodb: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  secretsManager: { connectionTimeout: 2_000, requestTimeout: 5_000 },
  cloudWatch: { connectionTimeout: 2_000, requestTimeout: 10_000 },
  codeDeploy: { connectionTimeout: 2_000, requestTimeout: 10_000 },
  /** The deploy-time API Gateway account check (functions/preflight). */
  apiGateway: { connectionTimeout: 2_000, requestTimeout: 5_000 },
  /** AssumeRole for a Bedrock provider's cross-account role: awaited by the request that needs fresh credentials. */
  sts: { connectionTimeout: 1_000, requestTimeout: 3_000 },
  /**
   * The pre-traffic hook's InvokeWithResponseStream: the router answers within the check's own
   * request timeout (an AbortSignal), so the socket timeout only has to catch a dead connection.
   */
  lambdaInvoke: { connectionTimeout: 2_000, requestTimeout: 60_000 },
  /**
   * DynamoDB emulated in-process (dynalite, `SWITCHYARD_DYNAMODB_ENDPOINT`): its latency is the local
   * machine's load, not a network's, so a busy test machine must not turn it into timeouts. Still
   * finite: a hung local socket fails the request instead of holding it.
   */
  localDynamodb: { connectionTimeout: 10_000, requestTimeout: 30_000 },
} as const satisfies Record<string, AwsClientTimeouts>;

export interface RequestHandlerOptions extends AwsClientTimeouts {
  /**
   * Without it the SDK's handler only logs a warning when requestTimeout passes and keeps waiting
   * (@smithy/node-http-handler): the timeout would be a log line, not a timeout.
   */
  throwOnRequestTimeout: true;
}

/** The `requestHandler` option of an SDK v3 client with these timeouts. */
export function requestHandlerWith(t: AwsClientTimeouts): { requestHandler: RequestHandlerOptions } {
  return {
    requestHandler: {
      connectionTimeout: t.connectionTimeout,
      requestTimeout: t.requestTimeout,
      throwOnRequestTimeout: true,
    },
  };
}
