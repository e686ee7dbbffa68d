/**
 * One health probe of one endpoint through the same upstream client and keys the router uses:
 * `GET {baseUrl}/models` (free) or a 1-token chat completion (proves the model itself answers, costs
 * a fraction of a cent per probe). Any 2xx within the timeout is a success.
 */
import type { CompiledEndpoint } from '../core/config/compile';
import type { ProbeResult } from '../core/health/endpoint-health';
import { UpstreamFailure, type UpstreamCall, type UpstreamClient } from '../ports/upstream';
import type { ProviderClient } from '../ports/bedrock';
import type { SecretSource } from '../ports/secrets';

export type ProbeKind = 'models' | 'completion';

export interface ProbeDeps {
  upstream: UpstreamClient;
  /** Bedrock endpoints: always a 1-token Converse call (Bedrock has no free per-model probe). */
  bedrock: ProviderClient;
  secrets: SecretSource;
  now: () => number;
}

function probeCall(endpoint: CompiledEndpoint, kind: ProbeKind): Pick<UpstreamCall, 'path' | 'method' | 'body'> {
  if (kind === 'models') return { path: '/models', method: 'GET' };
  // An embedding model has no chat completion to probe: one embedding of one word.
  if (endpoint.modelKind === 'embedding')
    return {
      path: '/embeddings',
      method: 'POST',
      body: JSON.stringify({ model: endpoint.upstreamModel, input: 'ping' }),
    };
  return {
    path: '/chat/completions',
    method: 'POST',
    // max_tokens rather than max_completion_tokens: every OpenAI-compatible server accepts it.
    body: JSON.stringify({
      model: endpoint.upstreamModel,
      messages: [{ role: 'user', content: 'ping' }],
      max_tokens: 1,
    }),
  };
}

/** `work`, or a rejection as soon as `signal` aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  let onAbort = () => undefined as void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

export async function probeEndpoint(
  endpoint: CompiledEndpoint,
  kind: ProbeKind,
  timeoutMs: number,
  deps: ProbeDeps,
): Promise<ProbeResult> {
  const started = deps.now();
  const deadline = AbortSignal.timeout(timeoutMs);
  const provider = endpoint.provider;
  if (provider.kind === 'bedrock') {
    return settle(
      deps.bedrock.send({
        provider,
        upstreamModel: endpoint.upstreamModel,
        operation: endpoint.modelKind === 'embedding' ? 'embeddings' : 'chat',
        body: probeCall(endpoint, 'completion').body!,
        signal: deadline,
        headersTimeoutMs: timeoutMs,
        bodyIdleTimeoutMs: timeoutMs,
      }),
      started,
      deadline,
      timeoutMs,
      deps,
    );
  }
  let apiKey: string | undefined;
  try {
    // Inside the probe's deadline: a Secrets Manager call that hangs must not hold up the whole round
    // (and with it every later round of the invocation) until the Lambda timeout.
    apiKey = await untilAborted(deps.secrets.providerKey(endpoint.providerName, provider.apiKeyRef), deadline);
  } catch {
    const error = deadline.aborted ? `timeout after ${timeoutMs} ms (provider key)` : 'provider key unavailable';
    return { ok: false, latencyMs: deps.now() - started, error };
  }
  return settle(
    deps.upstream.send({
      ...probeCall(endpoint, kind),
      baseUrl: provider.baseUrl,
      apiKey,
      headers: provider.headers,
      signal: deadline,
      headersTimeoutMs: timeoutMs,
      bodyIdleTimeoutMs: timeoutMs,
    }),
    started,
    deadline,
    timeoutMs,
    deps,
  );
}

async function settle(
  sent: ReturnType<UpstreamClient['send']>,
  started: number,
  deadline: AbortSignal,
  timeoutMs: number,
  deps: ProbeDeps,
): Promise<ProbeResult> {
  try {
    const res = await sent;
    // Read the whole (small) body: latency covers the full answer and the socket goes back to the pool.
    await res.text();
    const latencyMs = deps.now() - started;
    if (res.status >= 200 && res.status < 300) return { ok: true, latencyMs };
    // Only the status: upstream error bodies may echo request details and end up in GET /health.
    return { ok: false, latencyMs, error: `HTTP ${res.status}` };
  } catch (err) {
    const latencyMs = deps.now() - started;
    if (deadline.aborted) return { ok: false, latencyMs, error: `timeout after ${timeoutMs} ms` };
    return { ok: false, latencyMs, error: describeFailure(err) };
  }
}

/** A short reason without host names or URLs (GET /health is public). */
export function describeFailure(err: unknown): string {
  if (err instanceof UpstreamFailure) {
    if (err.kind === 'timeout') return 'timeout';
    if (err.kind === 'aborted') return 'aborted';
    const code = /\(([A-Za-z0-9_]+)\)\s*$/.exec(err.message)?.[1];
    return code ? `connection failed (${code})` : 'connection failed';
  }
  return 'probe failed';
}
