/** Non-streaming call: the whole upstream body is read and checked before anything is answered. */
import type { CompiledEndpoint } from '../../core/config/compile';
import type { ChatRequest } from '../../core/openai/chat-request';
import { usageFromOpenAI, type TokenUsage } from '../../core/pricing';
import { scrubUpstreamText } from '../../core/telemetry/redact';
import { BODY_TOO_LARGE } from '../../ports/upstream';
import type { RouterDeps } from '../deps';
import { openAttempt, upstreamBody, type AttemptFailure } from '../upstream-attempt';

export interface JsonAnswer {
  text: string;
  usage?: TokenUsage;
  /** When the upstream sent no usage: the completion text, to estimate the cost from (never settle zero for a real call). */
  completionText?: string;
  upstreamRequestId?: string;
}

/** The generated text of every choice (content and tool-call arguments). */
function completionTextOf(choices: unknown): string {
  if (!Array.isArray(choices)) return '';
  return choices
    .map((c) => {
      const m = (c as { message?: { content?: unknown; tool_calls?: unknown } } | null)?.message;
      const content = typeof m?.content === 'string' ? m.content : '';
      return m?.tool_calls ? content + JSON.stringify(m.tool_calls) : content;
    })
    .join('');
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
    if (code === 'UND_ERR_BODY_TIMEOUT') return fail('timeout', 'the response body stalled past the idle timeout');
    if (code === BODY_TOO_LARGE) return fail('too_large', 'the response body passed the size limit');
    return fail('connection', 'the response body was cut off');
  }
  let parsed: { usage?: unknown; choices?: unknown; error?: { message?: unknown } | string };
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('server_error', 'the upstream answered 2xx with a body that is not JSON');
  }
  // Some upstreams answer 200 with an error body, or a bare value: that is no completion to bill or relay.
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return fail('server_error', 'the upstream answered 2xx with a JSON body that is not an object');
  }
  if (parsed.error) {
    const m = typeof parsed.error === 'string' ? parsed.error : parsed.error.message;
    return fail(
      'server_error',
      `the upstream answered 2xx with an error: ${typeof m === 'string' ? scrubUpstreamText(m) : 'no message'}`,
    );
  }
  const usage = usageFromOpenAI(parsed.usage);
  return {
    ok: true,
    value: {
      text,
      usage,
      ...(usage ? {} : { completionText: completionTextOf(parsed.choices) }),
      upstreamRequestId: outcome.response.headers['x-request-id'],
    },
    upstreamMs: outcome.upstreamMs + deps.now() - started,
  };
}
