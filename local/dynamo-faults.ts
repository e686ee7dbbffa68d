/**
 * A loopback fault proxy in front of the local DynamoDB (dynalite). The handlers' real AWS SDK
 * talks to it exactly as to DynamoDB; the proxy forwards every request untouched unless told to
 * fail, so what the gateway sees is what it would see from AWS:
 *
 * - `pass`: pass-through (the default);
 * - `unreachable`: the listener is closed and every open connection destroyed, so in-flight calls
 *   fail with a reset and new ones with ECONNREFUSED, as when the endpoint cannot be reached;
 * - `throttle`: HTTP 400 with DynamoDB's own `ProvisionedThroughputExceededException` JSON error
 *   (which the SDK classifies as throttling and retries with its throttling backoff), for every
 *   request, a `fraction` of them, or the next `times` of them, optionally only for some operations.
 *
 * Used by the fault-matrix tests (`startLocalGateway({ dynamoFaults: true })`, then `gw.dynamoFaults`)
 * and by soak scripts. Setup writes made before a mode is set (tables, the demo key) go through
 * in pass-through like any other call.
 */
import {
  createServer,
  request as httpRequest,
  Agent,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type DynamoFaultMode = 'pass' | 'unreachable' | 'throttle';

export interface ThrottleOptions {
  /** Share of matching requests answered with the throttling error, 0..1 (default 1: all of them). */
  fraction?: number;
  /** Throttle only the next N matching requests, then pass again (default: no limit). */
  times?: number;
  /** Only these operations (X-Amz-Target suffix, e.g. `UpdateItem`); default every operation. */
  operations?: string[];
  /** Draws for `fraction` (default the proxy's, Math.random unless given at start); pass a seeded one to repeat a run. */
  random?: () => number;
}

export interface DynamoFaultSettings extends ThrottleOptions {
  mode: DynamoFaultMode;
}

export interface DynamoFaultCounts {
  /** Requests forwarded to DynamoDB, by operation. */
  forwarded: Record<string, number>;
  /** Requests answered with ProvisionedThroughputExceededException, by operation. */
  throttled: Record<string, number>;
  /** Open connections destroyed when the proxy went unreachable (new ones are refused by the OS, uncounted). */
  connectionsCut: number;
}

export interface DynamoFaultProxy {
  /** What SWITCHYARD_DYNAMODB_ENDPOINT points at. */
  endpoint: string;
  mode(): DynamoFaultMode;
  /** Sets a mode; `unreachable` resolves once the listener is closed, `pass`/`throttle` once it listens again. */
  set(settings: DynamoFaultSettings): Promise<void>;
  pass(): Promise<void>;
  unreachable(): Promise<void>;
  throttle(opts?: ThrottleOptions): Promise<void>;
  counts(): DynamoFaultCounts;
  resetCounts(): void;
  /** Pass-through and zero counts. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface DynamoFaultProxyOptions {
  /** Port to listen on (default: a free one, kept across unreachable periods). */
  port?: number;
  /** For `fraction` (default Math.random); pass a seeded one for reproducible runs. */
  random?: () => number;
}

/** DynamoDB's wire error for a throttled request (JSON 1.0 protocol). */
export const THROTTLE_ERROR_TYPE = 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException';
const THROTTLE_BODY = JSON.stringify({
  __type: THROTTLE_ERROR_TYPE,
  message:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
});

const operationOf = (req: IncomingMessage) =>
  String(req.headers['x-amz-target'] ?? '')
    .split('.')
    .pop() || 'unknown';
const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

export async function startDynamoFaultProxy(
  target: string,
  opts: DynamoFaultProxyOptions = {},
): Promise<DynamoFaultProxy> {
  const upstream = new URL(target);
  const random = opts.random ?? Math.random;
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  let settings: DynamoFaultSettings = { mode: 'pass' };
  let left = Infinity;
  let counts: DynamoFaultCounts = { forwarded: {}, throttled: {}, connectionsCut: 0 };
  let listening = false;

  function throttles(op: string): boolean {
    if (settings.mode !== 'throttle') return false;
    if (settings.operations && !settings.operations.includes(op)) return false;
    if (left <= 0) return false;
    if ((settings.random ?? random)() >= (settings.fraction ?? 1)) return false;
    left--;
    return true;
  }

  function forward(req: IncomingMessage, res: ServerResponse, op: string): void {
    bump(counts.forwarded, op);
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  }

  const server: Server = createServer({ keepAliveTimeout: 10 * 60_000 }, (req, res) => {
    const op = operationOf(req);
    if (throttles(op)) {
      bump(counts.throttled, op);
      req.resume();
      req.on('end', () => {
        res.writeHead(400, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': `throttled-${Date.now().toString(36)}`,
          'content-length': Buffer.byteLength(THROTTLE_BODY),
        });
        res.end(THROTTLE_BODY);
      });
      return;
    }
    forward(req, res, op);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        listening = true;
        resolve();
      });
    });
  }

  function stopListening(): Promise<void> {
    if (!listening) return Promise.resolve();
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) {
      counts.connectionsCut++;
      s.destroy();
    }
    return closed;
  }

  await listen(opts.port ?? 0);
  const port = (server.address() as AddressInfo).port;

  const proxy: DynamoFaultProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    mode: () => settings.mode,
    async set(next) {
      settings = { ...next };
      left = next.mode === 'throttle' && next.times !== undefined ? next.times : Infinity;
      if (next.mode === 'unreachable') await stopListening();
      else if (!listening) await listen(port);
    },
    pass: () => proxy.set({ mode: 'pass' }),
    unreachable: () => proxy.set({ mode: 'unreachable' }),
    throttle: (o = {}) => proxy.set({ mode: 'throttle', ...o }),
    counts: () => ({
      forwarded: { ...counts.forwarded },
      throttled: { ...counts.throttled },
      connectionsCut: counts.connectionsCut,
    }),
    resetCounts() {
      counts = { forwarded: {}, throttled: {}, connectionsCut: 0 };
    },
    async reset() {
      await proxy.pass();
      proxy.resetCounts();
    },
    async close() {
      await stopListening();
      agent.destroy();
    },
  };
  return proxy;
}
