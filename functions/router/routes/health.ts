import type { RouterDeps } from '../deps';
import { json, type HttpResult } from '../http';
import type { RequestContext } from '../request-context';

/** The gateway's own liveness plus what it knows; never URLs or keys. */
export function health(ctx: RequestContext, deps: RouterDeps): HttpResult {
  return json(200, {
    status: 'ok',
    version: ctx.functionVersion,
    config: { version: deps.config.raw.version, fingerprint: deps.config.fingerprint },
    models: deps.config.models.size,
    endpoints: deps.config.endpoints.size,
  });
}
