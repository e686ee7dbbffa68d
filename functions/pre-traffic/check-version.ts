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
  ok: boolean;
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

export function syntheticEvent(check: SyntheticCheck, requestId: string): APIGatewayProxyEvent {
  const embeddings = check.api === 'embeddings';
  const path = embeddings ? '/v1/embeddings' : '/v1/chat/completions';
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'switchyard-pre-traffic-check',
    // A model is checked alone: a fallback answering would hide that the model itself is broken.
    ...(check.kind === 'model' ? { 'x-switchyard-fallback': 'off' } : {}),
  };
  return {
    resource: path,
    path,
    httpMethod: 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    isBase64Encoded: false,
    body: JSON.stringify(
      embeddings
        ? { model: check.name, input: 'OK' }
        : { model: check.name, messages: [{ role: 'user', content: 'Reply with the single word OK.' }], max_tokens: 1 },
    ),
    requestContext: {
      accountId: 'pre-traffic',
      apiId: 'pre-traffic',
      authorizer: { ...PRE_TRAFFIC_CALLER },
      httpMethod: 'POST',
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

export type Verdict =
  | { ok: true; detail: string; servedBy?: string }
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
    last = { ...check, ok: verdict.ok, status, servedBy: verdict.servedBy, detail: verdict.detail, tries };
    if (verdict.ok || !verdict.retry) return last;
    if (tries <= retries) await sleep(opts.retryDelayMs ?? 1_000);
  }
  return last;
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
      outcomes[i] = await runOne(checks[i], i, invoke, opts);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, checks.length)) }, worker));
  return { ok: outcomes.every((o) => o.ok), outcomes };
}

export function describeReport(report: CheckReport): string[] {
  return report.outcomes.map(
    (o) => `${o.ok ? 'ok  ' : 'FAIL'} ${o.kind} ${o.name}: ${o.detail}${o.tries > 1 ? ` (${o.tries} tries)` : ''}`,
  );
}
