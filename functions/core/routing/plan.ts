/**
 * Turns a request into an ordered list of candidate models. Static decisions only (config, the
 * request's shape, the budget factor); live state (breakers, health, budgets, leases) is applied by
 * the executor as it walks the list, so this stays pure and exhaustively testable.
 */
import type { CompiledConfig, CompiledModel } from '../config/compile';
import type { Capability, Intent, RouteConfig } from '../config/schema';
import { errors, GatewayError } from '../openai/errors';
import { matchAlias } from './aliases';
import { compileAllowList } from './allow-list';
import { classifyIntent, conversationText } from './intent';

export interface PlanRequest {
  model: string;
  messages: ReadonlyArray<{ role: string; content?: unknown }>;
  tools?: unknown[] | null;
  stream?: boolean | null;
  response_format?: unknown;
  maxTokens?: number;
  promptTokens: number;
  /** `n`: completions requested; each is billed (default 1). */
  choices?: number;
}

export interface PlanOptions {
  /** From x-budget-factor (already validated) or the key's default. */
  budgetFactor?: number;
  /** x-switchyard-fallback: off — the named model or nothing. */
  fallbackOff?: boolean;
  /** 0..1 random draw for weighted variants. */
  random: () => number;
  /** The key's allow-list (models and routes); empty or absent = everything. Names or `prefix*` patterns; see `allowedModelFilter`. */
  allowedModels?: readonly string[];
}

export type SkipReason = 'context' | 'capability' | 'output_cap' | 'budget_price' | 'not_allowed';

export interface Plan {
  route: string | null;
  /** The alias the request's model name matched (`claude-sonnet-4-5*`), when it was one. */
  alias?: string;
  intent: Intent | null;
  variant: string | null;
  budgetFactor: number;
  /** Models in the order they will be tried. */
  candidates: string[];
  /** Models left out by static checks, for the explanation headers and errors. */
  skipped: Array<{ model: string; reason: SkipReason }>;
}

/** Output tokens assumed when ranking by cost and the request sets no max_tokens. */
const TYPICAL_OUTPUT_TOKENS = 500;

export function requiredCapabilities(req: PlanRequest): Capability[] {
  const caps: Capability[] = [];
  if (req.tools && req.tools.length > 0) caps.push('tools');
  if (req.stream) caps.push('streaming');
  const rf = req.response_format as { type?: unknown } | undefined;
  if (rf && (rf.type === 'json_object' || rf.type === 'json_schema')) caps.push('json_mode');
  const hasImage = req.messages.some(
    (m) =>
      Array.isArray(m.content) &&
      m.content.some((p) => p && typeof p === 'object' && String((p as { type?: unknown }).type).startsWith('image')),
  );
  if (hasImage) caps.push('vision');
  return caps;
}

/** Expected cost of this request on a model, in micro-dollars x 1e6 (no rounding needed to compare). */
export function expectedCostScaled(model: CompiledModel, req: PlanRequest): number {
  const out = (req.maxTokens ?? Math.min(TYPICAL_OUTPUT_TOKENS, model.maxOutputTokens)) * (req.choices ?? 1);
  return req.promptTokens * model.prices.inputMicrosPerMTok + out * model.prices.outputMicrosPerMTok;
}

function pickVariant(route: RouteConfig, random: number): string | null {
  if (!route.variants?.length) return null;
  const total = route.variants.reduce((s, v) => s + v.weight, 0);
  let x = random * total;
  for (const v of route.variants) {
    x -= v.weight;
    if (x < 0) return v.model;
  }
  return route.variants[route.variants.length - 1].model;
}

function dedupe(ids: string[]): string[] {
  return [...new Set(ids)];
}

/** A cutover keeps the model being replaced as the last resort of any chain that holds its successor. */
function withReplacedModels(cfg: CompiledConfig, chain: string[]): string[] {
  const tail = chain.map((id) => cfg.models.get(id)?.replaces).filter((x): x is string => !!x);
  return dedupe([...chain, ...tail]);
}

/** The model or route a client name stands for: itself, or an alias's target. */
export function resolveModelName(cfg: CompiledConfig, name: string): { name: string; alias?: string } {
  const hit = matchAlias(cfg.aliases, name, (n) => cfg.models.has(n) || cfg.routes.has(n));
  return hit ? { name: hit.target, alias: hit.alias } : { name };
}

