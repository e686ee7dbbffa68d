/**
 * A router invocation with a configured Lambda timeout, as the runtime enforces it: the context's
 * getRemainingTimeInMillis counts down from `timeoutMs`, and if the handler is still running when
 * it reaches 0 the invocation is killed: its response stream is destroyed (the client sees a cut,
 * or API Gateway's 502 if nothing was sent) and whatever it had not done yet never happens.
 */
import type { Writable } from 'node:stream';
import { localLambdaContext, type StreamingHandler } from '../../local/lambda-streaming';

export interface InvocationRecord {
  /** The handler was still running at the timeout and was killed. */
  killed: boolean;
  /** When the handler resolved, in ms after the invocation started (even after a kill: in-process it runs on). */
  finishedAfterMs?: number;
  /** getRemainingTimeInMillis() as first read by the handler. */
  remainingAtStartMs?: number;
}

export function withLambdaTimeout(
  handler: StreamingHandler,
  timeoutMs: number,
  invocations: InvocationRecord[],
): StreamingHandler {
  return globalThis.awslambda.streamifyResponse(async (event: unknown, responseStream: Writable) => {
    const started = Date.now();
    const record: InvocationRecord = { killed: false };
    invocations.push(record);
    const base = localLambdaContext({ functionName: 'switchyard-router', version: '1', qualifier: 'live', timeoutMs });
    const context = {
      ...base,
      getRemainingTimeInMillis: () => {
        const left = base.getRemainingTimeInMillis();
        record.remainingAtStartMs ??= left;
        return left;
      },
    };
    const run = handler(event, responseStream, context).then(() => {
      record.finishedAfterMs = Date.now() - started;
    });
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<'killed'>((resolve) => {
      timer = setTimeout(() => resolve('killed'), timeoutMs);
    });
    const first = await Promise.race([run.then(() => 'done' as const), killed]);
    clearTimeout(timer);
    if (first === 'killed') {
      record.killed = true;
      responseStream.destroy(new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`));
      throw new Error('Task timed out');
    }
  }) as unknown as StreamingHandler;
}
