/**
 * The `awslambda` global the Lambda Node.js runtime provides to streaming functions, rebuilt for
 * the local runtime. It follows the real wire protocol: `HttpResponseStream.from` writes a JSON
 * prelude (status, headers) and eight NUL bytes, then the body, and the emulator parses it back,
 * so the handler under test is byte-for-byte the one that runs on AWS. Nothing is buffered.
 * (lambda-stream, the usual choice, buffers the whole body, which would hide streaming bugs.)
 */
import type { Writable } from 'node:stream';

export const PRELUDE_DELIMITER = Buffer.alloc(8, 0);
const STREAMING = Symbol.for('switchyard.streamingHandler');

export type StreamingHandler = (event: unknown, responseStream: Writable, context: unknown) => Promise<void>;

export interface HttpPrelude {
  statusCode?: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  cookies?: string[];
}

export function installAwsLambdaGlobal(): void {
  // The AWS SDK's invoke store creates `globalThis.awslambda = {}` on import: add to it, never replace.
  const g = globalThis as { awslambda?: Record<string, unknown> };
  const target = (g.awslambda ??= {});
  if (typeof target.streamifyResponse === 'function') return;
  Object.assign(target, {
    streamifyResponse(fn: StreamingHandler) {
      Object.defineProperty(fn, STREAMING, { value: true });
      return fn;
    },
    HttpResponseStream: {
      from(stream: Writable, prelude: HttpPrelude) {
        stream.write(Buffer.from(JSON.stringify(prelude)));
        stream.write(PRELUDE_DELIMITER);
        return stream;
      },
    },
  });
}

export function isStreamingHandler(fn: unknown): fn is StreamingHandler {
  return typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[STREAMING] === true;
}
