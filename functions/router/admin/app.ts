/**
 * The admin function: `/v1/admin/keys...` and `/v1/admin/cutover` on the deployed stack, where API
 * Gateway sends them to this function instead of the router (lib/constructs/api.ts). It runs the
 * router's own route code for them, so error shapes, admin checks and audit lines are the same in
 * both; what differs is the role it runs under: write access to the keys table and read access to
 * the router's alias, deployment group and cutover alarms, none of which the router has.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { errors, toGatewayError } from '../../core/openai/errors';
import type { LogFn } from '../deps';
import { errorResult, type HttpResult } from '../http';
import { requestContextFrom, type RequestContext } from '../request-context';
import { adminCutover } from '../routes/admin-cutover';
import { createKey, keyById, listKeys } from '../routes/admin-keys';
import type { AdminDeps } from './admin-deps';

export interface AdminAppDeps {
  admin: AdminDeps;
  log: LogFn;
  now: () => number;
}

type Route = (ctx: RequestContext, deps: AdminAppDeps) => Promise<HttpResult>;

const KEYS = '/v1/admin/keys';

function routeOf(path: string, method: string): Route {
  // API Gateway may prefix the stage (`/prod/v1/...`) when called through a custom domain mapping.
  const at = path.indexOf('/v1/admin/');
  const rest = at < 0 ? path : path.slice(at);
  const methods: Partial<Record<string, Route>> | undefined =
    rest === KEYS
      ? { GET: listKeys, POST: createKey }
      : rest.startsWith(`${KEYS}/`) && rest.length > KEYS.length + 1
        ? { GET: keyById, PATCH: keyById, POST: keyById }
        : rest === '/v1/admin/cutover'
          ? { GET: adminCutover }
          : undefined;
  if (!methods) throw errors.notFound(method, path);
  const route = methods[method];
  if (!route) throw errors.methodNotAllowed(method, path);
  return route;
}

export function createAdminApp(deps: AdminAppDeps) {
  return async function handle(event: APIGatewayProxyEvent, context: Partial<Context>): Promise<HttpResult> {
    const ctx = requestContextFrom(event, context, deps.now());
    try {
      return await routeOf(ctx.path, ctx.method)(ctx, deps);
    } catch (err) {
      const gwErr = toGatewayError(err, ctx.requestId);
      if (gwErr.status >= 500)
        deps.log('error', 'admin request failed', {
          requestId: ctx.requestId,
          error: String((err as Error)?.stack ?? err),
        });
      return errorResult(gwErr, { 'x-request-id': ctx.requestId });
    }
  };
}
