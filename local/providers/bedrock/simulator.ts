/**
 * A simulated Amazon Bedrock runtime, speaking the real wire protocol so the real SDK client talks
 * to it unchanged (through the provider's `endpointUrl`):
 *
 *   POST {prefix}/model/{modelId}/converse          Converse (JSON)
 *   POST {prefix}/model/{modelId}/converse-stream   ConverseStream (AWS event-stream binary frames)
 *   POST {prefix}/model/{modelId}/invoke            InvokeModel (Titan / Cohere embeddings)
 *
 * Errors are Bedrock's: the exception name in `x-amzn-errortype`, its real HTTP status, and a
 * `{"message": ...}` body; mid-stream exceptions are exception frames. Faults come from the same
 * FaultStore as the OpenAI-compatible simulator (provider = the path prefix, model = the model id).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { type Sleep, untilAborted } from '../abort';
import { resetConnection } from '../body-faults';
import { countTokens, generate } from '../completion';
import { simulatedEmbedding } from '../embedding-vectors';
import type { FaultSpec, FaultStore } from '../faults';
import { readBody } from '../http';
import { modelProfile } from '../models';
import { splitPieces } from '../sse';
import { sampleObject } from '../tool-calls';
import type { RequestRecord } from '../types';

/** Real HTTP statuses of Bedrock runtime exceptions (what the SDK sees on the wire). */
export const BEDROCK_EXCEPTION_STATUS: Record<string, number> = {
  AccessDeniedException: 403,
  InternalServerException: 500,
  ModelErrorException: 424,
  ModelNotReadyException: 429,
  ModelStreamErrorException: 424,
  ModelTimeoutException: 408,
  ResourceNotFoundException: 404,
  ServiceQuotaExceededException: 400,
  ServiceUnavailableException: 503,
  ThrottlingException: 429,
  ValidationException: 400,
};

/** A plain status fault, named the way Bedrock would name it. */
function exceptionForStatus(status: number): string {
  if (status === 429) return 'ThrottlingException';
  if (status === 403 || status === 401) return 'AccessDeniedException';
  if (status === 404) return 'ResourceNotFoundException';
  if (status === 408) return 'ModelTimeoutException';
  if (status === 503) return 'ServiceUnavailableException';
  if (status >= 500) return 'InternalServerException';
  return 'ValidationException';
}

const utf8 = { encoder: new TextEncoder(), decoder: new TextDecoder() };
const fromUtf8 = (s: string) => utf8.encoder.encode(s);
const codec = new EventStreamCodec((b) => utf8.decoder.decode(b), fromUtf8);

