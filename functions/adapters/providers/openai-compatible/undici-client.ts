/**
 * The upstream HTTP client: one undici Agent per Lambda instance, so keep-alive connections (and
 * their TLS sessions) survive across warm invocations instead of paying a handshake per request.
 */
import { Agent, errors as undiciErrors, request } from './undici-core';
import {
  readLimited,
  UpstreamFailure,
  type UpstreamCall,
  type UpstreamClient,
  type UpstreamResponse,
} from '../../../ports/upstream';

export interface UndiciClientOptions {
  connectTimeoutMs: number;
  /** Upper bound on sockets per upstream origin, per instance. */
  connectionsPerOrigin?: number;
}

export function createUndiciClient(opts: UndiciClientOptions): UpstreamClient {
  const agent = new Agent({
    connect: { timeout: opts.connectTimeoutMs },
    connections: opts.connectionsPerOrigin ?? 64,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
  });

  return {
    async send(call: UpstreamCall): Promise<UpstreamResponse> {
      const url = new URL(call.baseUrl.replace(/\/+$/, '') + call.path);
      const headers: Record<string, string> = {
        accept: 'application/json, text/event-stream',
        ...(call.headers ?? {}),
      };
      if (call.body !== undefined) headers['content-type'] = 'application/json';
      if (call.apiKey) headers.authorization = `Bearer ${call.apiKey}`;
      try {
        const res = await request(agent, {
          origin: url.origin,
          path: url.pathname + url.search,
          method: call.method,
          headers,
          body: call.body,
          signal: call.signal,
          headersTimeout: call.headersTimeoutMs,
          bodyTimeout: call.bodyIdleTimeoutMs,
        });
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : String(v);
        }
        const limit = call.maxBodyBytes ?? Number.POSITIVE_INFINITY;
        if (Number(flat['content-length']) > limit) {
          res.body.destroy();
          throw new UpstreamFailure('too_large', `the response is larger than ${limit} bytes`);
        }
        return {
          status: res.statusCode,
          headers: flat,
          body: res.body,
          text: (maxBytes) => readLimited(res.body, Math.min(maxBytes ?? limit, limit)),
          discard: () => {
            res.body.destroy();
          },
        };
      } catch (err) {
        throw classify(err);
      }
    },
  };
}

/**
 * Maps undici's errors to the kinds the retry policy cares about. Messages name no host, port or
 * URL: they reach clients, and the upstream's address is the gateway's business.
 */
export function classify(err: unknown): UpstreamFailure {
  if (err instanceof UpstreamFailure) return err;
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'AbortError' || e?.code === 'UND_ERR_ABORTED' || e instanceof undiciErrors.RequestAbortedError) {
    return new UpstreamFailure('aborted', 'the upstream request was aborted');
  }
  if (
    e?.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e?.code === 'UND_ERR_BODY_TIMEOUT' ||
    e?.code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    const what =
      e.code === 'UND_ERR_CONNECT_TIMEOUT'
        ? 'connecting'
        : e.code === 'UND_ERR_HEADERS_TIMEOUT'
          ? 'waiting for response headers'
          : 'waiting for the body';
    return new UpstreamFailure('timeout', `timed out ${what}`);
  }
  // Only a code-shaped value: a message could carry the address.
  const code = typeof e?.code === 'string' && /^[A-Z0-9_]{1,40}$/.test(e.code) ? e.code : 'error';
  return new UpstreamFailure('connection', `the connection to the upstream failed (${code})`);
}
