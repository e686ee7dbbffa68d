/**
 * Streaming call: opens the upstream stream and waits for its first chunk that carries content
 * (role-only chunks and keep-alives before it are held back). Until then a failure is an ordinary
 * attempt failure (the executor falls back); afterwards it is the relay's.
 */
import type { CompiledEndpoint } from '../../core/config/compile';
import type { ChatRequest } from '../../core/openai/chat-request';
import type { RouterDeps } from '../deps';
import { openAttempt, upstreamBody, type AttemptFailure } from '../upstream-attempt';
import { SseRelay } from './sse-relay';

export async function openStream(
  deps: RouterDeps,
  req: ChatRequest,
  endpoint: CompiledEndpoint,
  deadlineSignal: AbortSignal,
  headersTimeoutMs: number,
): Promise<{ ok: true; value: SseRelay; upstreamMs: number } | AttemptFailure> {
  // Our own controller: the deadline aborts it before the first event, the relay after.
  const upstream = new AbortController();
  const onDeadline = () => upstream.abort();
  deadlineSignal.addEventListener('abort', onDeadline, { once: true });
  try {
    const outcome = await openAttempt(
      deps,
      endpoint,
      upstreamBody(req, endpoint, true),
      upstream.signal,
      headersTimeoutMs,
    );
    if (!outcome.ok) return outcome;
    const started = deps.now();
    const relay = new SseRelay(
      outcome.response.body,
      () => upstream.abort(),
      req.stream_options?.include_usage === true,
      deps.config.settings.gateway.maxUpstreamBodyBytes,
    );
    await relay.firstEvent();
    // Asked again: the upstream may have failed right after its first event (often in the same
    // network read). Nothing has reached the client yet, so that is still a failover.
    const first = await relay.firstEvent();
    const upstreamMs = outcome.upstreamMs + deps.now() - started;
    if (!first.ok) {
      relay.abandon();
      const failure = deadlineSignal.aborted ? 'timeout' : first.failure;
      return { ok: false, endpoint, failure, message: first.message, upstreamMs };
    }
    return { ok: true, value: relay, upstreamMs };
  } finally {
    deadlineSignal.removeEventListener('abort', onDeadline);
  }
}
