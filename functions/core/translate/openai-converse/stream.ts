/**
 * ConverseStream events -> OpenAI `chat.completion.chunk` objects, one event at a time.
 *
 * messageStart -> the role chunk (held until the first content); text deltas -> content deltas; a toolUse block start -> a
 * tool_calls delta with id and name, its input deltas -> argument deltas (OpenAI indexes tool calls
 * from 0 among tool calls only); messageStop -> the finish_reason chunk; metadata -> the usage chunk
 * (`choices: []`, as OpenAI sends it with include_usage); reasoning deltas -> `reasoning_content`
 * deltas, a reasoning block's signature (or a redacted block) -> a `thinking_blocks` delta. An exception event becomes the
 * `{"error": ...}` event an OpenAI-compatible upstream sends when it fails mid-stream.
 */
import { bedrockErrorOf } from './errors';
import { finishReason, openAIUsage, type CompletionMeta } from './response';
import type { ConverseStreamEvent, JsonModeTool } from './types';

export type StreamItem = { chunk: object } | { error: { message: string; type: string; code: string; status: number } };

const EXCEPTIONS = [
  'internalServerException',
  'modelStreamErrorException',
  'validationException',
  'throttlingException',
  'serviceUnavailableException',
] as const;

export class ConverseStreamTranslator {
  /** Converse content block index -> OpenAI tool call index. */
  private readonly toolIndex = new Map<number, number>();
  private readonly jsonBlocks = new Set<number>();
  private started = false;

  constructor(
    private readonly meta: CompletionMeta,
    private readonly jsonTool?: JsonModeTool,
  ) {}

  private chunk(delta: object, finish: string | null = null): StreamItem {
    return {
      chunk: {
        id: this.meta.id,
        object: 'chat.completion.chunk',
        created: this.meta.created,
        model: this.meta.model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      },
    };
  }

  /** The chunks (zero or more) one Converse event becomes. */
  push(event: ConverseStreamEvent): StreamItem[] {
    for (const name of EXCEPTIONS) {
      const ex = event[name];
      if (ex) {
        const mapped = bedrockErrorOf(name[0].toUpperCase() + name.slice(1));
        return [
          {
            error: {
              message: typeof ex.message === 'string' ? ex.message.slice(0, 300) : name,
              type: mapped.type,
              code: mapped.code,
              status: mapped.status,
            },
          },
        ];
      }
    }
    const out: StreamItem[] = [];
    const ensureStarted = () => {
      if (this.started) return;
      this.started = true;
      out.push(this.chunk({ role: 'assistant', content: '' }));
    };
    // messageStart alone yields nothing: the role chunk goes out with the first content, so a
    // stream that fails before any content has sent no event and can still fail over.
    if (event.contentBlockStart) {
      ensureStarted();
      const idx = event.contentBlockStart.contentBlockIndex ?? 0;
      const tool = event.contentBlockStart.start?.toolUse;
      if (tool) {
        if (this.jsonTool && tool.name === this.jsonTool.name) this.jsonBlocks.add(idx);
        else {
          const n = this.toolIndex.size;
          this.toolIndex.set(idx, n);
          out.push(
            this.chunk({
              tool_calls: [
                { index: n, id: tool.toolUseId, type: 'function', function: { name: tool.name, arguments: '' } },
              ],
            }),
          );
        }
      }
    }
    if (event.contentBlockDelta) {
      ensureStarted();
      const idx = event.contentBlockDelta.contentBlockIndex ?? 0;
      const d = event.contentBlockDelta.delta ?? {};
      if (typeof d.text === 'string' && d.text.length > 0) out.push(this.chunk({ content: d.text }));
      const r = d.reasoningContent;
      if (r) {
        if (typeof r.text === 'string' && r.text.length > 0) out.push(this.chunk({ reasoning_content: r.text }));
        if (typeof r.signature === 'string' && r.signature.length > 0)
          out.push(this.chunk({ thinking_blocks: [{ type: 'thinking', signature: r.signature }] }));
        if (r.redactedContent)
          out.push(
            this.chunk({
              thinking_blocks: [{ type: 'redacted_thinking', data: Buffer.from(r.redactedContent).toString('base64') }],
            }),
          );
      }
      const input = d.toolUse?.input;
      if (typeof input === 'string' && input.length > 0) {
        if (this.jsonBlocks.has(idx)) out.push(this.chunk({ content: input }));
        else {
          const n = this.toolIndex.get(idx);
          if (n !== undefined) out.push(this.chunk({ tool_calls: [{ index: n, function: { arguments: input } }] }));
        }
      }
    }
    if (event.messageStop) {
      ensureStarted();
      out.push(this.chunk({}, finishReason(event.messageStop.stopReason, !!this.jsonTool)));
    }
    if (event.metadata) {
      const usage = openAIUsage(event.metadata.usage);
      if (usage)
        out.push({
          chunk: {
            id: this.meta.id,
            object: 'chat.completion.chunk',
            created: this.meta.created,
            model: this.meta.model,
            choices: [],
            usage,
          },
        });
    }
    return out;
  }
}
