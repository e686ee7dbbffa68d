/**
 * Builds the admin function's handler around its deps: a buffered Lambda proxy handler (its answers
 * are small JSON documents; nothing streams), shared by the deployed handler and tests.
 */
import middy from '@middy/core';
import type { Readable } from 'node:stream';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createAdminApp, type AdminAppDeps } from './app';

async function text(body: string | Readable): Promise<string> {
  if (typeof body === 'string') return body;
  let out = '';
  for await (const chunk of body) out += Buffer.from(chunk).toString('utf8');
  return out;
}

export function createAdminHandler(deps: AdminAppDeps) {
  const app = createAdminApp(deps);
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>().handler(async (event, context) => {
    const result = await app(event, context);
    const body = await text(result.body);
    await result.afterResponse?.();
    return { statusCode: result.statusCode, headers: result.headers, body };
  });
}
