import type { RouterDeps } from '../deps';
import { json, type HttpResult } from '../http';

/** OpenAI's list shape: the concrete models first, then the routes clients may name as `model`. */
export function listModels(deps: RouterDeps): HttpResult {
  const created = 1_735_689_600; // fixed: the list must not change between calls of one config
  const data = [
    ...[...deps.config.models.values()].map((m) => ({
      id: m.id,
      object: 'model',
      created,
      owned_by: m.endpoints[0].provider,
      context_window: m.contextWindow,
      capabilities: m.capabilities,
    })),
    ...[...deps.config.routes.entries()].map(([name, r]) => ({
      id: name,
      object: 'model',
      created,
      owned_by: 'switchyard',
      description: r.description,
    })),
  ];
  return json(200, { object: 'list', data });
}
