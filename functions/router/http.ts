import type { Readable } from 'node:stream';
import type { GatewayError } from '../core/openai/errors';

/**
 * What every route returns. `body` is a string for JSON answers and a stream for SSE: the handler
 * writes both through the same Lambda response stream, so routes never care which one they end in.
 */
export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string | Readable;
  /** Work to finish after the last byte went out (settlement, counters): the client does not wait for it. */
  afterResponse?: () => Promise<void>;
}

export function json(statusCode: number, payload: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  };
}

export function errorResult(err: GatewayError, headers: Record<string, string> = {}): HttpResult {
  return json(err.status, err.toBody(), { ...err.headers, ...headers });
}
