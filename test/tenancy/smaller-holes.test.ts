/**
 * Finding 7's smaller holes, against the local runtime: refusals counted on the scope that refused
 * (not as a model's error in /v1/stats), money printed with the precision it needs, and the local
 * runtime in `--real` mode serving only this machine's own non-browser clients with no demo key.
 */
import { request } from 'node:http';
import type { LocalGateway } from '../../local/gateway';
import { eventually, get, hi, post, startTestGateway } from '../helpers/local-gateway';
import { bearer, tenantKey } from './tenant-helpers';

describe("a key's own budget refusal", () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('prints the limit as it is ($0.005) and is not counted as a model error in /v1/stats', async () => {
    const { key, record } = await tenantKey(gw, { dailyBudgetUsd: 0.005 });
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'), bearer(key));
    expect([r.status, r.json.error.code]).toEqual([429, 'insufficient_quota']);
    expect(r.json.error.message).toContain("this API key's limit of $0.005 ");

    const day = await eventually(async () => {
      const stats = await get(gw, '/v1/stats');
      const d = stats.json.days[0];
      expect(d.total.requests).toBe(1);
      return d;
    });
    for (const m of day.models) expect(m.errors).toBe(0);
    const scope = (name: string) => day.scopes.find((s: { scope: string }) => s.scope === name);
    expect(scope('refused#key')).toMatchObject({ requests: 1, errors: 1 });
    expect(scope(`key#${record.keyId}`)).toMatchObject({ requests: 1, errors: 1 });
  });
});

/** A raw request, so Host and Origin are exactly what a browser or a rebinding page would send. */
function rawGet(gw: LocalGateway, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const url = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: '/v1/models', method: 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the local runtime with real upstreams (--real)', () => {
  let gw: LocalGateway;
  let key: string;
  beforeAll(async () => {
    gw = await startTestGateway(undefined, { loopbackClientsOnly: true, demoKey: false });
    key = (await tenantKey(gw, {})).key;
  });
  afterAll(() => gw.close());

  it('creates no well-known demo key', async () => {
    expect((await get(gw, '/v1/models')).status).toBe(401);
    expect((await get(gw, '/v1/models', bearer(key))).status).toBe(200);
  });

  it('refuses a foreign Host (DNS rebinding) and any browser Origin with 403', async () => {
    const port = new URL(gw.url).port;
    const auth = bearer(key);
    expect((await rawGet(gw, { ...auth, host: `127.0.0.1:${port}` })).status).toBe(200);
    expect((await rawGet(gw, { ...auth, host: `localhost:${port}` })).status).toBe(200);
    const rebound = await rawGet(gw, { ...auth, host: `attacker.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.code).toBe('forbidden_client');
    const browser = await rawGet(gw, { ...auth, host: `127.0.0.1:${port}`, origin: 'https://attacker.example' });
    expect(browser.status).toBe(403);
  });
});

describe('the local runtime by default', () => {
  it('keeps the demo key and accepts any client (simulated upstreams cost nothing)', async () => {
    const gw = await startTestGateway();
    try {
      expect((await get(gw, '/v1/models')).status).toBe(200);
      expect((await rawGet(gw, { ...bearer(gw.demoKey), host: 'anything.example', origin: 'x' })).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});
