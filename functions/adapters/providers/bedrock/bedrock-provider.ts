/**
 * The Bedrock provider client: OpenAI-format body in, OpenAI-format `UpstreamResponse` out.
 * Chat goes through Converse / ConverseStream (translated on the fly by core/translate), embeddings
 * through InvokeModel. Bedrock exceptions become the statuses an OpenAI-compatible upstream would
 * send; transport failures become `UpstreamFailure`s, exactly as the undici client reports them.
 */
import { Readable } from 'node:stream';
import { ConverseCommand, ConverseStreamCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import {
  ConverseStreamTranslator,
  TranslationError,
  bedrockErrorOf,
  fromConverseOutput,
  toConverseRequest,
  type ConverseStreamEvent,
  type CompletionMeta,
} from '../../../core/translate/openai-converse';
import {
  bedrockEmbeddingBodies,
  bedrockEmbeddingVectors,
  embeddingFamily,
  embeddingTexts,
  openAIEmbeddingList,
} from '../../../core/translate/openai-bedrock-embeddings';
import type { ProviderCall, ProviderClient } from '../../../ports/bedrock';
import { UpstreamFailure, type UpstreamResponse } from '../../../ports/upstream';
import { createBedrockClients, type BedrockClientOptions } from './clients';

type Sdk = ReturnType<ReturnType<typeof createBedrockClients>['get']>;

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): UpstreamResponse {
  const text = JSON.stringify(body);
  const stream = Readable.from([Buffer.from(text)]);
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: stream,
    text: async () => text,
    discard: () => stream.destroy(),
  };
}

function errorResponse(status: number, message: string, type: string, code: string): UpstreamResponse {
  return jsonResponse(status, { error: { message, type, param: null, code } });
}

/** A Bedrock exception (it has a modeled name and an HTTP status), as opposed to a transport failure. */
function isServiceException(err: unknown): err is { name: string; message?: string } {
  const e = err as { $fault?: unknown; name?: unknown; $metadata?: { httpStatusCode?: number } };
  return typeof e?.name === 'string' && (e.$fault !== undefined || typeof e.$metadata?.httpStatusCode === 'number');
}

function fromException(err: { name: string; message?: string }): UpstreamResponse {
  const m = bedrockErrorOf(err.name);
  const message = `${err.name}: ${(err.message ?? '').slice(0, 400)}`;
  return errorResponse(m.status, message, m.type, m.code);
}

/** Transport failures, named like the undici client's (host only, never credentials). */
function transportFailure(err: unknown, host: string, signal: AbortSignal, timedOut: () => boolean): UpstreamFailure {
  if (timedOut()) return new UpstreamFailure('timeout', `timed out waiting for response headers from ${host}`);
  const e = err as { name?: string; code?: string };
  if (signal.aborted || e?.name === 'AbortError')
    return new UpstreamFailure('aborted', `request to ${host} was aborted`);
  if (e?.name === 'TimeoutError' || e?.code === 'ETIMEDOUT')
    return new UpstreamFailure('timeout', `timed out connecting to ${host}`);
  return new UpstreamFailure('connection', `connection to ${host} failed (${e?.code ?? e?.name ?? 'error'})`);
}

function hostOf(call: ProviderCall): string {
  if (call.provider.endpointUrl) {
    try {
      return new URL(call.provider.endpointUrl).host;
    } catch {
      // fall through
    }
  }
  return `bedrock-runtime.${call.provider.region}.amazonaws.com`;
}

/** Runs `send` with the call's signal and a headers timeout; classifies what it throws. */
async function guarded<T>(
  call: ProviderCall,
  send: (signal: AbortSignal) => Promise<T>,
): Promise<T | UpstreamResponse> {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort();
  call.signal?.addEventListener('abort', onAbort, { once: true });
  if (call.signal?.aborted) controller.abort();
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, call.headersTimeoutMs);
  try {
    return await send(controller.signal);
  } catch (err) {
    if (!timedOut && isServiceException(err)) return fromException(err);
    throw transportFailure(err, hostOf(call), controller.signal, () => timedOut);
  } finally {
    clearTimeout(timer);
    call.signal?.removeEventListener('abort', onAbort);
  }
}

