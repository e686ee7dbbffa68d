import defaultConfig from '../../config/switchyard.json';
import { startLocalGateway, type LocalGateway, type LocalGatewayOptions } from '../../local/gateway';

export type ConfigEdit = (cfg: any) => void;

/**
 * A fresh gateway on a free loopback port with fast simulated providers; the caller closes it.
 * No health-check timer (its probes would show up in provider request logs): pass healthCheckIntervalMs
 * or call gw.runHealthRound().
 */
export async function startTestGateway(
  edit?: ConfigEdit,
  opts: Partial<LocalGatewayOptions> = {},
): Promise<LocalGateway> {
  const cfg = structuredClone(defaultConfig) as any;
  edit?.(cfg);
  return startLocalGateway({
    port: 0,
    timeScale: 0.01,
    configJson: cfg,
    authorizerCacheTtlMs: 0,
    healthCheckIntervalMs: 0,
    ...opts,
  });
}

export interface Reply {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

async function reply(res: Response): Promise<Reply> {
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

export async function post(
  gw: LocalGateway,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return reply(
    await fetch(gw.url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.demoKey}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

export async function get(gw: LocalGateway, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return reply(await fetch(gw.url + path, { headers: { authorization: `Bearer ${gw.demoKey}`, ...headers } }));
}

export const hi = (model = 'gpt-4.1', extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});

/** Waits until `check` passes (for work that completes after the response, like usage counters). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
