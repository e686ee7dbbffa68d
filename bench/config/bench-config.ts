/**
 * The bench's routing config: config/switchyard.json with every provider pointed at the bench's
 * one upstream, and two limits lifted that a load test would hit instead of measuring overhead.
 * Both still run their DynamoDB writes: the lease is taken and released, the reservation is made
 * and settled; they just never refuse.
 */
import defaultConfig from '../../config/switchyard.json';
import { BEDROCK_SIMULATED_ENV } from '../../functions/adapters/providers/bedrock/local-credentials';

interface Cfg {
  providers: Record<string, { kind?: string; baseUrl?: string; endpointUrl?: string; apiKeyRef?: string }>;
  models: Array<{ maxConcurrency?: number; dailyBudgetUsd?: number }>;
  budgets: { globalDailyUsd: number };
  defaults?: { maxConcurrency?: number | null };
}

export function benchConfig(upstreamUrl?: string): Cfg {
  const cfg = structuredClone(defaultConfig) as unknown as Cfg;
  if (upstreamUrl)
    for (const [name, p] of Object.entries(cfg.providers)) {
      if (p.kind === 'bedrock') p.endpointUrl = `${upstreamUrl}/${name}`;
      else p.baseUrl = `${upstreamUrl}/${name}/v1`;
    }
  for (const m of cfg.models) {
    if (m.maxConcurrency !== undefined) m.maxConcurrency = Math.max(m.maxConcurrency, 10_000);
    if (m.dailyBudgetUsd !== undefined) m.dailyBudgetUsd = 1_000_000;
  }
  cfg.budgets.globalDailyUsd = 1_000_000;
  // Models without a cap of their own stay uncapped (no default cap of 10), as the load needs.
  cfg.defaults = { maxConcurrency: null };
  return cfg;
}

/** Environment with a (dummy) key for every provider (the simulated upstream accepts any key) and simulated Bedrock. */
export function providerKeyEnv(cfg: Cfg): Record<string, string> {
  return {
    [BEDROCK_SIMULATED_ENV]: '1',
    ...Object.fromEntries(
      Object.values(cfg.providers)
        .filter((p) => p.apiKeyRef)
        .map((p) => [p.apiKeyRef, 'sk-bench-upstream-key']),
    ),
  };
}
