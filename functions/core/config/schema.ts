/**
 * The routing config: one zod schema gives the TypeScript types, the runtime validation and the
 * JSON Schema in config/switchyard.schema.json (written by `npm run schema`).
 *
 * zod/mini rather than zod: the schema ships inside the router bundle, and mini is ~13 KB
 * against ~450 KB for the full build (cold starts pay for every kilobyte).
 */
import { MAX_ROUTER_BODY_BYTES } from '../body-limits';
import * as z from 'zod/mini';
import { CUTOVER_DEFAULTS, TRAFFIC_SHIFTS } from '../cutover/settings';
import { DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS, MAX_AUTHORIZER_CACHE_TTL_SECONDS } from '../key-headers';
import { CacheSchema, RouteCacheSchema } from './cache-schema';
import { DEFAULT_ALARM_AFTER_DOWN_ROUNDS } from '../health/rounds';
import { DEFAULT_SLO_ALARM, DEFAULT_SLO_TIER, SLO_PERCENTILES } from '../slo/objectives';

const nonEmpty = () => z.string().check(z.minLength(1));
/** Model and route names: what OpenAI-style ids use, and what CloudWatch dimensions and alarm names accept. */
const publicName = () =>
  z
    .string()
    .check(
      z.regex(
        /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/,
        'must be 1-100 characters: letters, digits and . _ : / - (starting with a letter or digit)',
      ),
    );
const positiveInt = () => z.int().check(z.positive());
const nonNegativeInt = () => z.int().check(z.gte(0));
const usd = () => z.number().check(z.gte(0));

export const CAPABILITIES = ['tools', 'vision', 'json_mode', 'streaming'] as const;
export const INTENTS = ['code', 'reasoning', 'summary', 'creative', 'general'] as const;
export const BALANCING = ['round_robin', 'weighted', 'least_inflight', 'latency'] as const;

/** A field another provider kind has and this one must not (a copy-paste from the other kind would be ignored). */
const absent = (why: string) => z.optional(z.never(why));

/** An OpenAI-compatible HTTP upstream reached with an API key (the default kind). */
export const OpenAIProviderSchema = z.object({
  kind: z._default(z.literal('openai'), 'openai'),
  /** OpenAI-compatible base URL, up to and including the version segment (e.g. https://api.openai.com/v1). */
  baseUrl: z.url(),
  region: z.optional(nonEmpty()),
  /**
   * Where the provider's API key comes from: locally the environment variable of this name (or .env);
   * on AWS the Secrets Manager secret the stack creates for this provider. Omit for keyless upstreams.
   */
  apiKeyRef: z.optional(nonEmpty()),
  /** Extra headers sent upstream (never secrets: they are not redacted). */
  headers: z.optional(z.record(z.string(), z.string())),
});

const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/**
 * Amazon Bedrock through its own API (Converse, ConverseStream, InvokeModel) with the function's IAM
 * role: no API key. Endpoints name a model id or an inference profile id/ARN as `upstreamModel`.
 */
