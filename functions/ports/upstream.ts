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
  /**
   * Largest response body accepted: a bigger declared content-length fails the call (`too_large`),
   * and `text()` stops reading past it. A streamed `body` is counted by its reader.
   */
  maxBodyBytes?: number;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as it arrives; consume it or call `discard()`. */
  body: Readable;
  /**
   * The whole body as text; rejects with an error whose code is `UPSTREAM_BODY_TOO_LARGE` once more
   * than `maxBytes` (default the call's `maxBodyBytes`) arrived, without reading further.
   */
  text(maxBytes?: number): Promise<string>;
  discard(): void;
}

export type UpstreamFailureKind = 'timeout' | 'connection' | 'aborted' | 'too_large';

/** Error code of a body read stopped at its size limit. */
export const BODY_TOO_LARGE = 'UPSTREAM_BODY_TOO_LARGE';

export function bodyTooLarge(limit: number): Error & { code: string } {
  return Object.assign(new Error(`the upstream response is larger than ${limit} bytes`), { code: BODY_TOO_LARGE });
}

/** Reads a body to text, failing (and destroying it) once it passes `limit` bytes. */
export async function readLimited(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buf.length;
    if (total > limit) {
      body.destroy();
      throw bodyTooLarge(limit);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/** Transport failure (no HTTP status). Its message never contains the API key, the URL or the host. */
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