function frame(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':message-type': { type: 'string', value: 'event' },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

function exceptionFrame(name: string, message: string): Uint8Array {
  // The stream union's members are lowerCamelCase (throttlingException, modelStreamErrorException...).
  const member = name[0].toLowerCase() + name.slice(1);
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: member },
      ':message-type': { type: 'string', value: 'exception' },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

interface Tool {
  toolSpec?: { name?: string; inputSchema?: { json?: unknown } };
}
type Block = {
  text?: string;
  toolUse?: { toolUseId: string; name: string; input: unknown };
  reasoningContent?: { reasoningText: { text: string; signature: string } };
};

/**
 * The simulated signature of a thinking block: a hash of its text, so a block sent back unchanged
 * verifies and an edited (or unsigned) one is refused, as Claude refuses it.
 */
export function simulatedThinkingSignature(text: string): string {
  return `sim-${createHash('sha256').update(text).digest('base64').slice(0, 24)}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Claude on Bedrock with `additionalModelRequestFields.thinking.type` "enabled". */
function thinkingRequested(modelId: string, body: Record<string, unknown>): boolean {
  const extra = body.additionalModelRequestFields;
  return (
    modelId.includes('anthropic.') && isRecord(extra) && isRecord(extra.thinking) && extra.thinking.type === 'enabled'
  );
}

/** The first reasoning block of the history whose signature does not verify, if any. */
function badThinkingBlock(messages: unknown[]): string | undefined {
  for (const [i, m] of messages.entries()) {
    const content = isRecord(m) && Array.isArray(m.content) ? m.content : [];
    for (const [j, b] of content.entries()) {
      const r = isRecord(b) && isRecord(b.reasoningContent) ? b.reasoningContent.reasoningText : undefined;
      if (isRecord(r) && r.signature !== simulatedThinkingSignature(String(r.text)))
        return `messages.${i}.content.${j}: Invalid signature in thinking block`;
    }
  }
  return undefined;
}

export interface BedrockExchange {
  res: ServerResponse;
  record: RequestRecord;
  requestId: string;
  signal: AbortSignal;
}

export interface BedrockSimulatorOptions {
  faults: FaultStore;
  timeScale: number;
  nextJitter: () => number;
  sleep: Sleep;
}

/** The assistant's answer: a tool call when the request forces one (or names a tool in auto mode), else text. */
function answerBlocks(modelId: string, body: Record<string, unknown>, maxTokens?: number) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const generated = generate(modelId, messages, maxTokens);
  const toolConfig = body.toolConfig as { tools?: Tool[]; toolChoice?: Record<string, { name?: string }> } | undefined;
  const tools = (toolConfig?.tools ?? []).map((t) => t.toolSpec?.name).filter((n): n is string => !!n);
  const choice = toolConfig?.toolChoice;
  const last = JSON.stringify(messages[messages.length - 1] ?? {});
  const thinkingText = `Thinking about it: ${generated.content.split(/\s+/).slice(1, 5).join(' ')}`;
  const thinking: Block[] = thinkingRequested(modelId, body)
    ? [
        {
          reasoningContent: {
            reasoningText: { text: thinkingText, signature: simulatedThinkingSignature(thinkingText) },
          },
        },
      ]
    : [];
  const thinkingTokens = thinking.length ? countTokens(thinkingText) : 0;
  let toolName: string | undefined;
  if (choice?.tool?.name) toolName = choice.tool.name;
  else if (choice?.any && tools.length) toolName = tools[0];
  // auto: the model calls a tool the last user turn names.
  else toolName = tools.find((t) => last.includes(t));
  // A turn that hands back a tool result gets text, as a real model would continue.
  if (toolName && !last.includes('toolResult')) {
    // Arguments that satisfy the tool's schema, strings taken from the prompt (as the OpenAI-compatible simulator does).
    const spec = toolConfig?.tools?.find((t) => t.toolSpec?.name === toolName)?.toolSpec?.inputSchema?.json;
    const prompt = generated.content
      .replace(/^\[[^\]]*\]\s*/, '')
      .split(/\s+/)
      .slice(0, 4)
      .join(' ');
    const input = sampleObject(isRecord(spec) ? spec : {}, prompt || 'x');
    const block: Block = { toolUse: { toolUseId: `tooluse_${randomBytes(8).toString('hex')}`, name: toolName, input } };
    return {
      blocks: [...thinking, block],
      stopReason: 'tool_use',
      promptTokens: generated.promptTokens,
      outputTokens: thinkingTokens + countTokens(JSON.stringify(input)),
    };
  }
  return {
    blocks: [...thinking, { text: generated.content } as Block],
    stopReason: generated.finishReason === 'length' ? 'max_tokens' : 'end_turn',
    promptTokens: generated.promptTokens,
    outputTokens: thinkingTokens + generated.completionTokens,
  };
}

/** The text of every block before the request's last cachePoint (tools, system, then messages), if it has one. */
function cachedPrefix(body: Record<string, unknown>): string | undefined {
  const tools = isRecord(body.toolConfig) && Array.isArray(body.toolConfig.tools) ? body.toolConfig.tools : [];
  const system = Array.isArray(body.system) ? body.system : [];
  const blocks = [...tools, ...system];
  for (const m of Array.isArray(body.messages) ? body.messages : [])
    if (isRecord(m) && Array.isArray(m.content)) blocks.push(...m.content);
  const last = blocks.map((b) => isRecord(b) && 'cachePoint' in b).lastIndexOf(true);
  if (last < 0) return undefined;
  return JSON.stringify(blocks.slice(0, last));
}

export function createBedrockSimulator(opts: BedrockSimulatorOptions) {
  const { faults, timeScale, nextJitter, sleep } = opts;
  /**
   * Prompt caching as Bedrock bills it: the prefix up to the last cachePoint is written the first
   * time (cacheWriteInputTokens) and read after (cacheReadInputTokens), apart from inputTokens.
   * Per simulator, with no TTL and no minimum length.
   */
  const cache = new Set<string>();

  function sendException(ex: BedrockExchange, name: string, message: string): void {
    const status = BEDROCK_EXCEPTION_STATUS[name] ?? 500;
    ex.record.status = status;
    const text = JSON.stringify({ message });
    ex.res.writeHead(status, {
      'content-type': 'application/json',
      'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      'x-amzn-requestid': ex.requestId,
      'content-length': Buffer.byteLength(text),
    });
    ex.res.end(text);
  }

  function sendJson(ex: BedrockExchange, body: unknown, extra: Record<string, string> = {}): void {
    ex.record.status = 200;
    const text = JSON.stringify(body);
    ex.res.writeHead(200, {
      'content-type': 'application/json',
      'x-amzn-requestid': ex.requestId,
      'content-length': Buffer.byteLength(text),
      ...extra,
    });
    ex.res.end(text);
  }

  /** The request-level part of a fault; false when it ended the exchange. */
  async function preResponse(ex: BedrockExchange, fault: FaultSpec | undefined): Promise<boolean> {
    if (!fault) return true;
    if (fault.latencyMs && !(await sleep(fault.latencyMs, ex.signal))) return false;
    if (fault.hang) {
      await untilAborted(ex.signal);
      return false;
    }
    if (fault.reset) {
      resetConnection(ex.res);
      return false;
    }
    if (fault.bedrockException && fault.exceptionAfterChunks === undefined) {
      sendException(ex, fault.bedrockException, `${fault.bedrockException} (simulated fault)`);
      return false;
    }
    if (fault.status !== undefined) {
      const name = exceptionForStatus(fault.status);
      sendException(ex, name, `${name} (simulated fault)`);
      return false;
    }
    return true;
  }

  async function converse(ex: BedrockExchange, modelId: string, body: Record<string, unknown>, stream: boolean) {
    const fault = faults.take({ provider: ex.record.provider, model: modelId });
    if (!(await preResponse(ex, fault))) return;
    const profile = modelProfile(modelId);
    if (!profile) return sendException(ex, 'ResourceNotFoundException', `Model ${modelId} not found (simulated).`);
    if (!Array.isArray(body.messages) || body.messages.length === 0)
      return sendException(ex, 'ValidationException', 'messages: at least one message is required.');
    const badSignature = badThinkingBlock(body.messages);
    if (badSignature) return sendException(ex, 'ValidationException', badSignature);
    const inference = (body.inferenceConfig ?? {}) as { maxTokens?: number };
    if (!(await sleep(profile.firstByteMs * timeScale * nextJitter(), ex.signal))) return;
    const answer = answerBlocks(modelId, body, inference.maxTokens);
    const prefix = cachedPrefix(body);
    const cached = prefix === undefined ? 0 : countTokens(prefix);
    const hit = prefix !== undefined && cache.has(`${modelId}\n${prefix}`);
    if (prefix !== undefined) cache.add(`${modelId}\n${prefix}`);
    const usage = {
      inputTokens: answer.promptTokens,
      outputTokens: answer.outputTokens,
      totalTokens: answer.promptTokens + cached + answer.outputTokens,
      ...(cached > 0 ? (hit ? { cacheReadInputTokens: cached } : { cacheWriteInputTokens: cached }) : {}),
    };
    if (!stream) {
      return sendJson(ex, {
        output: { message: { role: 'assistant', content: answer.blocks } },
        stopReason: answer.stopReason,
        usage,
        metrics: { latencyMs: Math.round(profile.firstByteMs * timeScale) },
      });
    }
    ex.record.status = 200;
    ex.res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': ex.requestId,
      'transfer-encoding': 'chunked',
    });
    ex.res.flushHeaders();
    await writeEventStream(ex, answer, usage, fault, fault?.chunkDelayMs ?? profile.chunkMs * timeScale);
  }

  async function writeEventStream(
    ex: BedrockExchange,
    answer: ReturnType<typeof answerBlocks>,
    usage: object,
    fault: FaultSpec | undefined,
    chunkDelayMs: number,
  ): Promise<void> {
    const { res } = ex;
    const write = (bytes: Uint8Array) => new Promise<void>((r) => res.write(bytes, () => r()));
    const events: Array<[string, unknown]> = [];
    answer.blocks.forEach((b, i) => {
      if (b.toolUse) {
        events.push([
          'contentBlockStart',
          { contentBlockIndex: i, start: { toolUse: { toolUseId: b.toolUse.toolUseId, name: b.toolUse.name } } },
        ]);
        const json = JSON.stringify(b.toolUse.input);
        const half = Math.ceil(json.length / 2);
        for (const piece of [json.slice(0, half), json.slice(half)])
          events.push(['contentBlockDelta', { contentBlockIndex: i, delta: { toolUse: { input: piece } } }]);
      } else if (b.reasoningContent) {
        const r = b.reasoningContent.reasoningText;
        for (const piece of splitPieces(r.text))
          events.push(['contentBlockDelta', { contentBlockIndex: i, delta: { reasoningContent: { text: piece } } }]);
        events.push([
          'contentBlockDelta',
          { contentBlockIndex: i, delta: { reasoningContent: { signature: r.signature } } },
        ]);
      } else {
        for (const piece of splitPieces(b.text ?? ''))
          events.push(['contentBlockDelta', { contentBlockIndex: i, delta: { text: piece } }]);
      }
      events.push(['contentBlockStop', { contentBlockIndex: i }]);
    });
    const content = events.filter(([t]) => t === 'contentBlockDelta').length;
    const firesAt = (n: number | undefined, sent: number) =>
      n !== undefined && (n === sent || (n > sent && sent === content));

    let flushed = write(frame('messageStart', { role: 'assistant' }));
    let sent = 0;
    for (let i = 0; i <= events.length; i++) {
      const next = events[i];
      if (!next || next[0] === 'contentBlockDelta') {
        if (firesAt(fault?.streamCutAfterChunks, sent)) {
          await flushed;
          res.socket?.destroy();
          return;
        }
        if (firesAt(fault?.exceptionAfterChunks, sent)) {
          const name = fault?.bedrockException ?? 'ModelStreamErrorException';
          res.end(exceptionFrame(name, `${name} mid-stream (simulated fault)`));
          return;
        }
        if (firesAt(fault?.malformedAfterChunks, sent)) {
          // A frame whose CRC does not match: the SDK's decoder must refuse it.
          const bad = frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: ' x' } });
          bad[bad.length - 1] ^= 0xff;
          res.end(bad);
          return;
        }
        if (firesAt(fault?.stallAfterChunks, sent)) return untilAborted(ex.signal);
      }
      if (!next) break;
      if (next[0] === 'contentBlockDelta') {
        if (!(await sleep(chunkDelayMs, ex.signal))) return;
        sent++;
      }
      flushed = write(frame(next[0], next[1]));
    }
    await write(frame('messageStop', { stopReason: answer.stopReason }));
    res.end(frame('metadata', { usage, metrics: { latencyMs: 1 } }));
  }

  async function invoke(ex: BedrockExchange, modelId: string, body: Record<string, unknown>) {
    const fault = faults.take({ provider: ex.record.provider, model: modelId });
    if (!(await preResponse(ex, fault))) return;
    const dims = modelId.includes('titan-embed-text-v2') ? 1024 : modelId.includes('cohere.embed') ? 1024 : 0;
    if (!dims) return sendException(ex, 'ResourceNotFoundException', `Model ${modelId} not found (simulated).`);
    if (!(await sleep(40 * timeScale * nextJitter(), ex.signal))) return;
    if (modelId.includes('titan')) {
      if (typeof body.inputText !== 'string')
        return sendException(ex, 'ValidationException', 'inputText: a string is required.');
      const d = typeof body.dimensions === 'number' ? body.dimensions : dims;
      if (![256, 512, 1024].includes(d))
        return sendException(ex, 'ValidationException', 'dimensions: must be one of 256, 512, 1024.');
      return sendJson(ex, {
        embedding: simulatedEmbedding(body.inputText, d),
        inputTextTokenCount: countTokens(body.inputText),
      });
    }
    const texts = body.texts;
    if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string'))
      return sendException(ex, 'ValidationException', 'texts: an array of strings is required.');
    return sendJson(ex, {
      id: ex.requestId,
      texts,
      embeddings: { float: texts.map((t: string) => simulatedEmbedding(t, dims)) },
      response_type: 'embeddings_by_type',
    });
  }

  /** Handles `/{prefix}/model/{modelId}/{operation}`. */
  return async function handle(ex: BedrockExchange, req: IncomingMessage, modelId: string, operation: string) {
    let body: Record<string, unknown>;
    try {
      const parsed = JSON.parse(await readBody(req));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed;
    } catch {
      return sendException(ex, 'ValidationException', 'The request body is not a JSON object.');
    }
    ex.record.model = modelId;
    ex.record.body = body;
    ex.record.stream = operation === 'converse-stream';
    if (operation === 'converse') return converse(ex, modelId, body, false);
    if (operation === 'converse-stream') return converse(ex, modelId, body, true);
    if (operation === 'invoke') return invoke(ex, modelId, body);
    return sendException(ex, 'ValidationException', `Unknown operation ${operation}.`);
  };
}
