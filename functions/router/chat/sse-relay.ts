/**
 * Relays an upstream SSE stream to the client, event by event, as it arrives.
 *
 * Before the first event is handed to the client the stream can still be abandoned (and the next
 * candidate tried): `firstEvent()` reads until a chunk that carries content is in hand (text, a tool
 * call, a refusal, a finish reason) or the stream ended whole. Role-only chunks and empty deltas
 * before it are held back and relayed, in order, at commit; so a stream that dies before its first
 * token falls back exactly like one that fails before its first byte. After that, any failure
 * (cut connection, malformed line, stall, in-stream error) ends the client's stream with an
 * explicit `data: {"error":...}` event and no `[DONE]`, so no client mistakes it for a clean end.
 *
 * The relay also watches what passes: the usage chunk (always requested upstream, forwarded only
 * if the client asked for it) and the text seen, for estimating usage when the stream is cut.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Readable } from 'node:stream';
import { usageFromOpenAI, type TokenUsage } from '../../core/pricing';
import { scrubUpstreamText } from '../../core/telemetry/redact';

export interface StreamOutcome {
  /** `[DONE]` was relayed. */
  completed: boolean;
  clientAborted: boolean;
  /** Why the stream ended early, when it did (`type` defaults to `upstream_error`). */
  error?: { code: string; message: string; type?: string };
  usage?: TokenUsage;
  /** Assistant text relayed so far (for estimating completion tokens when no usage arrived). */
  text: string;
}

/** The terminal event of a stream still running when the function is about to time out (see SseRelay.cutOff). */
export const STREAM_TIME_LIMIT = {
  code: 'stream_timeout',
  type: 'timeout_error',
  message: "The response reached the gateway's time limit before the upstream finished; the output is incomplete.",
} as const;

export type FirstEventResult =
  | { ok: true }
  | { ok: false; failure: 'stream_error' | 'server_error' | 'timeout' | 'connection' | 'too_large'; message: string };

interface Parsed {
  raw: string;
  json?: {
    choices?: Array<{
      delta?: {
        content?: unknown;
        refusal?: unknown;
        reasoning_content?: unknown;
        function_call?: unknown;
        tool_calls?: Array<{ function?: { arguments?: unknown } }>;
      };
      finish_reason?: unknown;
    }>;
    usage?: unknown;
    error?: { message?: unknown };
    message?: unknown;
  };
}

const encoder = new TextEncoder();

const nonEmpty = (v: unknown) => typeof v === 'string' && v.length > 0;

/** A chunk worth committing to: some choice has text, a tool call, a refusal or a finish reason. */
export function carriesContent(json: Parsed['json']): boolean {
  const choices = json?.choices;
  if (!Array.isArray(choices)) return false;
  return choices.some((c) => {
    const d = c?.delta;
    return (
      c?.finish_reason != null ||
      nonEmpty(d?.content) ||
      nonEmpty(d?.refusal) ||
      nonEmpty(d?.reasoning_content) ||
      d?.function_call != null ||
      (Array.isArray(d?.tool_calls) && d.tool_calls.length > 0)
    );
  });
}

/** One SSE event; a multi-line payload needs `data: ` on every line or the client misreads it. */
function sseData(payload: string): string {
  return `data: ${payload.split('\n').join('\ndata: ')}\n\n`;
}

export class SseRelay {
  /** What the client reads. */
  readonly body: Readable;
  readonly done: Promise<StreamOutcome>;
  /**
   * Sees every chunk relayed once it goes out, and the usage chunk even when the client did not ask
   * for it: the response cache assembles a streamed answer from them.
   */
  onChunk?: (chunk: object, bytes: number) => void;

