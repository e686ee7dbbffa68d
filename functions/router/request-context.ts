import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { isPreTrafficEvent } from '../contracts/pre-traffic';

export interface CallerKey {
  keyId: string;
  keyName: string;
  admin: boolean;
  allowedModels?: string[];
  defaultBudgetFactor?: number;
  dailyBudgetUsd?: number;
  weeklyBudgetUsd?: number;
  monthlyBudgetUsd?: number;
  rpm?: number;
  tpm?: number;
  /** Calls this key may have in flight at once. */
  maxConcurrency?: number;
  /** Response cache opt-in (> 0, the TTL in seconds) or opt-out (0); see core/cache/policy.ts. */
  cacheTtlSeconds?: number;
}

/** Everything a route needs to know about the call, independent of API Gateway's event shape. */
export interface RequestContext {
  requestId: string;
  method: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: string | null;
  /** Query string parameters (API Gateway keeps the last value of a repeated name). */
  query?: Record<string, string>;
  isBase64Encoded: boolean;
  sourceIp?: string;
  startedAt: number;
  /** Milliseconds the Lambda has left; bounds the request deadline. */
  remainingMs: () => number;
  functionVersion: string;
  key?: CallerKey;
  /**
   * A direct invocation by the CodeDeploy pre-traffic check (contracts/pre-traffic.ts): never true
   * for a request through API Gateway. Read it with `isPreTrafficInvocation(ctx)`.
   */
  preTraffic: boolean;
}

function lowerHeaders(event: APIGatewayProxyEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  for (const [k, vs] of Object.entries(event.multiValueHeaders ?? {})) {
    const lk = k.toLowerCase();
    if (out[lk] === undefined && vs?.length) out[lk] = vs.join(', ');
  }
  return out;
}

function callerKey(event: APIGatewayProxyEvent): CallerKey | undefined {
  const a = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  if (!a || typeof a.keyId !== 'string') return undefined;
  let limits: Record<string, unknown> = {};
  try {
    limits = typeof a.limits === 'string' ? JSON.parse(a.limits) : {};
  } catch {
    limits = {};
  }
  return {
    keyId: a.keyId,
    keyName: typeof a.keyName === 'string' ? a.keyName : '',
    admin: a.admin === 'true' || a.admin === true,
    ...(limits as Partial<CallerKey>),
  };
}

export function requestContextFrom(
  event: APIGatewayProxyEvent,
  context: Partial<Context>,
  now: number,
): RequestContext {
  const stageless = (event.path ?? '/').replace(/\/+$/, '') || '/';
  return {
    requestId: event.requestContext?.requestId ?? context.awsRequestId ?? `req-${now.toString(36)}`,
    method: (event.httpMethod ?? 'GET').toUpperCase(),
    path: stageless,
    headers: lowerHeaders(event),
    body: event.body ?? null,
    query: Object.fromEntries(
      Object.entries(event.queryStringParameters ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
    ),
    isBase64Encoded: event.isBase64Encoded === true,
    sourceIp: event.requestContext?.identity?.sourceIp,
    startedAt: now,
    remainingMs: () => (context.getRemainingTimeInMillis ? context.getRemainingTimeInMillis() : 900_000),
    functionVersion: context.functionVersion ?? '$LATEST',
    key: callerKey(event),
    preTraffic: isPreTrafficEvent(event),
  };
}
