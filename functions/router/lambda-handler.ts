/**
 * Builds the streaming router handler around a set of deps. The deployed handler uses one built at
 * cold start; the local emulator builds several (two instances, blue and green versions) from the
 * same code.
 *
 * middy runs the request pipeline; the response is written to the runtime's stream here rather
 * than through middy's `streamifyResponse` mode, because that mode pipes with `pipeline()` and
 * rejects the invocation the moment a client disconnects, skipping `requestEnd`. A disconnect
 * would then lose the partial usage record, leave the budget reservation to the sweep, and count
 * as a Lambda error (which the cutover alarms watch). Here the after-response work always runs.
 */
import middy from '@middy/core';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createRouterApp } from './app';
import type { LogFn, RouterDeps } from './deps';
import type { HttpResult } from './http';

export function createRouterHandler(deps: RouterDeps) {
  const app = createRouterApp(deps);
  const pipelineHandler = middy<APIGatewayProxyEvent, HttpResult>({ timeoutEarlyInMillis: 0 }).handler(
    (event, context) => app(event, context),
  );

  return awslambda.streamifyResponse<APIGatewayProxyEvent>(async (event, responseStream, context: Context) => {
    const result = await pipelineHandler(event, context);
    await writeResponse(result, responseStream, deps.log);
  });
}

export async function writeResponse(result: HttpResult, responseStream: Writable, log: LogFn): Promise<void> {
  const { statusCode, headers, body, afterResponse } = result;
  const out = awslambda.HttpResponseStream.from(responseStream, { statusCode, headers });
  try {
    await pipeline(typeof body === 'string' ? Readable.from([Buffer.from(body, 'utf8')]) : body, out);
  } catch {
    // The client went away mid-response. The body stream was destroyed with it, which stopped the
    // upstream read; the after-response work below records what was used.
  } finally {
    if (afterResponse) {
      try {
        await afterResponse();
      } catch (err) {
        log('error', 'after-response work failed', { error: String(err) });
      }
    }
  }
}
