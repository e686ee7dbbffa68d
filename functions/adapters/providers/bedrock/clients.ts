/**
 * One Bedrock runtime client per (region, role, endpoint) and instance: connections, and the
 * assumed role's temporary credentials, survive across warm invocations.
 *
 * HTTP/1.1 (NodeHttpHandler) rather than the SDK's default HTTP/2 handler: Converse and
 * ConverseStream are plain request/response over either, HTTP/1.1 keep-alive pools behave like the
 * OpenAI-compatible client's, and the local simulator is a plain Node HTTP server.
 */
import { Agent } from 'node:https';
import { Agent as HttpAgent } from 'node:http';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { BedrockProviderConfig } from '../../../core/config/schema';
import { AWS_CLIENT_TIMEOUTS, requestHandlerWith } from '../../aws/client-options';

export interface BedrockClientOptions {
  connectTimeoutMs: number;
  /**
   * Static credentials instead of the ambient chain (the function's role): the local runtime passes
   * placeholders when the simulator stands in for Bedrock.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Upper bound on sockets per Bedrock endpoint, per instance. */
  maxSockets?: number;
}

export interface BedrockClients {
  get(provider: BedrockProviderConfig): BedrockRuntimeClient;
}

export function createBedrockClients(opts: BedrockClientOptions): BedrockClients {
  const cache = new Map<string, BedrockRuntimeClient>();
  const agentOptions = { keepAlive: true, maxSockets: opts.maxSockets ?? 64 };
  const handler = new NodeHttpHandler({
    connectionTimeout: opts.connectTimeoutMs,
    httpsAgent: new Agent(agentOptions),
    httpAgent: new HttpAgent(agentOptions),
  });
  return {
    get(provider) {
      const key = `${provider.region}|${provider.roleArn ?? ''}|${provider.endpointUrl ?? ''}`;
      let client = cache.get(key);
      if (!client) {
        const credentials =
          opts.credentials ??
          (provider.roleArn
            ? // The provider caches the assumed role's credentials and refreshes them before they expire.
              fromTemporaryCredentials({
                params: { RoleArn: provider.roleArn, RoleSessionName: 'switchyard', DurationSeconds: 3600 },
                clientConfig: { region: provider.region, ...requestHandlerWith(AWS_CLIENT_TIMEOUTS.sts) },
              })
            : undefined);
        client = new BedrockRuntimeClient({
          region: provider.region,
          // The executor retries (with backoff, other endpoints, fallbacks): the SDK must not retry too.
          maxAttempts: 1,
          requestHandler: handler,
          ...(provider.endpointUrl ? { endpoint: provider.endpointUrl } : {}),
          ...(credentials ? { credentials } : {}),
        });
        cache.set(key, client);
      }
      return client;
    },
  };
}