/** Every model a route may put in a chain: its variants, every intent's models, its fallbacks. */
export function routeModels(route: RouteConfig): string[] {
  return dedupe([
    ...(route.variants ?? []).map((v) => v.model),
    ...Object.values(route.intents).flatMap((l) => l ?? []),
    ...route.fallbacks,
  ]);
}

/**
 * Which models a chain for `requested` may hold under a key's allow-list. The rule: a client may send
 * only a name the list allows (exactly or by a `prefix*` pattern, see allow-list.ts); a model the
 * list allows may be a candidate of any chain; an allowed route, when requested, may use every model
 * it can pick (its variants, intents and fallbacks). Nothing else is allowed: not an allowed model's
 * configured fallbacks, not the model a cutover `replaces`, nor a route's models by name, unless the
 * list allows them too. Undefined when the key has no list (everything allowed).
 */
export function allowedModelFilter(
  cfg: CompiledConfig,
  allowed: readonly string[] | undefined,
  requested: string,
): ((model: string) => boolean) | undefined {
  const list = compileAllowList(allowed);
  if (!list) return undefined;
  const route = list.allows(requested) ? cfg.routes.get(requested) : undefined;
  const viaRoute = new Set(route ? routeModels(route) : []);
  return (model) => list.allows(model) || viaRoute.has(model);
}

/**
 * The model, route and alias names a key may send, for a 404's list of valid names: a key limited
 * to some models is not told what else the gateway offers other tenants.
 */
export function namesFor(cfg: CompiledConfig, allowed: readonly string[] | undefined): string[] {
  return [...cfg.models.keys(), ...cfg.routes.keys(), ...cfg.aliases.exact.keys()].filter((n) =>
    allowsRequestedName(cfg, allowed, n),
  );
}

/** Whether a client may send `name`: the list allows the name sent and, for an alias, its target. */
export function allowsRequestedName(
  cfg: CompiledConfig,
  allowed: readonly string[] | undefined,
  name: string,
): boolean {
  const list = compileAllowList(allowed);
  if (!list) return true;
  const resolved = resolveModelName(cfg, name);
  return list.allows(name) && list.allows(resolved.name);
}

export function modelNotAllowed(requested: string, allowed: readonly string[]): GatewayError {
  return new GatewayError(
    403,
    `This API key may not use '${requested}'. Allowed: ${allowed.join(', ')}.`,
    'permission_error',
    'model_not_allowed',
    'model',
  );
}

