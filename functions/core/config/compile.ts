/**
 * Turns raw config JSON into the runtime form: schema-validated, cross-references checked, prices
 * converted to integer micro-dollars, lookups indexed. Every failure names the offending field.
 */
import { type AliasTable, compileAliases } from '../routing/aliases';
import { describeIssue } from '../validation-message';
import { type ModelSlo, resolveModelSlo, sloProblems } from '../slo/objectives';
import {
  ConfigSchema,
  type ModelConfig,
  type ProviderConfig,
  type RouteConfig,
  type SwitchyardConfig,
  type EndpointConfig,
  type ModelKind,
} from './schema';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid Switchyard config:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Prices as integer micro-dollars per million tokens: exact integer arithmetic from here on. */
export interface Prices {
  inputMicrosPerMTok: number;
  outputMicrosPerMTok: number;
  /** Prompt-cache reads and writes, when the config prices them apart (default: the input price). */
  cachedInputMicrosPerMTok?: number;
  cacheWriteMicrosPerMTok?: number;
}

export interface CompiledEndpoint extends Omit<EndpointConfig, 'provider'> {
  model: string;
  /** The kind of its model: what the endpoint is called for (and probed with). */
  modelKind: ModelKind;
  providerName: string;
  provider: ProviderConfig;
}

export interface CompiledModel extends Omit<ModelConfig, 'endpoints' | 'maxOutputTokens' | 'slo'> {
  prices: Prices;
  /** The latency objective it is judged by (its own, or the default tier's); none when undefined. */
  slo?: ModelSlo;
  /** Chat models: from the config (required); embedding models: 0 (they bill input tokens only). */
  maxOutputTokens: number;
  endpoints: CompiledEndpoint[];
}

export interface CompiledConfig {
  /** The validated config: every default filled in, every field checked. */
  settings: SwitchyardConfig;
  models: Map<string, CompiledModel>;
  routes: Map<string, RouteConfig>;
  /** Client names -> model or route (see routing/aliases.ts). */
  aliases: AliasTable;
  endpoints: Map<string, CompiledEndpoint>;
  /** Stable fingerprint of the config, exposed in /health to tell versions apart. */
  fingerprint: string;
}

export function dollarsToMicros(usd: number): number {
  // Round, not truncate: 0.28 * 1e6 is 280000.00000000006 in binary floating point.
  return Math.round(usd * 1_000_000);
}

