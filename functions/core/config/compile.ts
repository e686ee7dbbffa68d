/**
 * Turns raw config JSON into the runtime form: schema-validated, cross-references checked, prices
 * converted to integer micro-dollars, lookups indexed. Every failure names the offending field.
 */
import { type AliasTable, compileAliases } from '../routing/aliases';
import { describeIssue } from '../validation-message';
import {
  ConfigSchema,
  type ModelConfig,
  type ProviderConfig,
  type RouteConfig,
  type SwitchyardConfig,
  type EndpointConfig,
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
}

export interface CompiledEndpoint extends Omit<EndpointConfig, 'provider'> {
  model: string;
  providerName: string;
  provider: ProviderConfig;
}

export interface CompiledModel extends Omit<ModelConfig, 'endpoints'> {
  prices: Prices;
  endpoints: CompiledEndpoint[];
}

export interface CompiledConfig {
  raw: SwitchyardConfig;
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
        const ce: CompiledEndpoint = { ...e, model: m.id, providerName: e.provider, provider };
        endpoints.set(e.id, ce);
        compiled.push(ce);
      }
    });
    models.set(m.id, {
      ...m,
      endpoints: compiled,
      prices: {
        inputMicrosPerMTok: dollarsToMicros(m.pricing.inputPerMTok),
        outputMicrosPerMTok: dollarsToMicros(m.pricing.outputPerMTok),
      },
    });
  });

  const known = [...models.keys()].join(', ');
  const checkModel = (id: string, at: string) => {
    if (!models.has(id)) problems.push(`${at}: unknown model "${id}" (known: ${known})`);
  };
  cfg.models.forEach((m, i) => {
    m.fallbacks.forEach((f, j) => {
      checkModel(f, `models[${i}].fallbacks[${j}]`);
    });
    if (m.replaces) checkModel(m.replaces, `models[${i}].replaces`);
  });

  const routes = new Map<string, RouteConfig>();
  for (const [name, route] of Object.entries(cfg.routes)) {
    if (models.has(name)) problems.push(`routes.${name}: a route cannot share its name with a model`);
    for (const [intent, list] of Object.entries(route.intents)) {
      (list ?? []).forEach((id, j) => {
        checkModel(id, `routes.${name}.intents.${intent}[${j}]`);
      });
    }
    route.fallbacks.forEach((id, j) => {
      checkModel(id, `routes.${name}.fallbacks[${j}]`);
    });
    route.variants?.forEach((v, j) => {
      checkModel(v.model, `routes.${name}.variants[${j}].model`);
    });
    routes.set(name, route);
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
  if (cfg.budgets.lowFactor > cfg.budgets.highFactor) {
    problems.push('budgets.lowFactor: must not exceed budgets.highFactor');
  }

  if (problems.length) throw new ConfigError(problems);
  return {
    raw: cfg,
    models,
    routes,
    aliases: compileAliases(cfg.aliases),
    endpoints,
    fingerprint: fingerprint(JSON.stringify(cfg)),
  };
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
