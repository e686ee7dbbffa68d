import { errors } from '../../core/openai/errors';
import { allowsRequestedName, namesFor, resolveModelName } from '../../core/routing/plan';
import type { RouterDeps } from '../deps';
import { json, type HttpResult } from '../http';
import type { RequestContext } from '../request-context';

/** Fixed: the list must not change between calls of one config. */
const CREATED = 1_735_689_600;

/** Every id a client may send as `model`: concrete models first, then routes. Never URLs or key names. */
function modelObjects(deps: RouterDeps) {
  return [
    ...[...deps.config.models.values()].map((m) => ({
      id: m.id,
      object: 'model' as const,
      created: CREATED,
      owned_by: m.endpoints[0].providerName,
      kind: m.kind,
      context_window: m.contextWindow,
      ...(m.kind === 'embedding' ? { dimensions: m.dimensions } : { capabilities: m.capabilities }),
    })),
    ...[...deps.config.routes.entries()].map(([name, r]) => ({
      id: name,
      object: 'model' as const,
      created: CREATED,
      owned_by: 'switchyard',
      description: r.description,
    })),
    ...aliasObjects(deps, [...deps.config.aliases.exact.keys(), ...deps.config.aliases.prefixes.map(([p]) => `${p}*`)]),
  ];
}

/** Aliases (exact names, and `prefix*` patterns) name what they stand for. */
function aliasObjects(deps: RouterDeps, ids: string[]) {
  return ids.flatMap((id) => {
    const resolved = resolveModelName(deps.config, id.endsWith('*') ? id.slice(0, -1) : id);
    if (!resolved.alias) return [];
    return [{ id, object: 'model' as const, created: CREATED, owned_by: 'switchyard', alias_of: resolved.name }];
  });
}

/**
 * What this caller may send: a key with an allow-list sees only the models, routes and aliases it
 * could call (as OpenAI lists the models a key can use), so one tenant's list does not tell it what
 * others are offered.
 */
function visibleTo(ctx: RequestContext, deps: RouterDeps) {
  const allowed = ctx.key?.allowedModels;
  return (id: string) => allowsRequestedName(deps.config, allowed, id);
}

/** GET /v1/models in OpenAI's list shape. */
export function listModels(ctx: RequestContext, deps: RouterDeps): HttpResult {
  const visible = visibleTo(ctx, deps);
  return json(200, { object: 'list', data: modelObjects(deps).filter((m) => visible(m.id)) });
}

/** GET /v1/models/{model}: one model or route, or OpenAI's 404. */
export function retrieveModel(ctx: RequestContext, deps: RouterDeps): HttpResult {
  const raw = ctx.path.slice(ctx.path.indexOf('/v1/models/') + '/v1/models/'.length);
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    id = raw;
  }
  const visible = visibleTo(ctx, deps);
  const found = modelObjects(deps).find((m) => m.id === id) ?? aliasObjects(deps, [id])[0];
  if (!found || !visible(found.id)) {
    throw errors.unknownModel(id, namesFor(deps.config, ctx.key?.allowedModels));
  }
  return json(200, found);
}
