/**
 * Builds the streaming router handler around a set of deps. The deployed handler uses one built at
 * cold start; the local emulator builds several (two instances, blue and green versions) from the
 * same code.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createRouterApp } from './app';
import type { RouterDeps } from './deps';
import type { HttpResult } from './http';

export function createRouterHandler(deps: RouterDeps) {
  const app = createRouterApp(deps);
  const pending = new WeakMap<object, () => Promise<void>>();

  return middy<APIGatewayProxyEvent, Omit<HttpResult, 'afterResponse'>>({
    streamifyResponse: true,
    // The gateway keeps its own deadline from getRemainingTimeInMillis; middy's early timeout would
    // race it and turn a clean 504 into an unhandled TimeoutError.
    timeoutEarlyInMillis: 0,
    // Runs after the last byte was written: settlement and counters never delay the client.
    requestEnd: async (request) => {
      const after = pending.get(request.context);
      if (!after) return;
      pending.delete(request.context);
      try {
        await after();
      } catch (err) {
        deps.log('error', 'after-response work failed', { error: String(err) });
      }
    },
  }).handler(async (event: APIGatewayProxyEvent, context: Context) => {
    const { afterResponse, ...result } = await app(event, context);
    if (afterResponse) pending.set(context, afterResponse);
    return result;
  });
}
