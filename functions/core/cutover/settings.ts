/**
 * How a new router version takes over the `live` alias: the traffic shift CodeDeploy applies, the
 * alarms that stop it, and the pre-traffic check. Declared once: the zod schema takes its defaults
 * from here, the CDK stack reads the settings of the config it bundles, and the local cutover
 * (`npm run cutover`) runs the same schedule and alarm rules.
 */
/** Environment variable of the pre-traffic hook: the version-qualified ARN of the router version under test. */
export const PRE_TRAFFIC_TARGET_ENV = 'TARGET_VERSION_ARN';

export const TRAFFIC_SHIFTS = ['canary', 'linear', 'all_at_once'] as const;
export type TrafficShift = (typeof TRAFFIC_SHIFTS)[number];

export interface CutoverAlarmSettings {
  /** (5xx answered + failed upstream attempts) per 100 requests of the new version. */
  errorRatePercent: number;
  /**
   * Requests of the new version answered after passing over a candidate, per 100. Catches a new
   * model whose breaker opened: its failures stop (it is skipped) but every request falls back.
   */
  fallbackRatePercent: number;
  p99LatencyMs: number;
  /** Lambda `Errors` of the new version per period above which it is rolled back. */
  functionErrors: number;
  /** Rate alarms stay quiet in a period with fewer requests than this (one bad call in two is noise). */
  minRequests: number;
  periodSeconds: number;
  /** Consecutive breaching periods that roll back (datapoints to alarm = evaluation periods). */
  evaluationPeriods: number;
}

export interface PreTrafficSettings {
  /** Check every model and route of the new version before it takes traffic. */
  enabled: boolean;
  /** Per synthetic request. */
  requestTimeoutMs: number;
}

export interface CutoverSettings {
  traffic: TrafficShift;
  /** canary: the first step; linear: every step. */
  percent: number;
  /** canary: time at the first step; linear: time between steps. */
  intervalMinutes: number;
  alarms: CutoverAlarmSettings;
  preTraffic: PreTrafficSettings;
}

/** Canary 10% for 5 minutes, then all; two breaching minutes roll back. */
export const CUTOVER_DEFAULTS: CutoverSettings = {
  traffic: 'canary',
  percent: 10,
  intervalMinutes: 5,
  alarms: {
    errorRatePercent: 5,
    fallbackRatePercent: 25,
    // LLM calls are slow; a minute at p99 means something is wrong, not that a reply was long.
    p99LatencyMs: 60_000,
    functionErrors: 0,
    minRequests: 5,
    periodSeconds: 60,
    evaluationPeriods: 2,
  },
  preTraffic: { enabled: true, requestTimeoutMs: 30_000 },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pick<T extends object>(defaults: T, raw: unknown): T {
  const src = isObject(raw) ? raw : {};
  const out = { ...defaults } as Record<string, unknown>;
  for (const key of Object.keys(defaults)) if (src[key] !== undefined) out[key] = src[key];
  return out as T;
}

/**
 * The `cutover` section of a raw (not yet validated) config with the defaults filled in, for code
 * that may not load the zod schema (lib/). Validation is the schema's job: the stack validates the
 * config with `compileConfig` before it reads this.
 */
export function cutoverSettings(section: unknown): CutoverSettings {
  const raw = isObject(section) ? section : {};
  return {
    ...pick(
      {
        traffic: CUTOVER_DEFAULTS.traffic,
        percent: CUTOVER_DEFAULTS.percent,
        intervalMinutes: CUTOVER_DEFAULTS.intervalMinutes,
      },
      raw,
    ),
    alarms: pick(CUTOVER_DEFAULTS.alarms, raw.alarms),
    preTraffic: pick(CUTOVER_DEFAULTS.preTraffic, raw.preTraffic),
  };
}
