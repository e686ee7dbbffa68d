/**
 * API Gateway REST emulator: turns HTTP requests on 127.0.0.1 into real v1 proxy events, runs the
 * REQUEST authorizer like API Gateway does (identity check, cached decision, 401/403 gateway
 * responses), then invokes the streaming router with a Lambda-like context and relays its response
 * stream to the client as it is written.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';
import {
  PRELUDE_DELIMITER,
  isStreamingHandler,
  localLambdaContext,
  type HttpPrelude,
  type StreamingHandler,
} from './lambda-streaming';
import { DEEP_HEALTH_PATH, SHALLOW_HEALTH_BODY, SHALLOW_HEALTH_PATH } from '../functions/contracts/health';

export type AuthorizerFn = (
  event: APIGatewayRequestAuthorizerEvent,
  context: Context,
) => Promise<APIGatewayAuthorizerResult>;

/** One published version behind the alias; the emulator asks `selectTarget` which one serves a request. */
export interface InvokeTarget {
  handler: StreamingHandler | unknown;
  version: string;
  functionName?: string;
}

export interface ApiRoute {
  resource: string;
  methods: string[];
  /** Guarded by the REQUEST authorizer. */
  auth: boolean;
  /**
   * A MOCK integration: API Gateway answers with this status and JSON body itself and invokes no
   * function (lib/constructs/api.ts does the same for anonymous GET /health).
   */
  mock?: { status: number; body: unknown };
}

export const DEFAULT_ROUTES: ApiRoute[] = [
  { resource: '/v1/chat/completions', methods: ['POST'], auth: true },
  { resource: '/v1/embeddings', methods: ['POST'], auth: true },
  { resource: '/v1/messages', methods: ['POST'], auth: true },
  { resource: '/v1/messages/count_tokens', methods: ['POST'], auth: true },
  { resource: '/v1/responses', methods: ['POST'], auth: true },
  { resource: '/v1/models', methods: ['GET'], auth: true },
  { resource: '/v1/models/{model+}', methods: ['GET'], auth: true },
  { resource: '/v1/stats', methods: ['GET'], auth: true },
  { resource: SHALLOW_HEALTH_PATH, methods: ['GET'], auth: false, mock: { status: 200, body: SHALLOW_HEALTH_BODY } },
  { resource: DEEP_HEALTH_PATH, methods: ['GET'], auth: true },
  // Admin endpoints: the authorizer's policy denies them to non-admin keys (ADMIN_ENDPOINTS).
  { resource: '/v1/admin/keys', methods: ['GET', 'POST'], auth: true },
  { resource: '/v1/admin/keys/{proxy+}', methods: ['GET', 'PATCH', 'POST'], auth: true },
  { resource: '/v1/admin/state', methods: ['GET'], auth: true },
  { resource: '/v1/admin/requests', methods: ['GET'], auth: true },
  { resource: '/v1/admin/cutover', methods: ['GET'], auth: true },
  // The console's static files: public (a page load cannot carry a Bearer header); its data calls are admin-only.
  { resource: '/console', methods: ['GET'], auth: false },
  { resource: '/console/app.js', methods: ['GET'], auth: false },
  { resource: '/console/app.css', methods: ['GET'], auth: false },
];

export interface RequestLog {
  method: string;
  path: string;
  status: number;
  ms: number;
  version?: string;
  headers: Record<string, string>;
}

export interface EmulatorOptions {
  host?: string;
  port?: number;
  stage?: string;
  routes?: ApiRoute[];
  selectTarget: () => InvokeTarget;
  authorizer?: AuthorizerFn;
  /** API Gateway's authorizer result cache (keyed on the identity source values); 0 disables it. */
  authorizerCacheTtlMs?: number;
  /**
   * Most decisions the cache holds; the oldest is evicted first. API Gateway's cache is finite too
   * (a decision may be evicted before its TTL), so nothing may rely on a hit. Default 10 000.
   */
  authorizerCacheMaxEntries?: number;
  /** Clock for the authorizer cache (tests move it past the TTL). */
  now?: () => number;
  /**
   * The authorizer's identity sources (request header names). As on API Gateway, each must be
   * present and non-empty or the request is answered 401 without calling the authorizer; none is
   * allowed only with the cache off, and then the authorizer runs for every request.
   * Default `['Authorization']` (see functions/core/key-headers.ts).
   */
  authorizerIdentityHeaders?: readonly string[];
  /** The function's configured timeout; drives getRemainingTimeInMillis. */
  functionTimeoutMs?: number;
  /** API Gateway rejects payloads over 10 MB before invoking anything. */
  maxPayloadBytes?: number;
  /**
   * Serve only this machine's own clients (`npm start -- --real`): a `Host` other than the loopback
   * address and port listened on, or any `Origin` header (a browser), is refused with 403, so a web
   * page cannot reach the gateway through DNS rebinding or a cross-site request and spend real credit.
   */
  loopbackClientsOnly?: boolean;
  onRequest?: (log: RequestLog) => void;
}

