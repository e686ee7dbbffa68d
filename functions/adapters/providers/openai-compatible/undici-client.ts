/**
 * The upstream HTTP client: one undici Agent per Lambda instance, so keep-alive connections (and
 * their TLS sessions) survive across warm invocations instead of paying a handshake per request.
 */
import { Agent, errors as undiciErrors, request } from './undici-core';
import {
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
        return {
          status: res.statusCode,
          headers: flat,
          body: res.body,
          text: () => res.body.text(),
          discard: () => {
            res.body.destroy();
          },
        };
      } catch (err) {
        throw classify(err, url.host);
      }
    },
  };
}

/** Maps undici's errors to the three kinds the retry policy cares about; keeps only the host in messages. */
export function classify(err: unknown, host: string): UpstreamFailure {
  if (err instanceof UpstreamFailure) return err;
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'AbortError' || e?.code === 'UND_ERR_ABORTED' || e instanceof undiciErrors.RequestAbortedError) {
    return new UpstreamFailure('aborted', `request to ${host} was aborted`);
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
    return new UpstreamFailure('timeout', `timed out ${what} from ${host}`);
  }
  return new UpstreamFailure('connection', `connection to ${host} failed (${e?.code ?? e?.name ?? 'error'})`);
}
