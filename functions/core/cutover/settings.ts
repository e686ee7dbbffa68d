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
  /**
   * (5xx answered + failed upstream attempts) per 100 requests: how many percentage points the new
   * version may be above the old one over the same period.
   */
  errorRatePercent: number;
  /**
   * Requests answered after passing over a candidate, per 100, in points above the old version.
   * Catches a new model whose breaker opened: its failures stop (it is skipped) but every request
   * falls back.
   */
  fallbackRatePercent: number;
  /** p99 time to first token of the new version's streams (ms). Whole-stream time is not judged. */
  ttftP99Ms: number;
  /** Lambda Errors per 100 invocations, in points above the old version. */
  functionErrorRatePercent: number;
  /** A period judges the new version only with at least this many of its requests (and streams). */
  minRequests: number;
  periodSeconds: number;
  /** N: the periods the alarm looks at. */
  evaluationPeriods: number;
  /** M: breaching periods among the last N that roll back. */
  datapointsToAlarm: number;
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

/** Canary 10% for 5 minutes, then all; two breaching minutes out of three roll back. */
export const CUTOVER_DEFAULTS: CutoverSettings = {
  traffic: 'canary',
  percent: 10,
  intervalMinutes: 5,
  alarms: {
    errorRatePercent: 5,
    fallbackRatePercent: 25,
    // Upstreams take seconds to start answering a long prompt; half a minute before the first token is broken.
    ttftP99Ms: 30_000,
    functionErrorRatePercent: 1,
    minRequests: 5,
    periodSeconds: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
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