export interface Emulator {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const ACCOUNT = '000000000000';
const API_ID = 'local';

/**
 * API Gateway's own 401 and 403 answers, as the stack's gateway responses render them
 * (lib/constructs/gateway-responses.ts; a test keeps the two identical). Their `type` names are
 * Anthropic's, since one body serves both APIs; OpenAI's SDKs pick error classes by status.
 */
export const UNAUTHORIZED_RESPONSE = {
  status: 401,
  message: 'Incorrect or missing API key. Send it as "Authorization: Bearer <key>".',
  type: 'authentication_error',
  code: 'invalid_api_key',
} as const;
export const ACCESS_DENIED_RESPONSE = {
  status: 403,
  message: 'This API key is not allowed to make this request.',
  type: 'permission_error',
  code: 'permission_denied',
} as const;
/** MISSING_AUTHENTICATION_TOKEN (unknown path or method), which the stack turns into a 404; never echoes the path. */
export const UNKNOWN_URL_RESPONSE = {
  status: 404,
  message: 'Unknown request URL. Check the path and the HTTP method.',
  type: 'not_found_error',
  code: 'unknown_url',
} as const;
export const REQUEST_TOO_LARGE_RESPONSE = {
  status: 413,
  message: 'Request body too large.',
  type: 'request_too_large',
  code: 'request_too_large',
} as const;
/**
 * The authorizer failed (threw something other than "Unauthorized", e.g. its key store is
 * unreachable): the stack's AUTHORIZER_CONFIGURATION_ERROR / AUTHORIZER_FAILURE response.
 */
export const AUTHORIZER_UNAVAILABLE_RESPONSE = {
  status: 503,
  message:
    'The API key could not be verified right now (the authorizer or its key store is unavailable). Retry shortly.',
  type: 'api_error',
  code: 'authorizer_unavailable',
  headers: { 'retry-after': '1' },
} as const;
/**
 * A request target that is not a parseable path, or whose percent-encoding is malformed (`/v1/models/%E0%A4%A`):
 * a client error API Gateway refuses before any resource matching, answered through the DEFAULT_4XX response.
 */
export const BAD_REQUEST_RESPONSE = {
  status: 400,
  message: 'Bad request: the request URL is malformed.',
  type: 'invalid_request_error',
  code: 'invalid_request',
} as const;
/** A function that fails before its response starts: API Gateway's 502 through the DEFAULT_5XX response. */
export const FUNCTION_ERROR_RESPONSE = {
  status: 502,
  message: 'Internal server error',
  type: 'api_error',
  code: 'gateway_error',
} as const;

/** Why a request is not from a local, non-browser client; undefined when it is. */
export function foreignClient(req: IncomingMessage, port: number): string | undefined {
  if (req.headers.origin !== undefined)
    return 'Browser requests are refused by the local gateway (it calls real upstreams); send no Origin header.';
  const host = (req.headers.host ?? '').toLowerCase();
  const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  if (!allowed.includes(host)) return `Host '${host.slice(0, 100)}' is not this gateway; use http://127.0.0.1:${port}.`;
  return undefined;
}

function gatewayError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string,
  headers: Record<string, string> = {},
) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  // One body in both OpenAI's and Anthropic's error shape, as the stack's gateway responses
  // (lib/constructs/gateway-responses.ts).
  res.end(JSON.stringify({ type: 'error', error: { message, type, param: null, code } }));
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? 'too_large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function headerMaps(req: IncomingMessage) {
  const headers: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i];
    const v = req.rawHeaders[i + 1];
    headers[k] = v;
    (multi[k] ??= []).push(v);
  }
  return { headers, multi };
}

function rawHeaderValues(req: IncomingMessage, lowerName: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    if (req.rawHeaders[i].toLowerCase() === lowerName) out.push(req.rawHeaders[i + 1]);
  return out;
}

