/**
 * GET /v1/admin/cutover (admin keys only): the deployment in progress (or the last one) as the
 * runtime knows it: the live alias' weights, the cutover alarms' states and the events so far. The
 * local runtime reports `npm run cutover`'s rehearsal when one runs in its process; on AWS the admin
 * function reads Lambda, CodeDeploy and CloudWatch (adapters/aws/cutover-status.ts). With nothing to
 * show: `{ state: "idle" }`.
 */
import type { RouterDeps } from '../deps';
import { json, type HttpResult } from '../http';
import { requireAdmin } from '../key-policy';
import type { RequestContext } from '../request-context';

export async function adminCutover(ctx: RequestContext, deps: Pick<RouterDeps, 'admin'>): Promise<HttpResult> {
  requireAdmin(ctx);
  const view = await deps.admin?.cutover?.();
  return json(200, view ?? { state: 'idle', message: 'No deployment in progress.' }, {
    'x-request-id': ctx.requestId,
    'cache-control': 'no-store',
  });
}