  private readonly pending: Parsed[] = [];
  private readonly outcome: StreamOutcome = { completed: false, clientAborted: false, text: '' };
  private committed = false;
  /** A chunk with content (or the stream's clean end) is buffered: the stream can be committed to. */
  private ready = false;
  private bytes = 0;
  private finished = false;
  private ended = false;
  private failedBeforeCommit: FirstEventResult | undefined;
  private firstEventWaiter: ((r: FirstEventResult) => void) | undefined;
  private resolveDone!: (o: StreamOutcome) => void;
  private readonly parser;
  /** Streaming decoder: a multi-byte character (CJK text) split across two upstream chunks stays whole. */
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly upstream: AsyncIterable<Buffer | string>,
    private readonly abortUpstream: () => void,
    private readonly forwardUsage: boolean,
    /** Upstream bytes read past which the stream fails (`upstream_response_too_large`). */
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
    this.parser = createParser({
      onEvent: (e) => this.onEvent(e),
      onComment: () => {
        // Keep-alive comments carry no data; relaying them would only keep idle proxies awake,
        // which our own chunks already do.
      },
    });
    this.body = new Readable({
      read: () => undefined,
      destroy: (err, cb) => {
        // The client went away (or the runtime closed the stream): stop reading upstream at once.
        if (!this.finished) {
          this.outcome.clientAborted = true;
          this.finish();
        }
        cb(err);
      },
    });
    void this.pump();
  }

  /**
   * Resolves once a chunk that carries content is buffered (or the stream ended whole), or with the
   * reason the stream failed before it.
   */
  firstEvent(): Promise<FirstEventResult> {
    if (this.failedBeforeCommit) return Promise.resolve(this.failedBeforeCommit);
    if (this.ready) return Promise.resolve({ ok: true });
    return new Promise((r) => (this.firstEventWaiter = r));
  }

  /** Hands the buffered events to the client; from here on failures become error events. */
  commit(): void {
    this.committed = true;
    for (const p of this.pending.splice(0)) this.emit(p);
    if (this.ended) this.end();
    // The upstream failed after its first event but before this commit (the executor was still
    // awaiting a breaker write): the client must still see the explicit error and an end.
    else if (this.finished) this.closeWithError();
  }

  /** Abandons the stream before commit (the caller falls back to another candidate). */
  abandon(): void {
    this.finish();
  }

  /**
   * Ends a committed stream now with an explicit error event and stops the upstream read (the
   * function is about to run out of time): the client learns the output is incomplete instead of
   * seeing the connection drop. No-op once the stream has ended.
   */
  cutOff(code: string, message: string, type: string): void {
    if (this.finished || !this.committed) return;
    this.outcome.error = { code, message, type };
    this.closeWithError();
    this.finish();
  }

  private async pump(): Promise<void> {
    try {
      for await (const chunk of this.upstream) {
        if (this.finished) return;
        this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
        if (this.bytes > this.maxBytes) {
          this.fail(
            'upstream_response_too_large',
            "The upstream response passed the gateway's size limit; the output is incomplete.",
            'too_large',
          );
          return;
        }
        this.parser.feed(typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
      }
      // A last event without its closing blank line (`data: [DONE]` at EOF) is still an event.
      this.parser.feed(this.decoder.decode() + '\n\n');
      if (this.outcome.completed || this.finished) return;
      // A clean end without a single event: the upstream answered 2xx with something that is no event
      // stream (an HTML error page, a JSON body). Like a 2xx that is no completion on the JSON path, that
      // is the upstream's error, not a connection failure.
      if (!this.committed && this.pending.length === 0)
        this.fail(
          'stream_malformed',
          'The upstream answered 2xx with a body that is not an event stream.',
          'server_error',
        );
      else this.fail('stream_interrupted', 'The upstream closed the stream before it was complete.', 'connection');
    } catch (err) {
      // After [DONE] the answer is whole: a connection error while the upstream closes is not a failure.
      if (this.finished || this.outcome.completed) return;
      const code = (err as { code?: string })?.code;
      if (code === 'UND_ERR_BODY_TIMEOUT')
        this.fail('stream_stalled', 'The upstream stopped sending data mid-stream (idle timeout).', 'timeout');
      else this.fail('stream_interrupted', 'The upstream connection failed mid-stream.', 'connection');
    }
  }

  private onEvent(e: EventSourceMessage): void {
    if (this.finished || this.outcome.completed) return;
    // Named events other than `error` (e.g. a `ping`) carry no completion chunk: relayed, the SDKs
    // would hand them to user code as chunks without `choices` (and a ping would count as the first event).
    if (e.event && e.event !== 'message' && e.event !== 'error') return;
    const data = e.data.trim();
    if (data === '') return;
    if (data === '[DONE]') {
      if (!this.committed && this.pending.length === 0) {
        this.fail('stream_empty', 'The upstream stream ended without any content.', 'stream_error');
        return;
      }
      this.outcome.completed = true;
      this.ended = true;
      if (this.committed) this.end();
      // Whole, if without content (an empty answer): nothing can fail any more, so it may be committed.
      else this.markReady();
      return;
    }
    let json: Parsed['json'];
    try {
      json = JSON.parse(data);
    } catch {
      this.fail('stream_malformed', 'The upstream sent a malformed stream event.', 'stream_error');
      return;
    }
    // A chunk is an object; anything else (`42`, `null`, an array) would break the client's SDK.
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      this.fail('stream_malformed', 'The upstream sent a stream event that is not a JSON object.', 'stream_error');
      return;
    }
    // Some OpenAI-compatible servers report failures as `event: error` with a bare message body.
    if (json.error || e.event === 'error') {
      const err = json.error ?? json;
      const m = typeof err.message === 'string' ? scrubUpstreamText(err.message) : 'error event';
      this.fail('upstream_stream_error', `The upstream reported an error mid-stream: ${m}`, 'stream_error');
      return;
    }
    const usage = usageFromOpenAI(json.usage);
    if (usage) this.outcome.usage = usage;
    // The usage chunk has `choices: []` (OpenAI) or no `choices` at all (some compatible servers).
    const isUsageOnly = !!usage && (!Array.isArray(json.choices) || json.choices.length === 0);
    const parsed = { raw: data, json };
    if (isUsageOnly && !this.forwardUsage) {
      this.onChunk?.(json, data.length);
      return;
    }
    if (this.committed) this.emit(parsed);
    else {
      this.pending.push(parsed);
      if (carriesContent(json)) this.markReady();
    }
  }

  private markReady(): void {
    if (this.ready) return;
    this.ready = true;
    this.resolveFirst({ ok: true });
  }

  private emit(p: Parsed): void {
    // Every choice (`n` > 1) and tool-call arguments are billed output: all of it feeds the estimate.
    for (const c of Array.isArray(p.json?.choices) ? p.json.choices : []) {
      const delta = c?.delta;
      if (typeof delta?.content === 'string') this.outcome.text += delta.content;
      // Reasoning is billed as output too (DeepSeek's reasoner, Claude's thinking on Bedrock).
      if (typeof delta?.reasoning_content === 'string') this.outcome.text += delta.reasoning_content;
      for (const t of Array.isArray(delta?.tool_calls) ? delta.tool_calls : []) {
        if (typeof t?.function?.arguments === 'string') this.outcome.text += t.function.arguments;
      }
    }
    this.body.push(encoder.encode(sseData(p.raw)));
    if (p.json) this.onChunk?.(p.json, p.raw.length);
  }

  private end(): void {
    if (this.finished) return;
    this.body.push(encoder.encode('data: [DONE]\n\n'));
    this.body.push(null);
    this.finish();
  }

  private fail(code: string, message: string, failure: Extract<FirstEventResult, { ok: false }>['failure']): void {
    if (this.finished) return;
    this.outcome.error = { code, message };
    if (!this.committed) {
      this.resolveFirst({ ok: false, failure, message });
      this.finish();
      return;
    }
    this.closeWithError();
    this.finish();
  }

  /** The explicit error event (no `[DONE]`) and the end of the client's stream. */
  private closeWithError(): void {
    const {
      code,
      message,
      type = 'upstream_error',
    } = this.outcome.error ?? { code: 'stream_interrupted', message: 'The upstream stream ended early.' };
    const event = { error: { message, type, param: null, code } };
    this.body.push(encoder.encode(sseData(JSON.stringify(event))));
    this.body.push(null);
  }

  private resolveFirst(r: FirstEventResult): void {
    if (!r.ok) this.failedBeforeCommit = r;
    const w = this.firstEventWaiter;
    this.firstEventWaiter = undefined;
    w?.(r);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.outcome.completed) this.abortUpstream();
    if (!this.committed && !this.failedBeforeCommit)
      this.resolveFirst({ ok: false, failure: 'connection', message: 'the stream was closed' });
    this.resolveDone(this.outcome);
  }
}