function queryMaps(url: URL) {
  if ([...url.searchParams.keys()].length === 0) return { single: null, multi: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    single[k] = v;
    (multi[k] ??= []).push(v);
  }
  return { single, multi };
}

/** Invoked through the alias `live`, as the API's integration does. */
function lambdaContext(target: InvokeTarget, timeoutMs: number): Context {
  return localLambdaContext({
    functionName: target.functionName ?? 'switchyard-router',
    version: target.version,
    qualifier: 'live',
    timeoutMs,
  });
}

/**
 * Reads the prelude (JSON + 8 NUL bytes) the handler writes first, answers the HTTP head from it,
 * then copies every later chunk straight to the client.
 */
function relay(
  stream: PassThrough,
  res: ServerResponse,
  onHead: (status: number, headers: Record<string, string>) => void,
): void {
  let pending: Buffer | null = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    if (pending === null) {
      res.write(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    const at = pending.indexOf(PRELUDE_DELIMITER);
    if (at === -1) return;
    const prelude = JSON.parse(pending.subarray(0, at).toString('utf8') || '{}') as HttpPrelude;
    const rest = pending.subarray(at + PRELUDE_DELIMITER.length);
    pending = null;
    // API Gateway merges `headers` and `multiValueHeaders` (a value given in both once) and sends
    // each value of a multi-valued header on its own line (e.g. several Set-Cookie).
    const headers: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(prelude.headers ?? {})) headers[k] = [v];
    for (const [k, vs] of Object.entries(prelude.multiValueHeaders ?? {}))
      headers[k] = [...new Set([...(headers[k] ?? []), ...vs])];
    const status = prelude.statusCode ?? 200;
    onHead(status, Object.fromEntries(Object.entries(headers).map(([k, vs]) => [k, vs.join(', ')])));
    res.writeHead(
      status,
      Object.fromEntries(Object.entries(headers).map(([k, vs]) => [k, vs.length === 1 ? vs[0] : vs])),
    );
    // Send the head at once: a stream's first token must not wait for more body bytes.
    res.flushHeaders();
    if (rest.length) res.write(rest);
  });
  stream.on('end', () => {
    if (pending !== null && !res.headersSent) {
      // No prelude: Lambda would hand the raw bytes over as a 200.
      onHead(200, {});
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(pending);
      return;
    }
    res.end();
  });
}

