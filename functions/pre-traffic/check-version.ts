/**
 * The pre-traffic check: before CodeDeploy shifts any traffic to a new router version, call that
 * version once per model and once per route of its config, the way API Gateway would, and refuse
 * the version when any of them fails. It catches the field's classic outage, a renamed upstream
 * model ("The model `gpt-4` does not exist"), before a single client sees it.
 *
 * No I/O here: the caller passes how to invoke the version (Lambda InvokeWithResponseStream on
 * AWS, the router handler in-process locally).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { CompiledConfig } from '../core/config/compile';
import {
  PRE_TRAFFIC_API_ID,
  PRE_TRAFFIC_HEADER,
  PRE_TRAFFIC_MARKER,
  QUOTA_REFUSAL_CODES,
} from '../contracts/pre-traffic';
import type { InvokedResponse } from './http-stream';

export type VersionInvoker = (event: APIGatewayProxyEvent, signal: AbortSignal) => Promise<InvokedResponse>;

export interface SyntheticCheck {
  kind: 'model' | 'route';
  /** The model id or route name sent as `model`. */
  name: string;
  /** Embedding models are checked through /v1/embeddings; the rest through chat completions. */
  api?: 'chat' | 'embeddings';
}

export interface CheckOutcome extends SyntheticCheck {
  /** True for a pass and for a skip. */
  ok: boolean;
  /**
   * Why the check did not judge the version: its provider's key was never set (and the version does
   * not introduce the model), or the router refused for quota reasons (budget, cap, rate limit).
   */
  skipped?: 'provider_key_unset' | 'quota';
  /** Status of the last try; undefined when the invocation itself failed. */
  status?: number;
  /** `x-switchyard-model` of the last try. */
  servedBy?: string;
  detail: string;
  tries: number;
}

export interface CheckReport {
  ok: boolean;
  outcomes: CheckOutcome[];
}

export interface CheckOptions {
  requestTimeoutMs: number;
  /** Extra tries after a transient failure (429, 5xx other than a configuration error, invoke error). */
  retries?: number;
  retryDelayMs?: number;
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Prefix of the synthetic request ids (the deployment id on AWS), to find them in the logs. */
  requestIdPrefix?: string;
  /** Providers whose key was never set (the stack's placeholder is still the only value). */
  unsetProviders?: ReadonlySet<string>;
  /**
   * Model ids the serving version (`live`) knows. A model missing from it is introduced by the new
   * version and is checked even when its key is unset (so that check fails). Undefined: unknown,
   * and no model counts as introduced.
   */
  servingModels?: ReadonlySet<string>;
}

/**
 * What the router finds in `requestContext.authorizer` for a synthetic request: an ordinary,
 * non-admin caller with no limits, named so its usage and logs are recognisable. Nobody can forge
 * it from outside: API Gateway builds `requestContext` itself and only our authorizer fills
 * `authorizer`; invoking a version directly needs lambda:InvokeFunction on it, which only the hook
 * role has (API Gateway may invoke the alias, not versions).
 */
export const PRE_TRAFFIC_CALLER = {
  principalId: 'switchyard-pre-traffic',
  keyId: 'pre-traffic-check',
  keyName: 'CodeDeploy pre-traffic check',
  admin: 'false',
  limits: '{}',
  preTrafficCheck: 'true',
} as const;

/** Upstream answers that no retry will fix: the version is misconfigured. */
const CONFIGURATION_ERRORS = new Set([
  'upstream_model_not_found',
  'upstream_auth_failed',
  'upstream_rejected',
  'model_not_found',
]);

export function planChecks(cfg: CompiledConfig): SyntheticCheck[] {
  return [
    ...[...cfg.models.values()].map((m) => ({
      kind: 'model' as const,
      name: m.id,
      ...(m.kind === 'embedding' ? { api: 'embeddings' as const } : {}),
    })),
    ...[...cfg.routes.keys()].map((name) => ({ kind: 'route' as const, name })),
  ];
}

