import type { Readable } from 'node:stream';

/** One HTTP call to an OpenAI-compatible upstream; the client knows nothing about routing. */
export interface UpstreamCall {
  /** Base URL up to the version segment, e.g. https://api.openai.com/v1 */
  baseUrl: string;
  /** Path below the base URL, e.g. /chat/completions */
  path: string;
  method: 'GET' | 'POST';
  body?: string;
  apiKey?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Time allowed to the response headers. */
  headersTimeoutMs: number;
  /** Longest silence allowed between two body chunks. */
  bodyIdleTimeoutMs: number;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as it arrives; consume it or call `discard()`. */
  body: Readable;
  text(): Promise<string>;
  discard(): void;
}

export type UpstreamFailureKind = 'timeout' | 'connection' | 'aborted';

/** Transport failure (no HTTP status). Its message never contains the API key or full URL query. */
export class UpstreamFailure extends Error {
  constructor(
    readonly kind: UpstreamFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamFailure';
  }
}

export interface UpstreamClient {
  send(call: UpstreamCall): Promise<UpstreamResponse>;
}
