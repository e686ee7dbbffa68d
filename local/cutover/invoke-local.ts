/**
 * Invokes a router version in-process the way the hook invokes it on AWS: the same synthetic event,
 * the raw bytes of the response stream (prelude, NUL delimiter, body), the same decoder.
 */
import { PassThrough } from 'node:stream';
import type { VersionInvoker } from '../../functions/pre-traffic/check-version';
import { decodeHttpStream } from '../../functions/pre-traffic/http-stream';
import { localLambdaContext, type StreamingHandler } from '../lambda-streaming';
import { LOCAL_FUNCTION_NAME } from './version-metrics';

export function localVersionInvoker(
  handler: StreamingHandler,
  version: string,
  functionTimeoutMs = 900_000,
): VersionInvoker {
  return async (event, signal) => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<void>((resolve) => stream.once('end', () => resolve()));
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new Error("timed out after the check's deadline"));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined); // settled by the race below or never observed
    try {
      await Promise.race([
        handler(
          event,
          stream,
          localLambdaContext({
            functionName: LOCAL_FUNCTION_NAME,
            version,
            qualifier: version,
            timeoutMs: functionTimeoutMs,
          }),
        ),
        aborted,
      ]);
      if (!stream.writableEnded) stream.end();
      await Promise.race([ended, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    return decodeHttpStream(Buffer.concat(chunks));
  };
}
