/** What a green config adds over blue, so the simulator can serve (or break) exactly those models. */
interface RawRoute {
  intents?: Record<string, string[] | undefined>;
  fallbacks?: string[];
  variants?: Array<{ model: string }>;
}

interface RawConfig {
  models?: Array<{ id: string; endpoints?: Array<{ upstreamModel: string }> }>;
  routes?: Record<string, RawRoute>;
}

/** Upstream model names the green config calls and blue does not (e.g. `gpt-4.1-turbo`). */
export function newUpstreamModels(blue: unknown, green: unknown): string[] {
  const names = (c: unknown) =>
    new Set(((c as RawConfig).models ?? []).flatMap((m) => (m.endpoints ?? []).map((e) => e.upstreamModel)));
  const before = names(blue);
  return [...names(green)].filter((n) => !before.has(n));
}

/** Routes both versions serve: what clients can keep calling through a cutover. */
export function sharedRoutes(blue: unknown, green: unknown): string[] {
  const g = (green as RawConfig).routes ?? {};
  return Object.keys((blue as RawConfig).routes ?? {}).filter((r) => r in g);
}

/**
 * Routes both versions serve that reach a model green adds: the traffic a cutover is about.
 * Falls back to every shared route when none does.
 */
export function routesUnderCutover(blue: unknown, green: unknown): string[] {
  const before = new Set(((blue as RawConfig).models ?? []).map((m) => m.id));
  const added = new Set(((green as RawConfig).models ?? []).map((m) => m.id).filter((id) => !before.has(id)));
  const routes = (green as RawConfig).routes ?? {};
  const shared = sharedRoutes(blue, green);
  const reaching = shared.filter((name) => {
    const r = routes[name];
    const ids = [
      ...Object.values(r.intents ?? {}).flatMap((l) => l ?? []),
      ...(r.fallbacks ?? []),
      ...(r.variants ?? []).map((v) => v.model),
    ];
    return ids.some((id) => added.has(id));
  });
  return reaching.length ? reaching : shared;
}