function path(parts: PropertyKey[]): string {
  return parts
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

export function compileConfig(input: unknown): CompiledConfig {
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${path(i.path) || '(root)'}: ${describeIssue(i)}`));
  }
  const cfg = parsed.data;
  const problems: string[] = [];
  const models = new Map<string, CompiledModel>();
  const endpoints = new Map<string, CompiledEndpoint>();

  cfg.models.forEach((m, i) => {
    if (models.has(m.id)) problems.push(`models[${i}].id: duplicate model id "${m.id}"`);
    if (m.kind === 'chat' && m.maxOutputTokens === undefined)
      problems.push(`models[${i}].maxOutputTokens: required for a chat model`);
    if (m.kind === 'embedding' && m.dimensions === undefined)
      problems.push(`models[${i}].dimensions: required for an embedding model (the vector length it returns)`);
    if (m.kind === 'chat' && m.dimensions !== undefined)
      problems.push(`models[${i}].dimensions: only embedding models have dimensions`);
    const compiled: CompiledEndpoint[] = [];
    m.endpoints.forEach((e, j) => {
      const at = `models[${i}].endpoints[${j}]`;
      const provider = cfg.providers[e.provider];
      if (!provider)
        problems.push(
          `${at}.provider: unknown provider "${e.provider}" (known: ${Object.keys(cfg.providers).join(', ')})`,
        );
      if (endpoints.has(e.id)) problems.push(`${at}.id: duplicate endpoint id "${e.id}"`);
      if (provider) {
        const ce: CompiledEndpoint = { ...e, model: m.id, modelKind: m.kind, providerName: e.provider, provider };
        endpoints.set(e.id, ce);
        compiled.push(ce);
      }
    });
    const { cachedInputPerMTok, cacheWritePerMTok } = m.pricing;
    const { slo: _ownSlo, ...model } = m;
    const slo = resolveModelSlo(m, cfg.slo);
    models.set(m.id, {
      ...model,
      // Models nobody sized get the default cap (`defaults.maxConcurrency: null` leaves them uncapped).
      maxConcurrency: m.maxConcurrency ?? cfg.defaults.maxConcurrency ?? undefined,
      ...(slo ? { slo } : {}),
      maxOutputTokens: m.kind === 'embedding' ? 0 : (m.maxOutputTokens ?? 0),
      endpoints: compiled,
      prices: {
        inputMicrosPerMTok: dollarsToMicros(m.pricing.inputPerMTok),
        outputMicrosPerMTok: dollarsToMicros(m.pricing.outputPerMTok),
        ...(cachedInputPerMTok !== undefined ? { cachedInputMicrosPerMTok: dollarsToMicros(cachedInputPerMTok) } : {}),
        ...(cacheWritePerMTok !== undefined ? { cacheWriteMicrosPerMTok: dollarsToMicros(cacheWritePerMTok) } : {}),
      },
    });
  });

  const known = [...models.keys()].join(', ');
  const checkModel = (id: string, at: string) => {
    if (!models.has(id)) problems.push(`${at}: unknown model "${id}" (known: ${known})`);
  };
  /** Routes classify chat conversations: embedding models have no place in them. */
  const checkChatModel = (id: string, at: string) => {
    checkModel(id, at);
    if (models.get(id)?.kind === 'embedding') problems.push(`${at}: "${id}" is an embedding model; routes serve chat`);
  };
  /** A fallback (or a replaced model) serves the same requests: same kind, and for embeddings the same vector length. */
  const checkSameKind = (m: ModelConfig, id: string, at: string) => {
    const other = models.get(id);
    if (!other) return;
    if (other.kind !== m.kind)
      problems.push(`${at}: "${id}" is an ${other.kind} model and cannot stand in for the ${m.kind} model "${m.id}"`);
    else if (
      m.kind === 'embedding' &&
      m.dimensions !== undefined &&
      other.dimensions !== undefined &&
      other.dimensions !== m.dimensions
    )
      problems.push(
        `${at}: "${id}" returns ${other.dimensions} dimensions, "${m.id}" ${m.dimensions}: embedding fallbacks must have equal dimensions`,
      );
  };
  cfg.models.forEach((m, i) => {
    m.fallbacks.forEach((f, j) => {
      checkModel(f, `models[${i}].fallbacks[${j}]`);
      checkSameKind(m, f, `models[${i}].fallbacks[${j}]`);
    });
    if (m.replaces) {
      checkModel(m.replaces, `models[${i}].replaces`);
      checkSameKind(m, m.replaces, `models[${i}].replaces`);
    }
  });

  const routes = new Map<string, RouteConfig>();
  for (const [name, route] of Object.entries(cfg.routes)) {
    if (models.has(name)) problems.push(`routes.${name}: a route cannot share its name with a model`);
    for (const [intent, list] of Object.entries(route.intents)) {
      (list ?? []).forEach((id, j) => {
        checkChatModel(id, `routes.${name}.intents.${intent}[${j}]`);
      });
    }
    route.fallbacks.forEach((id, j) => {
      checkChatModel(id, `routes.${name}.fallbacks[${j}]`);
    });
    route.variants?.forEach((v, j) => {
      checkChatModel(v.model, `routes.${name}.variants[${j}].model`);
    });
    routes.set(name, route);
  }
  for (const [name, p] of Object.entries(cfg.providers)) {
    // Bedrock providers have no base URL (their endpointUrl override is for VPC endpoints and the simulator).
    if (p.baseUrl === undefined) continue;
    const problem = baseUrlProblem(p.baseUrl);
    if (problem) problems.push(`providers.${name}.baseUrl: ${problem}`);
  }
  for (const [name, target] of Object.entries(cfg.aliases)) {
    if (!models.has(target) && !routes.has(target)) {
      problems.push(
        `aliases.${name}: unknown model or route "${target}" (known: ${[...models.keys(), ...routes.keys()].join(', ')})`,
      );
    }
    if (models.has(name) || routes.has(name))
      problems.push(`aliases.${name}: an alias cannot share its name with a model or route`);
  }
  problems.push(...sloProblems(cfg));
  if (cfg.budgets.lowFactor > cfg.budgets.highFactor) {
    problems.push('budgets.lowFactor: must not exceed budgets.highFactor');
  }

  if (problems.length) throw new ConfigError(problems);
  return {
    settings: cfg,
    models,
    routes,
    aliases: compileAliases(cfg.aliases),
    endpoints,
    fingerprint: fingerprint(JSON.stringify(cfg)),
  };
}

/**
 * Provider keys travel in every request: only over TLS, except to this machine (a local model
 * server, the simulated providers), where nothing crosses a network.
 */
export function baseUrlProblem(baseUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return 'must be a URL';
  }
  if (url.protocol === 'https:') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  if (url.protocol === 'http:' && loopback) return undefined;
  return 'must use https:// (http:// is accepted only for loopback addresses: 127.0.0.1, localhost, [::1])';
}

/** FNV-1a, enough to tell two configs apart in /health; not a security hash. */
function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
