/**
 * The gateway's chat completion stream -> the Responses API event sequence: `response.created`,
 * `response.in_progress`, per output item `response.output_item.added`, then for a message
 * `response.content_part.added` / `response.output_text.delta` / `.done` / `response.content_part.done`
 * and for a function call `response.function_call_arguments.delta` / `.done`, `response.output_item.done`,
 * and `response.completed` (or `response.incomplete` when the output cap cut the answer) with usage.
 * A chat stream that ends with the gateway's error event (or is cut) ends with an `error` event and
 * `response.failed`, never a clean-looking completion. Every event has a `sequence_number`.
 *
 * Pure: fed parsed chat events, returns the SSE text to write.
 */
import type { ChatChunk, ChatStreamError, ChatUsage } from '../chat-types';
import { type OutputItem, type ResponseIds, responseObject, responsesUsage } from './response';
import type { ResponsesRequest } from './schema';

export class ResponsesStreamTranslator {
  private seq = 0;
  private started = false;
  private closed = false;
  private readonly output: OutputItem[] = [];
  /** Output index of the open item; -1 when none. */
  private open = -1;
  /** Chat tool-call index -> output index. */
  private readonly calls = new Map<number, number>();
  private finish: string | null = null;
  private usage: ChatUsage | null = null;
  private readonly suffix: string;

  constructor(
    private readonly req: ResponsesRequest,
    private readonly ids: ResponseIds,
  ) {
    this.suffix = ids.response.replace(/^resp_/, '');
  }

  chunk(c: ChatChunk): string {
    let out = this.start();
    if (c.usage) this.usage = c.usage;
    for (const choice of c.choices ?? []) {
      if ((choice.index ?? 0) !== 0) continue;
      const d = choice.delta ?? {};
      const text = (d.content ?? '') || (d.refusal ?? '');
      if (text) {
        const cur = this.output[this.open];
        if (cur?.type !== 'message') out += this.openMessage();
        const item = this.output[this.open] as Extract<OutputItem, { type: 'message' }>;
        item.content[0].text += text;
        out += this.event('response.output_text.delta', {
          item_id: item.id,
          output_index: this.open,
          content_index: 0,
          delta: text,
          logprobs: [],
        });
      }
      for (const t of d.tool_calls ?? []) {
        const key = t.index ?? 0;
        let index = this.calls.get(key);
        if (index === undefined) {
          out += this.closeOpen();
          index = this.output.length;
          const item: OutputItem = {
            type: 'function_call',
            id: `fc_${this.suffix}_${key}`,
            call_id: t.id || `call_${this.suffix}_${key}`,
            name: t.function?.name ?? '',
            arguments: '',
            status: 'in_progress',
          };
          this.output.push(item);
          this.open = index;
          this.calls.set(key, index);
          out += this.event('response.output_item.added', { output_index: index, item: { ...item } });
        }
        const args = t.function?.arguments;
        if (args) {
          const item = this.output[index] as Extract<OutputItem, { type: 'function_call' }>;
          item.arguments += args;
          out += this.event('response.function_call_arguments.delta', {
            item_id: item.id,
            output_index: index,
            delta: args,
          });
        }
      }
      if (choice.finish_reason) this.finish = choice.finish_reason;
    }
    return out;
  }

  done(): string {
    if (this.closed) return '';
    let out = this.start();
    const incomplete = this.finish === 'length';
    out += this.closeOpen(incomplete ? 'incomplete' : 'completed');
    this.closed = true;
    const response = responseObject(
      this.req,
      this.ids,
      incomplete ? 'incomplete' : 'completed',
      this.output,
      responsesUsage(this.usage),
      { incomplete },
    );
    return out + this.event(incomplete ? 'response.incomplete' : 'response.completed', { response });
  }

  error(e: ChatStreamError): string {
    if (this.closed) return '';
    let out = this.start();
    this.closed = true;
    const code = e.code ?? 'stream_error';
    out += this.event('error', { code, message: e.message, param: null });
    const response = responseObject(this.req, this.ids, 'failed', this.output, responsesUsage(this.usage), {
      error: { code, message: e.message },
    });
    return out + this.event('response.failed', { response });
  }

  private event(type: string, data: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.seq++, ...data })}\n\n`;
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    const response = responseObject(this.req, this.ids, 'in_progress', [], null);
    return this.event('response.created', { response }) + this.event('response.in_progress', { response });
  }

  private openMessage(): string {
    let out = this.closeOpen();
    const item: OutputItem = {
      type: 'message',
      id: `msg_${this.suffix}_${this.output.length}`,
      status: 'in_progress',
      role: 'assistant',
      content: [],
    };
    this.output.push(item);
    this.open = this.output.length - 1;
    out += this.event('response.output_item.added', { output_index: this.open, item: { ...item, content: [] } });
    const part = { type: 'output_text' as const, text: '', annotations: [], logprobs: [] };
    item.content.push(part);
    out += this.event('response.content_part.added', {
      item_id: item.id,
      output_index: this.open,
      content_index: 0,
      part: { ...part },
    });
    return out;
  }

  private closeOpen(status: 'completed' | 'incomplete' = 'completed'): string {
    if (this.open < 0) return '';
    const index = this.open;
    const item = this.output[index];
    this.open = -1;
    item.status = status;
    let out = '';
    if (item.type === 'message') {
      const part = item.content[0];
      out += this.event('response.output_text.done', {
        item_id: item.id,
        output_index: index,
        content_index: 0,
        text: part.text,
        logprobs: [],
      });
      out += this.event('response.content_part.done', {
        item_id: item.id,
        output_index: index,
        content_index: 0,
        part,
      });
    } else {
      out += this.event('response.function_call_arguments.done', {
        item_id: item.id,
        output_index: index,
        name: item.name,
        arguments: item.arguments,
      });
    }
    return out + this.event('response.output_item.done', { output_index: index, item });
  }
}
