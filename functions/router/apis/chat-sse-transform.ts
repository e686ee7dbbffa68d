/**
 * Wraps the gateway's chat SSE stream (`data: {chunk}` ... `data: [DONE]`, or `data: {"error":...}`
 * and no `[DONE]` when it fails after the first byte) in a client API's own event sequence. The
 * translation itself is pure (functions/core/translate/<api>/stream.ts); this only parses events and
 * ties the two streams' lifetimes together: when the client goes away the chat stream is destroyed
 * too, which stops the upstream read exactly as it does for a chat completions client.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { pipeline, type Readable, Transform } from 'node:stream';
import type { ChatChunk, ChatStreamError } from '../../core/translate/chat-types';

export interface ChatStreamTranslator {
  chunk(c: ChatChunk): string;
  done(): string;
  error(e: ChatStreamError): string;
}

const CUT: ChatStreamError = {
  message: 'The stream ended before the answer was complete.',
  type: 'upstream_error',
  code: 'stream_interrupted',
};

export function translateChatStream(source: Readable, translator: ChatStreamTranslator): Readable {
  let finished = false;
  let out: Transform;
  const emit = (text: string) => {
    if (text) out.push(text);
  };
  const onEvent = (e: EventSourceMessage) => {
    if (finished) return;
    const data = e.data.trim();
    if (data === '') return;
    if (data === '[DONE]') {
      finished = true;
      emit(translator.done());
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      finished = true;
      emit(translator.error(CUT));
      return;
    }
    const err = (json as { error?: Partial<ChatStreamError> } | null)?.error;
    if (err && typeof err === 'object') {
      finished = true;
      emit(
        translator.error({
          message: typeof err.message === 'string' ? err.message : CUT.message,
          type: typeof err.type === 'string' ? err.type : 'upstream_error',
          code: typeof err.code === 'string' ? err.code : null,
        }),
      );
      return;
    }
    if (json && typeof json === 'object') emit(translator.chunk(json as ChatChunk));
  };
  const parser = createParser({ onEvent });
  const decoder = new TextDecoder();
  out = new Transform({
    transform(chunk: Buffer | string, _enc, cb) {
      parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
      cb();
    },
    flush(cb) {
      parser.feed(`${decoder.decode()}\n\n`);
      if (!finished) {
        finished = true;
        emit(translator.error(CUT));
      }
      cb();
    },
  });
  // pipeline destroys the source when `out` is destroyed early (client gone) and vice versa.
  return pipeline(source, out, () => undefined) as unknown as Readable;
}
