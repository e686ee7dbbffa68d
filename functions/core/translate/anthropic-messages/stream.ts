/**
 * The gateway's chat completion stream -> Anthropic's Messages event sequence:
 * `message_start`, `ping`, per block `content_block_start` / `content_block_delta` (`text_delta`,
 * `input_json_delta`, and `thinking_delta` / `signature_delta` when the client asked for thinking) /
 * `content_block_stop`, then `message_delta` (stop_reason, usage) and
 * `message_stop`. A chat stream that ends with the gateway's error event (or with neither `[DONE]`
 * nor an error) ends with an Anthropic `error` event instead, never a clean-looking `message_stop`.
 *
 * Pure: fed parsed chat events, returns the SSE text to write.
 */
import type { ChatChunk, ChatStreamError, ChatUsage } from '../chat-types';
import { anthropicStreamErrorType } from './errors';
import { anthropicUsage, messageId, type StopReason, stopReason } from './response';

export function sseEvent(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

export interface MessagesStreamOptions {
  /** The model name the client sent (echoed as Anthropic echoes it). */
  model: string;
  /** Used when the upstream chunk has no id. */
  fallbackId: string;
  /** The gateway's prompt estimate, reported in `message_start` until the real usage arrives. */
  inputTokensEstimate?: number;
  /** The client asked for thinking: reasoning deltas become thinking blocks (else they are left out). */
  thinking?: boolean;
}

export class MessagesStreamTranslator {
  private started = false;
  private closed = false;
  /** Index of the open block and what it is; -1 when none. */
  private openIndex = -1;
  private openKind: 'text' | 'tool' | 'thinking' | null = null;
  private nextIndex = 0;
  /** Chat tool-call index -> Anthropic block index. */
  private readonly toolBlocks = new Map<number, number>();
  private finish: string | null = null;
  private sawToolUse = false;
  private usage: ChatUsage | null = null;

  constructor(private readonly opts: MessagesStreamOptions) {}

  chunk(c: ChatChunk): string {
    let out = this.start(c);
    if (c.usage) this.usage = c.usage;
    for (const choice of c.choices ?? []) {
      if ((choice.index ?? 0) !== 0) continue; // Anthropic has one answer per message
      const d = choice.delta ?? {};
      if (this.opts.thinking) out += this.thinking(d);
      const text = (d.content ?? '') || (d.refusal ?? '');
      if (text) {
        if (this.openKind !== 'text') out += this.openBlock('text', { type: 'text', text: '' });
        out += sseEvent('content_block_delta', { index: this.openIndex, delta: { type: 'text_delta', text } });
      }
      for (const t of d.tool_calls ?? []) {
        const key = t.index ?? 0;
        let index = this.toolBlocks.get(key);
        if (index === undefined) {
          this.sawToolUse = true;
          out += this.openBlock('tool', {
            type: 'tool_use',
            id: t.id || `toolu_${this.opts.fallbackId}_${key}`,
            name: t.function?.name ?? '',
            input: {},
          });
          index = this.openIndex;
          this.toolBlocks.set(key, index);
        }
        const args = t.function?.arguments;
        if (args)
          out += sseEvent('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: args } });
      }
      if (choice.finish_reason) this.finish = choice.finish_reason;
    }
    return out;
  }

  /** `[DONE]`: the answer is whole. */
  done(): string {
    if (this.closed) return '';
    let out = this.start({});
    out += this.closeBlock();
    const reason: StopReason = this.sawToolUse && this.finish !== 'length' ? 'tool_use' : stopReason(this.finish);
    const u = anthropicUsage(this.usage);
    out += sseEvent('message_delta', {
      delta: { stop_reason: reason, stop_sequence: null },
      usage: {
        input_tokens: u.input_tokens,
        output_tokens: u.output_tokens,
        cache_creation_input_tokens: u.cache_creation_input_tokens,
        cache_read_input_tokens: u.cache_read_input_tokens,
      },
    });
    out += sseEvent('message_stop', {});
    this.closed = true;
    return out;
  }

  /** The chat stream failed after its first byte (the gateway's error event, or a cut). */
  error(e: ChatStreamError): string {
    if (this.closed) return '';
    this.closed = true;
    const message = e.code ? `${e.message} (${e.code})` : e.message;
    return sseEvent('error', { error: { type: anthropicStreamErrorType(e.type), message } });
  }

  private start(c: ChatChunk): string {
    if (this.started) return '';
    this.started = true;
    return (
      sseEvent('message_start', {
        message: {
          id: messageId(c.id, this.opts.fallbackId),
          type: 'message',
          role: 'assistant',
          model: this.opts.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: this.opts.inputTokensEstimate ?? 0,
            output_tokens: 0,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
          },
        },
      }) + sseEvent('ping', {})
    );
  }

  /** Reasoning text -> `thinking_delta`s; its signature -> `signature_delta`, ending the block; redacted blocks whole. */
  private thinking(d: NonNullable<NonNullable<ChatChunk['choices']>[number]['delta']>): string {
    let out = '';
    if (d.reasoning_content) {
      if (this.openKind !== 'thinking')
        out += this.openBlock('thinking', { type: 'thinking', thinking: '', signature: '' });
      out += sseEvent('content_block_delta', {
        index: this.openIndex,
        delta: { type: 'thinking_delta', thinking: d.reasoning_content },
      });
    }
    for (const b of d.thinking_blocks ?? []) {
      if (b.type === 'thinking' && this.openKind === 'thinking') {
        out += sseEvent('content_block_delta', {
          index: this.openIndex,
          delta: { type: 'signature_delta', signature: b.signature },
        });
        out += this.closeBlock();
      } else if (b.type === 'redacted_thinking') {
        out += this.openBlock('thinking', { type: 'redacted_thinking', data: b.data });
        out += this.closeBlock();
      }
    }
    return out;
  }

  private openBlock(kind: 'text' | 'tool' | 'thinking', block: Record<string, unknown>): string {
    const out = this.closeBlock();
    this.openIndex = this.nextIndex++;
    this.openKind = kind;
    return out + sseEvent('content_block_start', { index: this.openIndex, content_block: block });
  }

  private closeBlock(): string {
    if (this.openIndex < 0) return '';
    const out = sseEvent('content_block_stop', { index: this.openIndex });
    this.openIndex = -1;
    this.openKind = null;
    return out;
  }
}
