/**
 * The zod schema's default for `budgets.globalDailyUsd`. lib/ may not import the schema (runtime
 * code), so the value is repeated here; test/infra/observability.test.ts fails if the two differ.
 */
export const DEFAULT_GLOBAL_DAILY_USD = 100;

export interface ObservedModel {
  readonly id: string;
  readonly endpoints: readonly string[];
  readonly dailyBudgetUsd?: number;
}

/** What the dashboard and the alarms need from the routing config: models, endpoints, budgets. */
export interface ObservedConfig {
  readonly globalDailyUsd: number;
  readonly models: readonly ObservedModel[];
}

/**
 * Picks those fields from the config the router bundles (`RouterFunction.bundledConfigJson`), which
 * the router construct (and the zod schema in `cdk synth`) already validated.
 */
export function observedConfig(raw: unknown): ObservedConfig {
  const cfg = (raw ?? {}) as {
    budgets?: { globalDailyUsd?: number };
    models?: Array<{ id: string; dailyBudgetUsd?: number; endpoints?: Array<{ id: string }> }>;
  };
  return {
    globalDailyUsd: cfg.budgets?.globalDailyUsd ?? DEFAULT_GLOBAL_DAILY_USD,
    models: (cfg.models ?? []).map((m) => ({
      id: m.id,
      endpoints: (m.endpoints ?? []).map((e) => e.id),
      ...(typeof m.dailyBudgetUsd === 'number' ? { dailyBudgetUsd: m.dailyBudgetUsd } : {}),
    })),
  };
}