/** A direct invocation the router recognises as the check's (contracts/pre-traffic.ts). */
export function directEvent(
  method: 'GET' | 'POST',
  path: string,
  requestId: string,
  extraHeaders: Record<string, string>,
  body: string | null,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {
    'user-agent': 'switchyard-pre-traffic-check',
    [PRE_TRAFFIC_HEADER]: PRE_TRAFFIC_MARKER,
    ...extraHeaders,
  };
  return {
    resource: path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    isBase64Encoded: false,
    body,
    requestContext: {
      accountId: 'pre-traffic',
      apiId: PRE_TRAFFIC_API_ID,
      authorizer: { ...PRE_TRAFFIC_CALLER },
      httpMethod: method,
      path,
      protocol: 'HTTP/1.1',
      requestId,
      requestTimeEpoch: 0,
      resourceId: 'pre-traffic',
      resourcePath: path,
      stage: 'pre-traffic',
      identity: { sourceIp: '127.0.0.1', userAgent: 'switchyard-pre-traffic-check' },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

export function syntheticEvent(check: SyntheticCheck, requestId: string): APIGatewayProxyEvent {
  const embeddings = check.api === 'embeddings';
  const path = embeddings ? '/v1/embeddings' : '/v1/chat/completions';
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    // A model is checked alone: a fallback answering would hide that the model itself is broken.
    ...(check.kind === 'model' ? { 'x-switchyard-fallback': 'off' } : {}),
  };
  return directEvent(
    'POST',
    path,
    requestId,
    headers,
    JSON.stringify(
      embeddings
        ? { model: check.name, input: 'OK' }
        : { model: check.name, messages: [{ role: 'user', content: 'Reply with the single word OK.' }], max_tokens: 1 },
    ),
  );
}

/** Model ids in a GET /v1/models answer (routes too; only model ids are looked up in it). */
export function modelIdsOf(res: InvokedResponse): Set<string> | undefined {
  if (res.statusCode !== 200) return undefined;
  try {
    const list = JSON.parse(res.body) as { data?: Array<{ id?: unknown }> };
    if (!Array.isArray(list.data)) return undefined;
    return new Set(list.data.map((m) => m.id).filter((id): id is string => typeof id === 'string'));
  } catch {
    return undefined;
  }
}

export type Verdict =
  | { ok: true; detail: string; servedBy?: string; skipped?: 'quota' }
  | { ok: false; retry: boolean; detail: string; servedBy?: string };

function errorOf(body: string): { message?: string; code?: string } {
  try {
    const e = (JSON.parse(body) as { error?: { message?: unknown; code?: unknown } }).error;
    return {
      message: typeof e?.message === 'string' ? e.message : undefined,
      code: typeof e?.code === 'string' ? e.code : undefined,
    };
  } catch {
    return {};
  }
}

export function judge(check: SyntheticCheck, res: InvokedResponse): Verdict {
  const servedBy = res.headers['x-switchyard-model'];
  if (res.statusCode === 200) {
    let completion: { choices?: unknown; data?: unknown } | undefined;
    try {
      completion = JSON.parse(res.body);
    } catch {
      completion = undefined;
    }
    if (check.api === 'embeddings') {
      if (!completion || !Array.isArray(completion.data) || completion.data.length === 0)
        return { ok: false, retry: true, detail: 'answered 200 without a list of embeddings', servedBy };
    } else if (!completion || !Array.isArray(completion.choices))
      return { ok: false, retry: true, detail: 'answered 200 without a chat completion body', servedBy };
    if (check.kind === 'model' && servedBy !== undefined && servedBy !== check.name) {
      return { ok: false, retry: false, detail: `answered by ${servedBy} although fallbacks were off`, servedBy };
    }
    return { ok: true, detail: servedBy ? `200 from ${servedBy}` : '200', servedBy };
  }
  const { message, code } = errorOf(res.body);
  const detail = `${res.statusCode}${code ? ` ${code}` : ''}: ${message ?? res.body.slice(0, 200)}`;
  // Budget spent, slots taken, a rate limit (ours or the provider's): says nothing about the version.
  if (res.statusCode === 429 && QUOTA_REFUSAL_CODES.has(code ?? '')) {
    return { ok: true, skipped: 'quota', detail: `not judged, refused for quota reasons: ${detail}`, servedBy };
  }
  const transient = (res.statusCode === 429 || res.statusCode >= 500) && !CONFIGURATION_ERRORS.has(code ?? '');
  return { ok: false, retry: transient, detail, servedBy };
}

async function runOne(
  check: SyntheticCheck,
  index: number,
  invoke: VersionInvoker,
  opts: CheckOptions,
): Promise<CheckOutcome> {
  const retries = opts.retries ?? 1;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last: CheckOutcome = { ...check, ok: false, detail: 'not run', tries: 0 };
  for (let tries = 1; tries <= retries + 1; tries++) {
    const requestId = `${opts.requestIdPrefix ?? 'pre-traffic'}-${index}-${tries}`;
    let verdict: Verdict;
    let status: number | undefined;
    try {
      const res = await invoke(syntheticEvent(check, requestId), AbortSignal.timeout(opts.requestTimeoutMs));
      status = res.statusCode;
      verdict = judge(check, res);
    } catch (err) {
      verdict = { ok: false, retry: true, detail: `invocation failed: ${(err as Error)?.message ?? String(err)}` };
    }
    last = {
      ...check,
      ok: verdict.ok,
      ...(verdict.ok && verdict.skipped ? { skipped: verdict.skipped } : {}),
      status,
      servedBy: verdict.servedBy,
      detail: verdict.detail,
      tries,
    };
    if (verdict.ok || !verdict.retry) return last;
    if (tries <= retries) await sleep(opts.retryDelayMs ?? 1_000);
  }
  return last;
}

/** Providers a model can be served by. */
function providersOf(cfg: CompiledConfig, model: string): string[] {
  return [...new Set((cfg.models.get(model)?.endpoints ?? []).map((e) => e.providerName))];
}

/** Models a route may reach: its intents, variants and fallbacks. */
function modelsOfRoute(cfg: CompiledConfig, route: string): string[] {
  const r = cfg.routes.get(route) as
    | { intents?: Record<string, string[]>; fallbacks?: string[]; variants?: Array<{ model: string }> }
    | undefined;
  if (!r) return [];
  return [
    ...new Set([
      ...Object.values(r.intents ?? {}).flat(),
      ...(r.fallbacks ?? []),
      ...(r.variants ?? []).map((v) => v.model),
    ]),
  ].filter((m) => cfg.models.has(m));
}

/**
 * A check that cannot say anything about the version because every provider it could reach has no
 * key yet: reported as skipped. Not for a model the version introduces (absent from the serving
 * version): a new model without a key is a broken rollout, and its check runs and fails.
 */
function unsetKeySkip(cfg: CompiledConfig, check: SyntheticCheck, opts: CheckOptions): CheckOutcome | undefined {
  const unset = opts.unsetProviders;
  if (!unset || unset.size === 0) return undefined;
  const models = check.kind === 'model' ? [check.name] : modelsOfRoute(cfg, check.name);
  if (models.length === 0) return undefined;
  const keyless = (m: string) => {
    const providers = providersOf(cfg, m);
    return providers.length > 0 && providers.every((p) => unset.has(p));
  };
  if (!models.every(keyless)) return undefined;
  const introduced = models.filter((m) => opts.servingModels && !opts.servingModels.has(m));
  if (introduced.length > 0) return undefined;
  const providers = [...new Set(models.flatMap((m) => providersOf(cfg, m)))].join(', ');
  return {
    ...check,
    ok: true,
    skipped: 'provider_key_unset',
    detail: `not judged: no key set for ${providers} yet (put-secret-value), and the serving version has this model too`,
    tries: 0,
  };
}

/** Runs every check (a few at a time); the version passes only when all of them pass. */
export async function checkVersion(
  cfg: CompiledConfig,
  invoke: VersionInvoker,
  opts: CheckOptions,
): Promise<CheckReport> {
  const checks = planChecks(cfg);
  const outcomes: CheckOutcome[] = new Array(checks.length);
  let next = 0;
  const worker = async () => {
    while (next < checks.length) {
      const i = next++;
      outcomes[i] = unsetKeySkip(cfg, checks[i], opts) ?? (await runOne(checks[i], i, invoke, opts));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, checks.length)) }, worker));
  return { ok: outcomes.every((o) => o.ok), outcomes };
}

export function describeReport(report: CheckReport): string[] {
  return report.outcomes.map(
    (o) =>
      `${o.skipped ? 'skip' : o.ok ? 'ok  ' : 'FAIL'} ${o.kind} ${o.name}: ${o.detail}${o.tries > 1 ? ` (${o.tries} tries)` : ''}`,
  );
}
