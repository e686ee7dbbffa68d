import type { RouterDeps } from '../deps';
import type { HttpResult } from '../http';
import type { RequestContext } from '../request-context';
import { errors } from '../../core/openai/errors';
export async function responses(ctx: RequestContext, _deps: RouterDeps): Promise<HttpResult> {
  throw errors.notFound(ctx.method, ctx.path);
}
