/**
 * GET /v1/admin/requests?limit=N (admin keys only): the newest requests of the local runtime's
 * request log (model, route, attempts, status, cost, overhead), newest last. On Lambda the request
 * log is CloudWatch Logs, so the route answers 404 `not_available` there.
 */
import { GatewayError } from '../../core/openai/errors';
import type { RouterDeps } from '../deps';
import { json, type HttpResult } from '../http';
import { requireAdmin } from '../key-policy';
import type { RequestContext } from '../request-context';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;

export function adminRequests(ctx: RequestContext, deps: RouterDeps): HttpResult {
  requireAdmin(ctx);
  const recent = deps.admin?.recentRequests;
  if (!recent)
    throw new GatewayError(
      404,
      'No request log on this runtime; on AWS read the router log group in CloudWatch Logs.',
      'not_found_error',
      'not_available',
    );
  const asked = Number(ctx.query?.limit);
  const limit = Number.isInteger(asked) && asked > 0 ? Math.min(asked, MAX_LIMIT) : DEFAULT_LIMIT;
  return json(
    200,
    { object: 'list', data: recent(limit) },
    { 'x-request-id': ctx.requestId, 'cache-control': 'no-store' },
  );
}
