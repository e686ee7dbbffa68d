/** Non-streaming call: the whole upstream body is read and checked before anything is answered. */
import type { CompiledEndpoint } from '../../core/config/compile';
import type { ChatRequest } from '../../core/openai/chat-request';
import { usageFromOpenAI, type TokenUsage } from '../../core/pricing';
import type { RouterDeps } from '../deps';
import { openAttempt, upstreamBody, type AttemptFailure } from '../upstream-attempt';

export interface JsonAnswer {
  text: string;
  usage?: TokenUsage;
  upstreamRequestId?: string;
}

export async function openJson(
  deps: RouterDeps,
  req: ChatRequest,
  endpoint: CompiledEndpoint,
  signal: AbortSignal,
  headersTimeoutMs: number,
): Promise<{ ok: true; value: JsonAnswer; upstreamMs: number } | AttemptFailure> {
  const outcome = await openAttempt(deps, endpoint, upstreamBody(req, endpoint, false), signal, headersTimeoutMs);
  if (!outcome.ok) return outcome;
  const started = deps.now();
  const fail = (failure: AttemptFailure['failure'], message: string): AttemptFailure => ({
    ok: false,
    endpoint,
    failure,
    message,
    upstreamMs: outcome.upstreamMs + deps.now() - started,
  });
  let text: string;
  try {
    text = await outcome.response.text();
  } catch (err) {
    const code = (err as { code?: string })?.code;
    if (signal.aborted) return fail('timeout', 'the request deadline was reached while reading the response');
    return fail(code === 'UND_ERR_BODY_TIMEOUT' ? 'timeout' : 'connection', 'the response body was cut off');
  }
  let parsed: { usage?: unknown; choices?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('server_error', 'the upstream answered 2xx with a body that is not JSON');
  }
  return {
    ok: true,
    value: { text, usage: usageFromOpenAI(parsed?.usage), upstreamRequestId: outcome.response.headers['x-request-id'] },
    upstreamMs: outcome.upstreamMs + deps.now() - started,
  };
}
