/**
 * The authorizer's decision, separate from the Lambda plumbing so the local emulator and tests
 * call exactly the code that runs on AWS.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import {
  extractApiKey,
  hashApiKey,
  hasRepeatedKeyHeader,
  keyRefusal,
  lastUsedCutoff,
  lastUsedIsStale,
  looksLikeApiKey,
  type KeyHeader,
  type KeyRecord,
} from '../core/keys';
import type { KeyStore } from '../adapters/dynamo/key-store';
import { consoleLog } from '../adapters/telemetry/console-log';

/** What the router finds in `requestContext.authorizer` (API Gateway only passes flat strings/numbers/booleans). */
export interface AuthorizerContext {
  keyId: string;
  keyName: string;
  admin: 'true' | 'false';
  /** JSON of the key's limits (allowed models, budget, rpm/tpm, maxConcurrency). */
  limits: string;
}

/** API Gateway turns this exact message into a 401 (a Deny policy would give 403). */
export const UNAUTHORIZED = 'Unauthorized';

/**
 * Endpoints only admin keys may call. Non-admin keys get an explicit Deny for them in their
 * policy, so API Gateway answers 403 even from its cache; the router checks again (requireAdmin).
 */
export const ADMIN_ENDPOINTS: ReadonlyArray<{ method: string; resource: string }> = [
  { method: 'GET', resource: '/v1/stats' },
  // Every method on every path under /v1/admin/ (`*` spans `/` in policy resources).
  { method: '*', resource: '/v1/admin/*' },
  { method: 'GET', resource: '/health/deep' },
];

export interface AuthorizerOptions {
  /**
   * Headers the key may come from. Must be exactly the API Gateway identity sources when its cache
   * is on (see core/key-headers.ts). Default: `Authorization` only.
   */
  keyHeaders?: readonly KeyHeader[];
  /** This instance's own cache of key records, for when API Gateway's cache is off. 0 = none. */
  cacheTtlMs?: number;
  now?: () => number;
  log?: (level: 'warn', msg: string, fields: Record<string, unknown>) => void;
}

type Authorizer = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

/** Bounds the per-instance cache: unknown keys are never cached, so only real keys fill it. */
const MAX_CACHED_KEYS = 10_000;

/** `arn:...:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>` -> `.../<apiId>/<stage>` */
function stagePrefix(methodArn: string): string {
  const [apiPart, stage] = methodArn.split('/');
  return `${apiPart}/${stage ?? '*'}`;
}

/**
 * The policy covers every method of the stage: API Gateway caches one decision per key, and a
 * policy for just the first method called would make cached calls to other methods fail with 403.
 */
export function stageWildcard(methodArn: string): string {
  return `${stagePrefix(methodArn)}/*`;
}

export function createAuthorizer(keys: KeyStore, opts: AuthorizerOptions = {}): Authorizer {
  const keyHeaders = opts.keyHeaders ?? ['authorization'];
  const now = opts.now ?? Date.now;
  const ttl = opts.cacheTtlMs ?? 0;
  const log = opts.log ?? consoleLog('switchyard-authorizer');
  const cache = new Map<string, { until: number; record: KeyRecord }>();

  async function lookup(hash: string): Promise<KeyRecord | undefined> {
    const hit = cache.get(hash);
    if (hit && hit.until > now()) return hit.record;
    const record = await keys.getByHash(hash);
    if (!record) return undefined;
    if (ttl > 0) {
      if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value!);
      cache.set(hash, { until: now() + ttl, record });
    }
    if (keyRefusal(record, now()) === undefined && lastUsedIsStale(record.lastUsedAt, now())) {
      // Only on a cache miss, and conditional: at most one write per key per minute. A failed
      // write must never deny a valid key.
      try {
        await keys.touchLastUsed(hash, new Date(now()).toISOString(), lastUsedCutoff(now()));
      } catch (err) {
        log('warn', 'could not update lastUsedAt', { keyId: record.keyId, error: String((err as Error)?.name ?? err) });
      }
    }
    return record;
  }

  return async (event) => {
    // A REQUEST authorizer event carries both maps; `headers` holds one value of a repeated header.
    const headers = event.headers as Record<string, string | undefined> | null;
    if (hasRepeatedKeyHeader(headers, event.multiValueHeaders, keyHeaders)) throw new Error(UNAUTHORIZED);
    const apiKey = extractApiKey(headers, keyHeaders);
    if (!apiKey || !looksLikeApiKey(apiKey)) throw new Error(UNAUTHORIZED);
    const record = await lookup(hashApiKey(apiKey));
    // Checked on every decision, cached record or not: expiry and the end of a grace period need no new read.
    if (!record || keyRefusal(record, now()) !== undefined) throw new Error(UNAUTHORIZED);
    return allow(record, event.methodArn);
  };
}

/** One decision without a cache (tests, simple callers). */
export function authorize(
  event: APIGatewayRequestAuthorizerEvent,
  keys: KeyStore,
  opts: AuthorizerOptions = {},
): Promise<APIGatewayAuthorizerResult> {
  return createAuthorizer(keys, { ...opts, cacheTtlMs: 0 })(event);
}

function allow(record: KeyRecord, methodArn: string): APIGatewayAuthorizerResult {
  const limits = {
    allowedModels: record.allowedModels,
    defaultBudgetFactor: record.defaultBudgetFactor,
    dailyBudgetUsd: record.dailyBudgetUsd,
    weeklyBudgetUsd: record.weeklyBudgetUsd,
    monthlyBudgetUsd: record.monthlyBudgetUsd,
    rpm: record.rpm,
    tpm: record.tpm,
    maxConcurrency: record.maxConcurrency,
    cacheTtlSeconds: record.cacheTtlSeconds,
  };
  const context: AuthorizerContext = {
    keyId: record.keyId,
    keyName: record.name,
    admin: record.admin ? 'true' : 'false',
    limits: JSON.stringify(limits),
  };
  const statements: APIGatewayAuthorizerResult['policyDocument']['Statement'] = [
    { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageWildcard(methodArn) },
  ];
  if (!record.admin) {
    statements.push({
      Action: 'execute-api:Invoke',
      Effect: 'Deny',
      Resource: ADMIN_ENDPOINTS.map((e) => `${stagePrefix(methodArn)}/${e.method}${e.resource}`),
    });
  }
  return {
    principalId: record.keyId,
    policyDocument: { Version: '2012-10-17', Statement: statements },
    context: context as unknown as APIGatewayAuthorizerResult['context'],
  };
}
