/** The streaming API the Lambda Node.js runtime puts on the global object (polyfilled locally by local/lambda-streaming.ts). */
import type { Writable } from 'node:stream';
import type { Context } from 'aws-lambda';

declare global {
  // eslint-disable-next-line no-var
  var awslambda: {
    streamifyResponse<TEvent>(
      handler: (event: TEvent, responseStream: Writable, context: Context) => Promise<void>,
    ): (event: TEvent, context: Context) => Promise<void>;
    HttpResponseStream: {
      from(
        stream: Writable,
        prelude: { statusCode?: number; headers?: Record<string, string>; cookies?: string[] },
      ): Writable;
    };
  };
}