function meta(call: ProviderCall, requestId: string | undefined): CompletionMeta {
  return {
    id: `chatcmpl-${requestId ?? Math.random().toString(36).slice(2)}`,
    created: Math.floor(Date.now() / 1000),
    model: call.upstreamModel,
  };
}

async function chat(sdk: Sdk, call: ProviderCall): Promise<UpstreamResponse> {
  let body: Record<string, unknown>;
  let translated: ReturnType<typeof toConverseRequest>;
  try {
    body = JSON.parse(call.body) as Record<string, unknown>;
    translated = toConverseRequest(body, call.upstreamModel);
  } catch (err) {
    if (err instanceof TranslationError)
      return errorResponse(
        400,
        `Invalid '${err.param}': ${err.message}`,
        'invalid_request_error',
        'unsupported_on_bedrock',
      );
    throw err;
  }
  const { input, jsonTool } = translated;
  if (body.stream !== true) {
    const out = await guarded(call, (abortSignal) => sdk.send(new ConverseCommand(input as never), { abortSignal }));
    if ('status' in out) return out as UpstreamResponse;
    const requestId = out.$metadata.requestId;
    return jsonResponse(
      200,
      fromConverseOutput(out as never, meta(call, requestId), jsonTool),
      requestId ? { 'x-request-id': requestId } : {},
    );
  }
  // The stream outlives the headers timeout: its own controller, aborted by the caller's signal or an idle stall.
  const streamAbort = new AbortController();
  const onAbort = () => streamAbort.abort();
  call.signal?.addEventListener('abort', onAbort, { once: true });
  const opened = await guarded(call, (signal) => {
    signal.addEventListener('abort', () => streamAbort.abort(), { once: true });
    return sdk.send(new ConverseStreamCommand(input as never), { abortSignal: streamAbort.signal });
  }).catch((err: unknown) => {
    call.signal?.removeEventListener('abort', onAbort);
    throw err;
  });
  if ('status' in opened) {
    call.signal?.removeEventListener('abort', onAbort);
    return opened as UpstreamResponse;
  }
  const requestId = opened.$metadata.requestId;
  const translator = new ConverseStreamTranslator(meta(call, requestId), jsonTool);
  const events = opened.stream as AsyncIterable<ConverseStreamEvent> | undefined;
  const body$ = Readable.from(sseFrom(events, translator, call.bodyIdleTimeoutMs, streamAbort, onAbort, call.signal));
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream', ...(requestId ? { 'x-request-id': requestId } : {}) },
    body: body$,
    text: async () => {
      const parts: string[] = [];
      for await (const p of body$) parts.push(String(p));
      return parts.join('');
    },
    discard: () => {
      streamAbort.abort();
      body$.destroy();
    },
  };
}

/** An error the SSE relay reads as "the upstream stalled" (it is what undici raises on a body timeout). */
class StreamIdleTimeout extends Error {
  readonly code = 'UND_ERR_BODY_TIMEOUT';
}

/**
 * The OpenAI SSE text of a ConverseStream: each event translated as it arrives, `data: [DONE]` at
 * the end. A Bedrock exception mid-stream (the SDK throws it while iterating) ends the stream with
 * the `{"error": ...}` event an OpenAI-compatible upstream would send, and no `[DONE]`.
 */