export function planRequest(cfg: CompiledConfig, req: PlanRequest, opts: PlanOptions): Plan {
  // An alias stands for its target; a key must allow the name sent and, for an alias, its target.
  const resolved = resolveModelName(cfg, req.model);
  const direct = cfg.models.get(resolved.name);
  const route = direct ? undefined : cfg.routes.get(resolved.name);
  const allowed = allowedModelFilter(cfg, opts.allowedModels, resolved.name);
  // A name the key may not use is refused before saying whether it exists.
  if (!allowsRequestedName(cfg, opts.allowedModels, req.model)) throw modelNotAllowed(req.model, opts.allowedModels!);
  if (!direct && !route) throw errors.unknownModel(req.model, namesFor(cfg, opts.allowedModels));
  if (direct?.kind === 'embedding')
    throw new GatewayError(
      400,
      `${direct.id} is an embedding model: send it to /v1/embeddings, not /v1/chat/completions.`,
      'invalid_request_error',
      'wrong_model_kind',
      'model',
    );

  let chain: string[];
  let intent: Intent | null = null;
  let variant: string | null = null;
  const budgetFactor = opts.budgetFactor ?? route?.defaultBudgetFactor ?? 1;

  if (direct) {
    chain = opts.fallbackOff ? [direct.id] : withReplacedModels(cfg, [direct.id, ...direct.fallbacks]);
  } else {
    const r = route!;
    intent = classifyIntent(cfg.settings.intentRules, {
      text: conversationText(req.messages),
      hasTools: !!req.tools?.length,
      promptTokens: req.promptTokens,
    });
    const forIntent = r.intents[intent] ?? r.intents.general ?? [];
    variant = pickVariant(r, opts.random());
    chain = withReplacedModels(cfg, dedupe([...(variant ? [variant] : []), ...forIntent, ...r.fallbacks]));
  }

  const skipped: Plan['skipped'] = [];
  const caps = requiredCapabilities(req);
  /** Models that could serve the request but the key may not use (for the error when none is left). */
  const couldServe: string[] = [];
  let fitting = chain.filter((id) => {
    const m = cfg.models.get(id)!;
    if (caps.some((c) => !m.capabilities.includes(c))) return skip(id, 'capability');
    if (req.maxTokens !== undefined && req.maxTokens > m.maxOutputTokens) return skip(id, 'output_cap');
    if (req.promptTokens + (req.maxTokens ?? 0) > m.contextWindow) return skip(id, 'context');
    if (allowed && !allowed(id)) {
      couldServe.push(id);
      return skip(id, 'not_allowed');
    }
    return true;
  });
  function skip(model: string, reason: SkipReason): false {
    skipped.push({ model, reason });
    return false;
  }

  // Cost-aware ordering applies to routes only: a concrete model was chosen by the caller.
  if (route && fitting.length > 0) fitting = applyBudget(cfg, req, fitting, budgetFactor, skip);

  if (fitting.length === 0 && couldServe.length > 0) {
    const own = skipped.filter((s) => s.reason !== 'not_allowed');
    throw new GatewayError(
      403,
      `No model this API key may use can serve this request (${own.map((s) => `${s.model}: ${s.reason.replace('_', ' ')}`).join('; ') || 'none in the chain'}); ${couldServe.join(', ')} could, but the key is not allowed to use ${couldServe.length > 1 ? 'them' : 'it'}.`,
      'permission_error',
      'model_not_allowed',
      'model',
    );
  }
  if (fitting.length === 0) throw noFittingModel(req, skipped);
  return {
    route: route ? resolved.name : null,
    ...(resolved.alias ? { alias: resolved.alias } : {}),
    intent,
    variant,
    budgetFactor,
    candidates: fitting,
    skipped,
  };
}

/**
 * High factor keeps the intent's order; a middle factor drops models priced above the configured
 * output price; a low factor tries the cheapest fitting model first (the executor then walks on to
 * the next cheapest when one is unhealthy, so the result is the cheapest healthy candidate).
 */
export function applyBudget(
  cfg: CompiledConfig,
  req: PlanRequest,
  models: string[],
  factor: number,
  skip: (model: string, reason: SkipReason) => false,
): string[] {
  const b = cfg.settings.budgets;
  if (factor >= b.highFactor) return models;
  if (factor <= b.lowFactor) {
    const cost = (id: string) => expectedCostScaled(cfg.models.get(id)!, req);
    return [...models].sort((a, b2) => cost(a) - cost(b2));
  }
  const affordable = models.filter(
    (id) => cfg.models.get(id)!.pricing.outputPerMTok <= b.midMaxOutputPerMTok || skip(id, 'budget_price'),
  );
  return affordable;
}

function noFittingModel(req: PlanRequest, skipped: Plan['skipped']): GatewayError {
  const reasons = new Set(skipped.map((s) => s.reason));
  if (reasons.has('context') && reasons.size === 1) {
    return new GatewayError(
      400,
      `This request needs about ${req.promptTokens} prompt tokens plus ${req.maxTokens ?? 0} output tokens, more than the context window of ${skipped.map((s) => s.model).join(', ')}.`,
      'invalid_request_error',
      'context_length_exceeded',
      'messages',
    );
  }
  if (reasons.has('budget_price') && reasons.size === 1) {
    return new GatewayError(
      400,
      `No model of this route is priced within the requested budget factor (${skipped.map((s) => s.model).join(', ')} are above it).`,
      'invalid_request_error',
      'budget_too_low',
      'x-budget-factor',
    );
  }
  const detail = skipped.map((s) => `${s.model}: ${s.reason.replace('_', ' ')}`).join('; ');
  return new GatewayError(
    400,
    `No configured model can serve this request (${detail}).`,
    'invalid_request_error',
    'no_capable_model',
    'model',
  );
}

/** Parses x-budget-factor; a bad value is a client error naming the header. */
export function parseBudgetFactor(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw errors.invalidField('x-budget-factor', 'must be a number between 0 and 1');
  return n;
}
