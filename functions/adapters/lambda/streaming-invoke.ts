/** Invokes one version of a streaming function and collects every byte it streams back. */
import { InvokeWithResponseStreamCommand, type LambdaClient } from '@aws-sdk/client-lambda';

export type StreamingLambda = Pick<LambdaClient, 'send'>;

/**
 * `functionArn` is version-qualified, so the call reaches exactly that version, never the alias.
 * A function error (crash, timeout) arrives as InvokeComplete.ErrorCode after the bytes: thrown.
 */
export function createStreamingInvoker(client: StreamingLambda, functionArn: string) {
  return async (payload: unknown, signal: AbortSignal): Promise<Uint8Array> => {
    const out = await client.send(
      new InvokeWithResponseStreamCommand({ FunctionName: functionArn, Payload: Buffer.from(JSON.stringify(payload)) }),
      { abortSignal: signal as never },
    );
    const chunks: Uint8Array[] = [];
    for await (const ev of out.EventStream ?? []) {
      if (ev.PayloadChunk?.Payload) chunks.push(ev.PayloadChunk.Payload);
      if (ev.InvokeComplete?.ErrorCode) {
        throw new Error(
          `${functionArn} failed: ${ev.InvokeComplete.ErrorCode}${ev.InvokeComplete.ErrorDetails ? `: ${ev.InvokeComplete.ErrorDetails}` : ''}`,
        );
      }
    }
    return Buffer.concat(chunks);
  };
}
