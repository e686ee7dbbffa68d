/**
 * How the router recognises the pre-traffic check's own invocations, declared once for the hook
 * (which builds them) and the router (which trusts them).
 *
 * The check is not a client: its requests must not spend the day's budget, wait for a busy model's
 * concurrency slots or count against rate limits, or a fix could not ship while any of those is
 * exhausted. The router therefore needs to know, without any secret, that a request comes from the
 * check. The rule:
 *
 *   A request is a pre-traffic invocation when, and only when, its event's
 *   `requestContext.apiId` is PRE_TRAFFIC_API_ID **and** it carries the header
 *   PRE_TRAFFIC_HEADER: PRE_TRAFFIC_MARKER.
 *
 * Why nobody else can produce that:
 * - API Gateway builds `requestContext` itself; a client controls headers, never `apiId`. Every
 *   request through API Gateway carries the API's real id (10 lower-case letters and digits), which
 *   can never equal PRE_TRAFFIC_API_ID (it has dashes and is longer). The header alone, sent by a
 *   client through API Gateway, is ignored (and harmless: it is not echoed or logged as trusted).
 * - The local API Gateway emulator sets `apiId` to `local`, so the same holds for `npm start`.
 * - Building the whole event by hand means invoking the function directly, which needs
 *   lambda:InvokeFunction on the version: only the hook's role has it (API Gateway may invoke the
 *   `live` alias only, and only through its own integration).
 *
 * The marker is a constant, not a secret: the protection is who can put it in `requestContext`.
 */
export const PRE_TRAFFIC_HEADER = 'x-switchyard-pre-traffic';
export const PRE_TRAFFIC_MARKER = 'direct-invoke';
/** Never an API Gateway REST API id (those match /^[a-z0-9]{10}$/). */
export const PRE_TRAFFIC_API_ID = 'switchyard-pre-traffic-check';

/** The parts of an API Gateway v1 proxy event the rule reads. */
export interface PreTrafficEventShape {
  headers?: Record<string, string | undefined> | null;
  requestContext?: { apiId?: string | null } | null;
}

/** The rule above. Header names are matched case-insensitively, as HTTP does. */
export function isPreTrafficEvent(event: PreTrafficEventShape): boolean {
  if (event.requestContext?.apiId !== PRE_TRAFFIC_API_ID) return false;
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (name.toLowerCase() === PRE_TRAFFIC_HEADER) return value === PRE_TRAFFIC_MARKER;
  return false;
}

/**
 * Router refusals that say "not now", not "this version is broken": the global or a key's budget
 * is spent, a capped model's concurrency slots are taken, a rate limit is reached, or the upstream
 * provider itself is rate limiting. The check records them and does not fail the version.
 */
export const QUOTA_REFUSAL_CODES: ReadonlySet<string> = new Set([
  'insufficient_quota',
  'concurrency_limit',
  'key_concurrency_limit',
  'rate_limit_exceeded',
  'upstream_rate_limited',
]);

/**
 * The hook finds providers whose key was never set from PROVIDER_SECRETS_ENV (secret-specs.ts,
 * provider -> secret ARN) with DescribeSecret: metadata only, it never reads a key.
 */
/** Environment of the hook: the ARN of the alias `live` (what serves now), to read its model list. */
export const PRE_TRAFFIC_SERVING_ALIAS_ENV = 'SERVING_ALIAS_ARN';