async function* sseFrom(
  events: AsyncIterable<ConverseStreamEvent> | undefined,
  translator: ConverseStreamTranslator,
  idleMs: number,
  abort: AbortController,
  onAbort: () => void,
  callerSignal: AbortSignal | undefined,
): AsyncGenerator<string> {
  const errorEvent = (message: string, type: string, code: string) =>
    `data: ${JSON.stringify({ error: { message, type, param: null, code } })}\n\n`;
  let idle: NodeJS.Timeout | undefined;
  let stalled = false;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      stalled = true;
      abort.abort();
    }, idleMs);
  };
  try {
    if (!events) {
      yield errorEvent('Bedrock opened the stream without an event stream', 'server_error', 'bedrock_error');
      return;
    }
    arm();
    for await (const event of events) {
      arm();
      for (const item of translator.push(event)) {
        if ('error' in item) {
          yield errorEvent(item.error.message, item.error.type, item.error.code);
          return;
        }
        yield `data: ${JSON.stringify(item.chunk)}\n\n`;
      }
    }
    yield 'data: [DONE]\n\n';
  } catch (err) {
    if (stalled) throw new StreamIdleTimeout('the Bedrock stream stopped sending events (idle timeout)');
    if (abort.signal.aborted) throw err;
    if (isServiceException(err)) {
      const m = bedrockErrorOf(err.name);
      yield errorEvent(`${err.name}: ${(err.message ?? '').slice(0, 300)}`, m.type, m.code);
      return;
    }
    // A frame that does not decode (bad CRC, truncated prelude): the upstream's malformed output.
    if (/checksum|prelude|crc|message length|header/i.test(String((err as Error)?.message ?? ''))) {
      yield errorEvent(
        'Bedrock sent an event stream frame that could not be decoded',
        'server_error',
        'stream_malformed',
      );
      return;
    }
    // A cut connection: the relay reports it as an interrupted stream, as for any upstream.
    throw err;
  } finally {
    clearTimeout(idle);
    callerSignal?.removeEventListener('abort', onAbort);
  }
}

async function embeddings(sdk: Sdk, call: ProviderCall): Promise<UpstreamResponse> {
  const family = embeddingFamily(call.upstreamModel);
  if (!family)
    return errorResponse(
      404,
      `${call.upstreamModel} is not a Bedrock embedding model the gateway knows (Titan Text Embeddings, Cohere Embed)`,
      'invalid_request_error',
      'model_not_found',
    );
  let texts: string[];
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(call.body) as Record<string, unknown>;
    texts = embeddingTexts(body.input);
  } catch (err) {
    if (err instanceof TranslationError)
      return errorResponse(
        400,
        `Invalid '${err.param}': ${err.message}`,
        'invalid_request_error',
        'unsupported_on_bedrock',
      );
    throw err;
  }
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : undefined;
  const requests = bedrockEmbeddingBodies(family, texts, dimensions);
  const vectors: number[][] = [];
  let tokens: number | undefined = 0;
  // Titan takes one text per call: sent together, answered in order.
  const answers = await guarded(call, (abortSignal) =>
    Promise.all(
      requests.map((b) =>
        sdk.send(
          new InvokeModelCommand({
            modelId: call.upstreamModel,
            contentType: 'application/json',
            accept: 'application/json',
            body: new TextEncoder().encode(JSON.stringify(b)),
          }),
          { abortSignal },
        ),
      ),
    ),
  );
  if ('status' in answers) return answers as UpstreamResponse;
  for (const a of answers) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(a.body));
    } catch {
      return errorResponse(502, 'Bedrock answered with a body that is not JSON', 'server_error', 'bedrock_error');
    }
    let got: ReturnType<typeof bedrockEmbeddingVectors>;
    try {
      got = bedrockEmbeddingVectors(family, parsed);
    } catch (err) {
      return errorResponse(502, (err as Error).message, 'server_error', 'bedrock_error');
    }
    vectors.push(...got.vectors);
    // Cohere's body states no token count (the SDK drops the header that does): the gateway estimates then.
    tokens = tokens === undefined || got.tokens === undefined ? undefined : tokens + got.tokens;
  }
  const encoding = body.encoding_format === 'base64' ? 'base64' : 'float';
  return jsonResponse(200, openAIEmbeddingList(vectors, call.upstreamModel, tokens, encoding));
}

export function createBedrockProvider(opts: BedrockClientOptions): ProviderClient {
  const clients = createBedrockClients(opts);
  return {
    send(call) {
      const sdk = clients.get(call.provider);
      return call.operation === 'embeddings' ? embeddings(sdk, call) : chat(sdk, call);
    },
  };
}