export async function startApiGatewayEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const stage = opts.stage ?? 'prod';
  const routes = opts.routes ?? DEFAULT_ROUTES;
  const cacheTtl = opts.authorizerCacheTtlMs ?? 60_000;
  const identityHeaders = (opts.authorizerIdentityHeaders ?? ['Authorization']).map((h) => h.toLowerCase());
  if (opts.authorizer && cacheTtl > 0 && identityHeaders.length === 0) {
    // API Gateway (and CDK) refuse this configuration: the cache would have no key.
    throw new Error('An authorizer with caching enabled needs at least one identity source');
  }
  const authCache = new Map<string, { until: number; result: APIGatewayAuthorizerResult }>();
  const cacheMax = Math.max(1, opts.authorizerCacheMaxEntries ?? 10_000);
  const now = opts.now ?? Date.now;
  const remember = (identity: string, result: APIGatewayAuthorizerResult) => {
    authCache.delete(identity);
    if (authCache.size >= cacheMax) {
      const t = now();
      for (const [k, v] of authCache) if (v.until <= t) authCache.delete(k);
      while (authCache.size >= cacheMax) authCache.delete(authCache.keys().next().value!);
    }
    authCache.set(identity, { until: now() + cacheTtl, result });
  };
  const timeoutMs = opts.functionTimeoutMs ?? 900_000;
  const maxPayload = opts.maxPayloadBytes ?? 10 * 1024 * 1024;

  async function runAuthorizer(
    req: IncomingMessage,
    event: APIGatewayProxyEvent,
    route: ApiRoute,
  ): Promise<
    | APIGatewayAuthorizerResult
    | { status: number; message: string; code: string; type: string; headers?: Record<string, string> }
  > {
    const methodArn = `arn:aws:execute-api:us-east-1:${ACCOUNT}:${API_ID}/${stage}/${event.httpMethod}${event.path}`; // API Gateway puts the request path, not the resource template, in the ARN
    // Every value of each identity header, in order: Node's `req.headers` keeps only the first
    // Authorization while the authorizer event's `headers` holds the last, so a cache keyed on one
    // value could replay a decision made for another. Keyed on all of them, the authorizer (which
    // refuses a repeated key header) decides for exactly what is cached.
    const values = identityHeaders.map((h) => rawHeaderValues(req, h));
    // API Gateway does not call the authorizer when an identity source is missing or empty.
    if (values.some((vs) => vs.length === 0 || vs.every((v) => v.trim() === ''))) return UNAUTHORIZED_RESPONSE;
    const identity = identityHeaders.length ? JSON.stringify(values) : undefined;
    const cached = identity !== undefined ? authCache.get(identity) : undefined;
    let result: APIGatewayAuthorizerResult;
    if (cached && cached.until > now()) {
      result = cached.result;
    } else {
      const authEvent = {
        type: 'REQUEST',
        methodArn,
        resource: route.resource,
        path: event.path,
        httpMethod: event.httpMethod,
        headers: event.headers,
        multiValueHeaders: event.multiValueHeaders,
        queryStringParameters: event.queryStringParameters,
        multiValueQueryStringParameters: event.multiValueQueryStringParameters,
        pathParameters: null,
        stageVariables: null,
        requestContext: event.requestContext,
      } as unknown as APIGatewayRequestAuthorizerEvent;
      try {
        result = await opts.authorizer!(
          authEvent,
          lambdaContext({ handler: null, version: '$LATEST', functionName: 'switchyard-authorizer' }, 10_000),
        );
      } catch (e) {
        if ((e as Error)?.message === 'Unauthorized') return UNAUTHORIZED_RESPONSE;
        // API Gateway answers an authorizer that fails (not "Unauthorized") through its
        // AUTHORIZER_CONFIGURATION_ERROR response, which the stack renders as a 503.
        return AUTHORIZER_UNAVAILABLE_RESPONSE;
      }
      if (cacheTtl > 0 && identity !== undefined) remember(identity, result);
    }
    // IAM evaluation: an explicit Deny wins, otherwise some Allow must match.
    const matching = (effect: string) =>
      result.policyDocument.Statement.some((s) => {
        const st = s as { Effect: string; Resource?: string | string[] };
        const resources = Array.isArray(st.Resource) ? st.Resource : [st.Resource ?? ''];
        return st.Effect === effect && resources.some((r) => arnMatches(r, methodArn));
      });
    if (matching('Deny') || !matching('Allow')) return ACCESS_DENIED_RESPONSE;
    return result;
  }

  const inFlight = new Set<Promise<unknown>>();
  const server = createServer(async (req, res) => {
    const started = Date.now();
    const url = requestUrl(req.url ?? '/');
    const method = (req.method ?? 'GET').toUpperCase();
    let version: string | undefined;
    let logged = false;
    const log = (status: number, headers: Record<string, string>) => {
      if (logged) return;
      logged = true;
      opts.onRequest?.({ method, path: url?.pathname ?? '', status, ms: Date.now() - started, version, headers });
    };
    try {
      const foreign = opts.loopbackClientsOnly ? foreignClient(req, (server.address() as AddressInfo).port) : undefined;
      if (foreign) {
        await readBody(req, maxPayload);
        log(403, {});
        return gatewayError(res, 403, foreign, 'permission_error', 'forbidden_client');
      }
      if (!url) {
        await readBody(req, maxPayload);
        const r = BAD_REQUEST_RESPONSE;
        log(r.status, {});
        return gatewayError(res, r.status, r.message, r.type, r.code);
      }
      const matched = matchRoute(routes, url.pathname);
      const route = matched?.route;
      if (!route || !route.methods.includes(method)) {
        await readBody(req, maxPayload);
        const r = UNKNOWN_URL_RESPONSE;
        log(r.status, {});
        return gatewayError(res, r.status, r.message, r.type, r.code);
      }
      const body = await readBody(req, maxPayload);
      if (route.mock) {
        log(route.mock.status, { 'content-type': 'application/json' });
        res.writeHead(route.mock.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(route.mock.body));
        return;
      }
      if (body === 'too_large') {
        const r = REQUEST_TOO_LARGE_RESPONSE;
        log(r.status, {});
        return gatewayError(res, r.status, r.message, r.type, r.code);
      }
      const { headers, multi } = headerMaps(req);
      const query = queryMaps(url);
      const requestId = randomUUID();
      const event: APIGatewayProxyEvent = {
        resource: route.resource,
        path: url.pathname,
        httpMethod: method,
        headers,
        multiValueHeaders: multi,
        queryStringParameters: query.single,
        multiValueQueryStringParameters: query.multi,
        pathParameters: matched?.params ?? null,
        stageVariables: null,
        body: body.length ? body.toString('utf8') : null,
        isBase64Encoded: false,
        requestContext: {
          accountId: ACCOUNT,
          apiId: API_ID,
          authorizer: null,
          domainName: req.headers.host ?? 'localhost',
          httpMethod: method,
          path: `/${stage}${url.pathname}`,
          protocol: `HTTP/${req.httpVersion}`,
          requestId,
          requestTimeEpoch: started,
          resourceId: 'local',
          resourcePath: route.resource,
          stage,
          identity: {
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            userAgent: req.headers['user-agent'] ?? null,
          } as APIGatewayProxyEvent['requestContext']['identity'],
        } as APIGatewayProxyEvent['requestContext'],
      };

      if (route.auth && opts.authorizer) {
        const auth = await runAuthorizer(req, event, route);
        if ('status' in auth) {
          log(auth.status, {});
          return gatewayError(res, auth.status, auth.message, auth.type, auth.code, {
            'x-request-id': requestId,
            ...('headers' in auth ? auth.headers : {}),
          });
        }
        event.requestContext.authorizer = { ...(auth.context ?? {}), principalId: auth.principalId };
      }

      const target = opts.selectTarget();
      version = target.version;
      if (!isStreamingHandler(target.handler)) throw new Error('the router handler is not a streaming handler');
      const responseStream = new PassThrough();
      relay(responseStream, res, (status, h) => log(status, h));
      // The client went away: end the function's stream so the handler stops reading upstream.
      // Until the handler starts writing (while it waits for its upstream, say) nothing listens on
      // its stream: the destroy error is ours to ignore, never an uncaught 'error' event that takes
      // the whole local runtime down. The handler still sees the stream destroyed.
      responseStream.on('error', () => undefined);
      res.on('close', () => {
        if (!res.writableFinished) responseStream.destroy(new Error('client disconnected'));
      });
      try {
        const invocation = target.handler(event, responseStream, lambdaContext(target, timeoutMs));
        inFlight.add(invocation);
        void invocation.catch(() => undefined).finally(() => inFlight.delete(invocation));
        await invocation;
        if (!responseStream.writableEnded && !responseStream.destroyed) responseStream.end();
      } catch {
        if (responseStream.destroyed && res.destroyed) return; // client disconnect, nothing to answer
        const r = FUNCTION_ERROR_RESPONSE;
        log(r.status, {});
        gatewayError(res, r.status, r.message, r.type, r.code);
      }
    } catch {
      const r = FUNCTION_ERROR_RESPONSE;
      log(r.status, {});
      gatewayError(res, r.status, r.message, r.type, r.code);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    server,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Let running invocations finish their after-response writes (bounded: some may be hung upstream).
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, 2_000).unref())]);
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * The request target as a URL, or undefined when it is not one API Gateway would route: not a path,
 * or malformed percent-encoding. An origin-form target is always read as a path (`//x` is the path
 * `//x`, never the host `x`).
 */
