/** Method + path dispatch shared by the Lambda handler, the local emulator and tests. */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { errors, toGatewayError } from '../core/openai/errors';
import type { RouterDeps } from './deps';
import { errorResult, type HttpResult } from './http';
import { requestContextFrom, type RequestContext } from './request-context';
import { chatCompletions } from './chat/route';
import { embeddings } from './routes/embeddings';
import { withAliasTargets } from './key-policy';
import { countTokens, messages } from './routes/messages';
import { responses } from './routes/responses';
import { deepHealth } from './routes/health';
import { listModels, retrieveModel } from './routes/models';
import { stats } from './routes/stats';
import { adminCutover } from './routes/admin-cutover';
import { createKey, keyById, listKeys } from './routes/admin-keys';
import { adminRequests } from './routes/admin-requests';
import { adminState } from './routes/admin-state';
import { consolePage, consoleScript, consoleStyles } from './routes/console';

type Route = (ctx: RequestContext, deps: RouterDeps) => HttpResult | Promise<HttpResult>;

const ROUTES: Record<string, Partial<Record<string, Route>>> = {
  '/v1/chat/completions': { POST: chatCompletions },
  '/v1/embeddings': { POST: embeddings },
  '/v1/messages': { POST: messages },
  '/v1/messages/count_tokens': { POST: countTokens },
  '/v1/responses': { POST: responses },
  '/v1/models': { GET: listModels },
  // Admin keys only. Anonymous GET /health never reaches the router: API Gateway answers it itself
  // (a MOCK integration, lib/constructs/api.ts) and so does the local emulator.
  '/health/deep': { GET: deepHealth },
  '/v1/stats': { GET: stats },
  '/v1/admin/keys': { GET: listKeys, POST: createKey },
  '/v1/admin/state': { GET: adminState },
  '/v1/admin/requests': { GET: adminRequests },
  '/v1/admin/cutover': { GET: adminCutover },
  '/console': { GET: consolePage },
  '/console/app.js': { GET: consoleScript },
  '/console/app.css': { GET: consoleStyles },
};

/** Routes with a path parameter (API Gateway resource `/v1/models/{model+}`). */
const PREFIX_ROUTES: Array<[string, Partial<Record<string, Route>>]> = [
  ['/v1/models/', { GET: retrieveModel }],
  ['/v1/admin/keys/', { GET: keyById, PATCH: keyById, POST: keyById }],
];

/** API Gateway may prefix the stage (`/prod/v1/...`) when called through a custom domain mapping. */
function routeKey(path: string): string | undefined {
  if (ROUTES[path]) return path;
  return Object.keys(ROUTES).find((k) => path.endsWith(k));
}

export function createRouterApp(routerDeps: RouterDeps) {
  const deps: RouterDeps = {
    ...routerDeps,
    keyPolicy: withAliasTargets(routerDeps.keyPolicy, () => routerDeps.config),
  };
  return async function handle(event: APIGatewayProxyEvent, context: Partial<Context>): Promise<HttpResult> {
    const ctx = requestContextFrom(event, context, deps.now());
    try {
      const key = routeKey(ctx.path);
      const methods = key
        ? ROUTES[key]
        : PREFIX_ROUTES.find(([prefix]) => ctx.path.includes(prefix) && !ctx.path.endsWith(prefix))?.[1];
      if (!methods) throw errors.notFound(ctx.method, ctx.path);
      const route = methods[ctx.method];
      if (!route) throw errors.methodNotAllowed(ctx.method, ctx.path);
      return withOverhead(await route(ctx, deps), ctx, deps);
    } catch (err) {
      const gwErr = toGatewayError(err, ctx.requestId);
      if (gwErr.status >= 500) {
        deps.log('error', 'request failed inside the gateway', {
          requestId: ctx.requestId,
          error: String((err as Error)?.stack ?? err),
        });
      }
      return withOverhead(errorResult(gwErr, { 'x-request-id': ctx.requestId }), ctx, deps);
    }
  };
}

/**
 * Every response says how long the gateway itself took. The chat route knows its upstream time and
 * sets the header; anywhere else no upstream was called, so all of the time is overhead.
 */
function withOverhead(result: HttpResult, ctx: RequestContext, deps: RouterDeps): HttpResult {
  if (result.headers['x-switchyard-overhead-ms'] === undefined) {
    result.headers['x-switchyard-overhead-ms'] = String(Math.max(0, deps.now() - ctx.startedAt));
  }
  return result;
}
