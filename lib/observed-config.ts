import { DEFAULT_ALARM_AFTER_DOWN_ROUNDS } from '../functions/core/health/rounds';
import { type ModelSlo, resolveSlos, type SloAlarmSettings, sloAlarmSettings } from '../functions/core/slo/objectives';

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

/** What the dashboard and the alarms need from the routing config: models, endpoints, budgets, SLOs. */
export interface ObservedConfig {
  readonly globalDailyUsd: number;
  readonly models: readonly ObservedModel[];
  /** Each model's latency objective (core/slo/objectives.ts: the same resolution the router uses). */
  readonly slos?: readonly ModelSlo[];
  readonly sloAlarm?: SloAlarmSettings;
  /** `health.alarmAfterDownRounds`: the per-endpoint alarm's N. */
  readonly alarmAfterDownRounds?: number;
}

/**
 * Picks those fields from the config the router bundles (`RouterFunction.bundledConfigJson`), which
 * the router construct (and the zod schema in `cdk synth`) already validated.
 */
export function observedConfig(raw: unknown): ObservedConfig {
  const cfg = (raw ?? {}) as {
    budgets?: { globalDailyUsd?: number };
    models?: Array<{ id: string; dailyBudgetUsd?: number; endpoints?: Array<{ id: string }> }>;
    health?: { alarmAfterDownRounds?: number };
    slo?: unknown;
  };
  return {
    globalDailyUsd: cfg.budgets?.globalDailyUsd ?? DEFAULT_GLOBAL_DAILY_USD,
    models: (cfg.models ?? []).map((m) => ({
      id: m.id,
      endpoints: (m.endpoints ?? []).map((e) => e.id),
      ...(typeof m.dailyBudgetUsd === 'number' ? { dailyBudgetUsd: m.dailyBudgetUsd } : {}),
    })),
    slos: resolveSlos(cfg),
    sloAlarm: sloAlarmSettings(cfg.slo),
    alarmAfterDownRounds: cfg.health?.alarmAfterDownRounds ?? DEFAULT_ALARM_AFTER_DOWN_ROUNDS,
  };
}