export function requestUrl(target: string): URL | undefined {
  let url: URL;
  try {
    url = target.startsWith('/') ? new URL(`http://localhost${target}`) : new URL(target);
    decodeURIComponent(url.pathname);
  } catch {
    return undefined;
  }
  return url;
}

/**
 * API Gateway resource matching: exact resources first, then templates, where `{name}` is one path
 * segment and `{name+}` (greedy) the rest of the path.
 */
export function matchRoute(
  routes: ApiRoute[],
  path: string,
): { route: ApiRoute; params: Record<string, string> | null } | undefined {
  const exact = routes.find((r) => r.resource === path);
  if (exact) return { route: exact, params: null };
  for (const route of routes) {
    const names: string[] = [];
    const pattern = route.resource
      .replace(/[.*?^$()|[\]\\]/g, '\\$&')
      .replace(/\{(\w+)(\+?)\}/g, (_m, name: string, greedy: string) => {
        names.push(name);
        return greedy ? '(.+)' : '([^/]+)';
      });
    if (!names.length) continue;
    const m = new RegExp(`^${pattern}$`).exec(path);
    if (m) return { route, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
  }
  return undefined;
}

/** IAM-style ARN match with `*` wildcards, as API Gateway evaluates authorizer policies. */
export function arnMatches(pattern: string, arn: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return re.test(arn);
}
