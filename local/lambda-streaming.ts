/**
 * The `awslambda` global the Lambda Node.js runtime provides to streaming functions, rebuilt for
 * the local runtime. It follows the real wire protocol: `HttpResponseStream.from` writes a JSON
 * prelude (status, headers) and eight NUL bytes, then the body, and the emulator parses it back,
 * so the handler under test is byte-for-byte the one that runs on AWS. Nothing is buffered.
 * (lambda-stream, the usual choice, buffers the whole body, which would hide streaming bugs.)
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { Context } from 'aws-lambda';

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

/** A Lambda invocation context for local invocations: a deadline `timeoutMs` away and the invoked ARN's qualifier. */
export function localLambdaContext(opts: {
  functionName: string;
  version: string;
  qualifier: string;
  timeoutMs: number;
}): Context {
  const deadline = Date.now() + opts.timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: opts.functionName,
    functionVersion: opts.version,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${opts.functionName}:${opts.qualifier}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${opts.functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