export const BedrockProviderSchema = z.object({
  kind: z.literal('bedrock'),
  /** The Bedrock runtime region called (the source region of a cross-region inference profile). */
  region: z.string().check(z.regex(AWS_REGION, 'must be an AWS region such as us-east-1')),
  /** A role in another account to assume for the calls (credentials cached until shortly before expiry). */
  roleArn: z.optional(
    z.string().check(z.regex(ROLE_ARN, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)')),
  ),
  /** Overrides the Bedrock runtime endpoint: a VPC interface endpoint, or the local simulator. */
  endpointUrl: z.optional(z.url()),
  baseUrl: absent('a bedrock provider has no baseUrl (use endpointUrl for a VPC endpoint)'),
  apiKeyRef: absent('a bedrock provider has no API key: calls are signed with the IAM role (see roleArn)'),
});

export const ProviderSchema = z.discriminatedUnion('kind', [OpenAIProviderSchema, BedrockProviderSchema]);

export const EndpointSchema = z.object({
  /** Unique across the config; names the endpoint in health state, breakers and metrics. */
  id: nonEmpty().check(z.regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash, underscore only')),
  provider: nonEmpty(),
  /** Model name the upstream expects (e.g. `deepseek-chat` for deepseek-v3.2). */
  upstreamModel: nonEmpty(),
  weight: z._default(z.number().check(z.gt(0)), 1),
  region: z.optional(nonEmpty()),
  /** Health probe for this endpoint; default `health.probe` (for upstreams without a usable GET /models). */
  probe: z.optional(z.enum(['models', 'completion'])),
});

export const MODEL_KINDS = ['chat', 'embedding'] as const;

const hasMeasure = (s: { ttftMs?: number; totalMs?: number }) => s.ttftMs !== undefined || s.totalMs !== undefined;

/** A latency objective (core/slo/objectives.ts): time to first token and/or whole-request time at a percentile. */
export const SloTierSchema = z
  .object({
    /** Time to first token: a stream's first content byte, a non-streamed answer's whole time. */
    ttftMs: z.optional(positiveInt()),
    /** Whole request time (a stream until its last byte). */
    totalMs: z.optional(positiveInt()),
    percentile: z._default(z.enum(SLO_PERCENTILES), 'p95'),
  })
  .check(z.refine(hasMeasure, { message: 'an SLO tier needs ttftMs, totalMs or both' }));

/** A model's objective: a tier by name, its own numbers, or a tier with some numbers overridden. */
export const ModelSloSchema = z
  .object({
    tier: z.optional(nonEmpty()),
    ttftMs: z.optional(positiveInt()),
    totalMs: z.optional(positiveInt()),
    percentile: z.optional(z.enum(SLO_PERCENTILES)),
  })
  .check(
    z.refine((s) => s.tier !== undefined || hasMeasure(s), {
      message: 'set a tier, ttftMs or totalMs (or "slo": null for no objective)',
    }),
  );

export const ModelSchema = z.object({
  /** Public id clients send as `model`; it also names metrics dimensions and alarms, hence the charset. */
  id: publicName(),
  /** What the model serves: /v1/chat/completions (default) or /v1/embeddings. */
  kind: z._default(z.enum(MODEL_KINDS), 'chat'),
  /** Embedding models: the vector length every endpoint returns (fallbacks must match it). */
  dimensions: z.optional(positiveInt()),
  /** List prices in US dollars per million tokens; converted once to integer micro-dollars. */
  pricing: z.object({
    inputPerMTok: usd(),
    outputPerMTok: usd(),
    /** Input tokens read from a prompt cache; default inputPerMTok (never under-counts). */
    cachedInputPerMTok: z.optional(usd()),
    /** Input tokens written to a prompt cache (Bedrock, Anthropic); default inputPerMTok. */
    cacheWritePerMTok: z.optional(usd()),
  }),
  contextWindow: positiveInt(),
  /** Output cap used for the worst-case cost reservation when the request sets no max_tokens (chat models: required). */
  maxOutputTokens: z.optional(positiveInt()),
  capabilities: z._default(z.array(z.enum(CAPABILITIES)), []),
  endpoints: z.array(EndpointSchema).check(z.minLength(1)),
  balancing: z._default(z.enum(BALANCING), 'weighted'),
  /** Cross-instance cap on in-flight calls to this model (DynamoDB leases). Omit for `defaults.maxConcurrency`. */
  maxConcurrency: z.optional(positiveInt()),
  /** Models tried, in order, when this model fails and the request named it directly. */
  fallbacks: z._default(z.array(nonEmpty()), []),
  /** Daily spend limit for this model in US dollars (UTC day). */
  dailyBudgetUsd: z.optional(usd()),
  /** Weekly spend limit for this model in US dollars (ISO week, Monday 00:00 UTC). */
  weeklyBudgetUsd: z.optional(usd()),
  /** Monthly spend limit for this model in US dollars (calendar month, UTC). */
  monthlyBudgetUsd: z.optional(usd()),
  /** Set by a cutover: the model this one replaces, kept as the last fallback of every chain. */
  replaces: z.optional(nonEmpty()),
  /** Latency objective (alarm + /v1/stats verdict); default `slo.defaultTier`; `null` for none. */
  slo: z.optional(z.nullable(ModelSloSchema)),
});

export const IntentRuleSchema = z.object({
  intent: z.enum(INTENTS),
  /** Case-insensitive substrings in any language; any one matches. */
  keywords: z._default(z.array(nonEmpty()), []),
  /** Matches when the conversation text is at least this many characters. */
  minChars: z.optional(nonNegativeInt()),
  /** Matches when the conversation text is at most this many characters (short prompts). */
  maxChars: z.optional(nonNegativeInt()),
  /** Matches when the prompt's token estimate (the one reservations use) is at most this many tokens. */
  maxTokens: z.optional(nonNegativeInt()),
  /** Matches only when the request does (true) or does not (false) carry tools. */
  hasTools: z.optional(z.boolean()),
});

export const VariantSchema = z.object({ model: nonEmpty(), weight: z.number().check(z.gt(0)) });

export const RouteSchema = z.object({
  description: z.optional(z.string()),
  /** Ordered candidate models per intent; `general` is required as the catch-all. */
  intents: z
    .partialRecord(z.enum(INTENTS), z.array(nonEmpty()).check(z.minLength(1)))
    .check(z.refine((r) => Array.isArray(r.general), { message: 'a route needs a "general" intent' })),
  /** Tried after the intent's candidates. */
  fallbacks: z._default(z.array(nonEmpty()), []),
  /** Optional A/B split: picks the primary by weight before the intent's list. */
  variants: z.optional(z.array(VariantSchema).check(z.minLength(1))),
  /** Budget factor used when the request sends no x-budget-factor header. */
  defaultBudgetFactor: z._default(z.number().check(z.gte(0), z.lte(1)), 1),
  /** Response cache for this route (docs/operations/response-cache.md); absent: requests and keys decide. */
  cache: z.optional(RouteCacheSchema),
});

export const RetrySchema = z.object({
  maxAttemptsPerModel: z._default(positiveInt(), 2),
  baseDelayMs: z._default(nonNegativeInt(), 100),
  maxDelayMs: z._default(nonNegativeInt(), 2000),
});

export const BreakerSchema = z.object({
  failureThreshold: z._default(positiveInt(), 5),
  windowMs: z._default(positiveInt(), 60_000),
  cooldownMs: z._default(positiveInt(), 30_000),
  halfOpenProbes: z._default(positiveInt(), 2),
  successThreshold: z._default(positiveInt(), 2),
  /**
   * Different keys whose failures must be in the window before the breaker opens, so that one tenant
   * cannot open a shared breaker alone (docs/architecture/breakers.md). 1 for a single-key deployment.
   */
  minDistinctKeys: z._default(positiveInt(), 2),
});

export const BudgetSchema = z.object({
  globalDailyUsd: z._default(usd(), 100),
  perKeyDailyUsd: z.optional(usd()),
  /** Gateway-wide limit per ISO week (Monday 00:00 UTC to Monday); omit for none. */
  globalWeeklyUsd: z.optional(usd()),
  /** Gateway-wide limit per calendar month (UTC); omit for none. */
  globalMonthlyUsd: z.optional(usd()),
  perKeyWeeklyUsd: z.optional(usd()),
  perKeyMonthlyUsd: z.optional(usd()),
  /** Budget factor at or below which only the cheapest candidate is taken. */
  lowFactor: z._default(z.number().check(z.gte(0), z.lte(1)), 0.3),
  /** Budget factor below which models priced above midMaxOutputPerMTok are avoided. */
  highFactor: z._default(z.number().check(z.gte(0), z.lte(1)), 0.7),
  midMaxOutputPerMTok: z._default(usd(), 10),
  /** Global ledger shards: spreads the hottest counter over N partitions. */
  globalShards: z._default(positiveInt(), 16),
  /**
   * Share of the global budget a non-admin key may spend when neither the key nor perKey<Period>Usd
   * sets a limit: one key cannot take the whole gateway's budget. Applies to each period the global
   * budget has (daily always; weekly and monthly when set).
   */
  defaultKeyShare: z._default(z.number().check(z.gt(0), z.lte(1)), 0.5),
});

export const HealthSchema = z.object({
  probeIntervalMs: z._default(positiveInt(), 10_000),
  probeTimeoutMs: z._default(positiveInt(), 5_000),
  degradedLatencyMs: z._default(positiveInt(), 3_000),
  failuresToDown: z._default(positiveInt(), 3),
  successesToUp: z._default(positiveInt(), 2),
  /** `models` = GET /models (free); `completion` = a 1-token chat completion (costs a little). */
  probe: z._default(z.enum(['models', 'completion']), 'models'),
  ewmaAlpha: z._default(z.number().check(z.gt(0), z.lte(1)), 0.3),
  /** The per-endpoint alarm fires once an endpoint has been down for this many recorded health rounds. */
  alarmAfterDownRounds: z._default(positiveInt(), DEFAULT_ALARM_AFTER_DOWN_ROUNDS),
  /**
   * Health results older than this are ignored and the endpoint counts as unknown (usable), so a
   * stopped health check cannot keep an endpoint out forever. Default: 3 x probeIntervalMs, at least 90 s.
   */
  staleAfterMs: z.optional(positiveInt()),
});

export const GatewaySchema = z.object({
  /**
   * Bodies above this are answered 413 by the router. Capped well below Lambda's 6 MB invocation
   * payload (contracts/body-limits.ts): a larger limit would let bodies fail as a 5xx at Lambda instead.
   */
  maxBodyBytes: z._default(
    positiveInt().check(
      z.lte(MAX_ROUTER_BODY_BYTES, `must be <= ${MAX_ROUTER_BODY_BYTES} (below Lambda's 6 MB invocation payload)`),
    ),
    1_048_576,
  ),
  /** Cap on one client request, retries and fallbacks included; the Lambda's remaining time may cut it shorter. */
  requestDeadlineMs: z._default(positiveInt(), 120_000),
  connectTimeoutMs: z._default(positiveInt(), 5_000),
  /** Time to the upstream's response headers (for streams, roughly time to first token). */
  headersTimeoutMs: z._default(positiveInt(), 60_000),
  /** Longest silence between two body chunks before the upstream counts as stalled. */
  bodyIdleTimeoutMs: z._default(positiveInt(), 30_000),
  /** How long state read from DynamoDB may be served from memory. */
  stateCacheTtlMs: z._default(positiveInt(), 2_000),
  /**
   * Largest upstream response body (JSON, or a whole stream) the gateway reads; past it the call fails
   * with 502 `upstream_response_too_large` (a stream already relaying ends with that error event).
   * 32 MiB holds a 64k-token stream with room to spare; an upstream cannot make the gateway buffer more.
   */
  maxUpstreamBodyBytes: z._default(positiveInt(), 32 * 1024 * 1024),
  /** How long a key decision is cached: revocations, limit changes, expiry and rotation take effect within it. */
  authorizerCacheTtlSeconds: z._default(
    nonNegativeInt().check(z.lte(MAX_AUTHORIZER_CACHE_TTL_SECONDS)),
    DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS,
  ),
});

const CUT = CUTOVER_DEFAULTS;

/**
 * Alarms that roll a cutover back. Rates compare the new version with the old one over the same
 * periods (points above blue), see core/cutover/alarms.ts.
 */
export const CutoverAlarmsSchema = z
  .object({
    /** (5xx answered + failed upstream attempts) per 100 requests: points above the old version. */
    errorRatePercent: z._default(z.number().check(z.gt(0)), CUT.alarms.errorRatePercent),
    /** Requests answered from a fallback, per 100: points above the old version. */
    fallbackRatePercent: z._default(z.number().check(z.gt(0)), CUT.alarms.fallbackRatePercent),
    /** p99 time to first token of the new version's streams. */
    ttftP99Ms: z._default(positiveInt(), CUT.alarms.ttftP99Ms),
    /** Lambda Errors per 100 invocations: points above the old version. */
    functionErrorRatePercent: z._default(z.number().check(z.gte(0)), CUT.alarms.functionErrorRatePercent),
    /** A period judges the new version only with at least this many of its requests. */
    minRequests: z._default(positiveInt(), CUT.alarms.minRequests),
    /** Standard-resolution metrics (EMF default): whole minutes. */
    periodSeconds: z._default(
      positiveInt().check(z.multipleOf(60, 'must be a multiple of 60')),
      CUT.alarms.periodSeconds,
    ),
    /** N: periods evaluated. */
    evaluationPeriods: z._default(positiveInt(), CUT.alarms.evaluationPeriods),
    /** M: breaching periods among the last N that roll the deployment back. */
    datapointsToAlarm: z._default(positiveInt(), CUT.alarms.datapointsToAlarm),
  })
  .check(
    // CloudWatch rejects an alarm whose periods add up to more than a day.
    z.refine((a) => a.periodSeconds * a.evaluationPeriods <= 86_400, {
      message: 'periodSeconds x evaluationPeriods must not exceed 86400 (one day)',
    }),
    z.refine((a) => a.datapointsToAlarm <= a.evaluationPeriods, {
      message: 'datapointsToAlarm must not exceed evaluationPeriods',
    }),
  );

/** How CodeDeploy moves the `live` alias to a new version (a config change publishes one). */
export const CutoverSchema = z.object({
  traffic: z._default(z.enum(TRAFFIC_SHIFTS), CUT.traffic),
  /** canary: share of the first step; linear: share added per step. */
  percent: z._default(z.int().check(z.gte(1), z.lte(99)), CUT.percent),
  /** canary: minutes before the rest shifts; linear: minutes between steps (CodeDeploy allows up to 2880). */
  intervalMinutes: z._default(z.int().check(z.gte(1), z.lte(2880)), CUT.intervalMinutes),
  alarms: z.prefault(CutoverAlarmsSchema, {}),
  preTraffic: z.prefault(
    z.object({
      /** Invoke the new version once per model and route before any traffic shifts. */
      enabled: z._default(z.boolean(), CUT.preTraffic.enabled),
      requestTimeoutMs: z._default(positiveInt(), CUT.preTraffic.requestTimeoutMs),
    }),
    {},
  ),
});

const OnStoreError = z.enum(['bounded', 'open']);

/**
 * How budgets, rate limits and concurrency caps are shared through DynamoDB (quota slices; see
 * docs/architecture/shared-state.md).
 */
export const SharedStateSchema = z.object({
  /**
   * When DynamoDB fails or throttles: `bounded` serves only from quota this instance already holds,
   * then refuses (503); `open` serves on and counts the use once DynamoDB answers. One value for all
   * three guarantees, or one per guarantee.
   */
  onDynamoError: z._default(
    z.union([
      OnStoreError,
      z.object({
        budget: z._default(OnStoreError, 'bounded'),
        rate: z._default(OnStoreError, 'bounded'),
        concurrency: z._default(OnStoreError, 'bounded'),
      }),
    ]),
    'bounded',
  ),
  /** Partition keys a key's or a model's budget and a key's rate limits are spread over. */
  scopeShards: z._default(positiveInt(), 4),
  /** Items a model's concurrency cap is split over (never more than the cap). */
  slotShards: z._default(positiveInt(), 4),
  /**
   * Partitions of the per-instance holder records (the sweep and /v1/stats query each). Each takes
   * about 1,000 small writes a second: raise it (e.g. 64) for more than about 10,000 requests a second.
   */
  holderPartitions: z._default(positiveInt(), 16),
  /**
   * Pages of each instance's holder record: a key's slices live on its page (keys hash onto pages),
   * so a request writes a record as small as its page, not one listing every key the instance
   * serves. 1: one record per instance. At most 256: each page is a holder with its own slices of the
   * global and model budgets, and an instance keeps one in memory per page it has served.
   */
  holderPages: z._default(positiveInt().check(z.lte(256)), 16),
  /** Keep a concurrency slot between back-to-back requests arriving within this time. */
  slotStreakMs: z._default(nonNegativeInt(), 1_000),
  /**
   * Usage counters (stats) are written at most this often per instance, apart from the per-request
   * holder record; /v1/stats lags by up to this much. 0: with every request (one more write each).
   */
  usageFlushMs: z._default(nonNegativeInt(), 10_000),
  /** A slice unused this long goes back to its shards at the instance's next write. */
  sliceIdleMs: z._default(positiveInt(), 30_000),
});

/** What a model gets when it does not say. */
export const DefaultsSchema = z.object({
  /**
   * Cross-instance cap on in-flight calls for models without their own `maxConcurrency` (10, as in
   * the seed article: a model nobody sized is not allowed to take unbounded concurrency). `null`
   * leaves such models uncapped.
   */
  maxConcurrency: z._default(z.nullable(positiveInt()), 10),
});

/** Latency objectives: named tiers (the seed's fast/standard/premium by default) and the alarm windows. */
export const SloSchema = z.object({
  /** Laid over the default tiers (fast 200 ms, standard 1000 ms, premium 3000 ms time to first token, p95). */
  tiers: z._default(z.record(publicName(), SloTierSchema), {}),
  /** The tier of models without an `slo`; `null`: no objective unless a model sets one. */
  defaultTier: z._default(z.nullable(nonEmpty()), DEFAULT_SLO_TIER),
  alarm: z.prefault(
    z
      .object({
        /** Standard-resolution metrics (EMF): whole minutes. */
        periodSeconds: z._default(
          positiveInt().check(z.multipleOf(60, 'must be a multiple of 60')),
          DEFAULT_SLO_ALARM.periodSeconds,
        ),
        evaluationPeriods: z._default(positiveInt(), DEFAULT_SLO_ALARM.evaluationPeriods),
        datapointsToAlarm: z._default(positiveInt(), DEFAULT_SLO_ALARM.datapointsToAlarm),
      })
      .check(
        z.refine((a) => a.periodSeconds * a.evaluationPeriods <= 86_400, {
          message: 'periodSeconds x evaluationPeriods must not exceed 86400 (one day)',
        }),
        z.refine((a) => a.datapointsToAlarm <= a.evaluationPeriods, {
          message: 'datapointsToAlarm must not exceed evaluationPeriods',
        }),
      ),
    {},
  ),
});

export const KeysSchema = z.object({
  /** Calls in flight per key when the key sets no maxConcurrency (omit for none). */
  defaultMaxConcurrency: z.optional(positiveInt()),
});

export const ConfigSchema = z.object({
  $schema: z.optional(z.string()),
  version: z._default(z.string(), '1'),
  gateway: z.prefault(GatewaySchema, {}),
  providers: z.record(nonEmpty(), ProviderSchema),
  models: z.array(ModelSchema).check(z.minLength(1)),
  routes: z._default(z.record(publicName(), RouteSchema), {}),
  /**
   * Client model names sent to a model or route: an exact name (`claude-sonnet-4-5-20250929`) or a
   * prefix ending in `*` (`claude-haiku-4-5*`). Listed by /v1/models; a real model or route name wins.
   */
  aliases: z._default(
    z.record(
      z
        .string()
        .check(
          z.regex(
            /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}\*?$/,
            'must be a model name (letters, digits and . _ : / -), optionally ending in * for a prefix',
          ),
        ),
      publicName(),
    ),
    {},
  ),
  intentRules: z._default(z.array(IntentRuleSchema), []),
  retry: z.prefault(RetrySchema, {}),
  breaker: z.prefault(BreakerSchema, {}),
  budgets: z.prefault(BudgetSchema, {}),
  sharedState: z.prefault(SharedStateSchema, {}),
  keys: z.prefault(KeysSchema, {}),
  defaults: z.prefault(DefaultsSchema, {}),
  health: z.prefault(HealthSchema, {}),
  cutover: z.prefault(CutoverSchema, {}),
  cache: z.prefault(CacheSchema, {}),
  slo: z.prefault(SloSchema, {}),
});

export type ConfigInput = z.input<typeof ConfigSchema>;
export type SwitchyardConfig = z.output<typeof ConfigSchema>;
export type ProviderConfig = z.output<typeof ProviderSchema>;
export type OpenAIProviderConfig = z.output<typeof OpenAIProviderSchema>;
export type BedrockProviderConfig = z.output<typeof BedrockProviderSchema>;
export type ModelKind = (typeof MODEL_KINDS)[number];
export type ModelConfig = z.output<typeof ModelSchema>;
export type EndpointConfig = z.output<typeof EndpointSchema>;
export type RouteConfig = z.output<typeof RouteSchema>;
export type IntentRule = z.output<typeof IntentRuleSchema>;
export type Capability = (typeof CAPABILITIES)[number];
export type Intent = (typeof INTENTS)[number];
export type Balancing = (typeof BALANCING)[number];
export type CacheConfig = z.output<typeof CacheSchema>;
export type RouteCacheConfig = z.output<typeof RouteCacheSchema>;
