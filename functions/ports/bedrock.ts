/**
 * A call to a provider that is not an OpenAI-compatible HTTP server (Amazon Bedrock): the client
 * takes the OpenAI-format body the router built and answers with the same `UpstreamResponse` an
 * OpenAI-compatible upstream gives (status, headers, OpenAI JSON or OpenAI SSE bytes), so the
 * executor, the JSON reader and the SSE relay handle both kinds alike.
 */
import type { BedrockProviderConfig } from '../core/config/schema';
import type { UpstreamResponse } from './upstream';

export interface ProviderCall {
  provider: BedrockProviderConfig;
  /** The model id or inference profile id/ARN the endpoint names. */
  upstreamModel: string;
  operation: 'chat' | 'embeddings';
  /** The OpenAI-format request body (model, stream and stream_options already set for this endpoint). */
  body: string;
  signal?: AbortSignal;
  /** Time allowed to the response headers (for streams: the stream's opening). */
  headersTimeoutMs: number;
  /** Longest silence allowed between two stream events. */
  bodyIdleTimeoutMs: number;
}

export interface ProviderClient {
  /** Resolves with the translated response; rejects only with an `UpstreamFailure` (transport). */
  send(call: ProviderCall): Promise<UpstreamResponse>;
}
