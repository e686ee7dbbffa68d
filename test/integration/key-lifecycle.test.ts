/**
 * Key lifecycle end to end on the local runtime, with one injected clock for the CLI, the
 * authorizer and the emulator's authorizer cache: expiry, rotation with a grace period, limit
 * updates seen after the cache TTL, and repeated or padded Authorization headers refused.
 */
import { request } from 'node:http';
import { runKeysCli } from '../../bin/keys-cli';
import { createAuthorizerHandler } from '../../functions/authorizer/lambda-handler';
import { startApiGatewayEmulator } from '../../local/apigw-emulator';
import type { LocalGateway } from '../../local/gateway';
import { hi, post, startTestGateway } from '../helpers/local-gateway';

const TTL_MS = 60_000;
const HOUR = 3_600_000;

/** Sends the request with each listed value of Authorization on its own header line (fetch would join them). */
function rawRequest(url: string, path: string, authorization: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setHeader('authorization', authorization);
    req.on('error', reject);
    req.end();
  });
}

describe('key lifecycle on the local runtime', () => {
  let gw: LocalGateway;
  let clock = Date.UTC(2026, 11, 1, 9, 0, 0);
  const now = () => clock;

  beforeAll(async () => {
    gw = await startTestGateway(undefined, { authorizerCacheTtlMs: TTL_MS, now });
  });
  afterAll(() => gw.close());

  async function keys(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runKeysCli([...argv, '--endpoint', gw.dynamo.endpoint], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: {},
      now,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const secretIn = (text: string) => text.match(/sk-sy-[A-Za-z0-9_-]{43}/)![0];
  const keyIdIn = (text: string) => text.match(/key_[0-9a-f]{16}/)![0];
  const chat = (key: string, model = 'deepseek-v3.2') =>
    post(gw, '/v1/chat/completions', hi(model), { authorization: `Bearer ${key}` }).then((r) => r.status);

  it('refuses a key created with --expires-in once it has expired (401)', async () => {
    const created = await keys('create', '--name', 'temp', '--expires-in', '2h', '--max-concurrency', '2');
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/concurrency=2 .*expires=2026-12-01T11:00:00Z/);
    const key = secretIn(created.out);
    expect(await chat(key)).toBe(200);
    clock += 2 * HOUR - 1;
    expect(await chat(key)).toBe(200); // a fresh decision, cached for one TTL
    clock += 1;
    // The stated latency: a decision cached before the expiry serves until its TTL ends, never longer.
    expect(await chat(key)).toBe(200);
    clock += TTL_MS - 1;
    expect(await chat(key)).toBe(401);
  });

  it('rotates a key: the new secret works at once, the old one during its grace only (same key id)', async () => {
    const created = await keys('create', '--name', 'service', '--models', 'deepseek-v3.2');
    const oldKey = secretIn(created.out);
    const keyId = keyIdIn(created.out);
    expect(await chat(oldKey)).toBe(200);

    const graceEnds = new Date(clock + 24 * HOUR).toISOString();
    const rotated = await keys('rotate', keyId, '--grace', '24h');
    expect(rotated.code).toBe(0);
    const newKey = secretIn(rotated.out);
    expect(newKey).not.toBe(oldKey);
    expect(rotated.out).toContain(`keeps working until ${graceEnds}`);
    expect(await chat(newKey)).toBe(200);
    // Limits carry over to the new secret.
    expect(await chat(newKey, 'gpt-4.1')).toBe(403);

    clock += 24 * HOUR - 1;
    expect(await chat(oldKey)).toBe(200); // inside the grace period
    clock += TTL_MS; // the grace has ended and so has the decision cached inside it
    expect(await chat(oldKey)).toBe(401);
    expect(await chat(newKey)).toBe(200);

    const list = await keys('list', '--json');
    const records = JSON.parse(list.out) as Array<{ keyId: string }>;
    expect(records.filter((r) => r.keyId === keyId)).toHaveLength(1);
    // Revoking the key revokes every secret of it.
    expect((await keys('revoke', keyId)).code).toBe(0);
    clock += TTL_MS;
    expect(await chat(newKey)).toBe(401);
  });

  it('answers an unknown or revoked key on rotate with exit 1 and prints no secret', async () => {
    const r = await keys('rotate', 'key_0000000000000000');
    expect(r.code).toBe(1);
    expect(r.out).not.toMatch(/sk-sy-/);
  });

  it('applies updated limits once the authorizer cache TTL has passed', async () => {
    const created = await keys('create', '--name', 'narrow', '--models', 'deepseek-v3.2');
    const key = secretIn(created.out);
    const keyId = keyIdIn(created.out);
    expect(await chat(key, 'gpt-4.1')).toBe(403);

    const updated = await keys('update', keyId, '--models', 'none', '--rpm', '100', '--max-concurrency', '4');
    expect(updated.code).toBe(0);
    expect(updated.out).toContain('rpm=100 concurrency=4');
    expect(updated.out).not.toContain('models=');
    clock += TTL_MS - 1;
    expect(await chat(key, 'gpt-4.1')).toBe(403); // the cached decision still carries the old limits
    clock += 1;
    expect(await chat(key, 'gpt-4.1')).toBe(200);

    const bad = await keys('update', keyId, '--rpm', '0');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('rpm: must be a whole number >= 1');
    expect((await keys('update', keyId)).err).toContain('nothing to update');
    expect((await keys('update', keyId, '--expires-in', 'soon')).err).toContain('--expires-in must be a duration');
  });

  it('answers a repeated or padded Authorization header 401, even when a valid value is cached', async () => {
    const key = gw.demoKey;
    const unknown = 'sk-sy-unknown-key-0000000000000000000000';
    expect(await rawRequest(gw.url, '/v1/models', [`Bearer ${key}`])).toBe(200); // now cached
    expect(await rawRequest(gw.url, '/v1/models', [`Bearer ${key}`, `Bearer ${unknown}`])).toBe(401);
    expect(await rawRequest(gw.url, '/v1/models', [`Bearer ${unknown}`, `Bearer ${key}`])).toBe(401);
    expect(await rawRequest(gw.url, '/v1/models', [`Bearer ${key}`, `Bearer ${key}`])).toBe(401);
    expect(await rawRequest(gw.url, '/v1/models', [`Bearer  ${key}`])).toBe(401);
    expect(await rawRequest(gw.url, '/v1/models', [`Bearer ${key}`])).toBe(200);
  });
});

describe("the emulator's authorizer cache", () => {
  it('is bounded: past its size the oldest decision is evicted and the authorizer runs again', async () => {
    const gw = await startTestGateway();
    const keys = ['a', 'b', 'c'].map((c) => `sk-sy-bounded-${c.repeat(30)}`);
    for (const [i, k] of keys.entries()) await gw.keys.create(k, { name: `k${i}`, admin: false });
    let calls = 0;
    const decide = createAuthorizerHandler(gw.keys);
    const router = gw.newRouterInstance();
    const em = await startApiGatewayEmulator({
      selectTarget: () => ({ handler: router.handler, version: '1' }),
      authorizer: ((event: never, ctx: never) => {
        calls++;
        return decide(event, ctx);
      }) as never,
      authorizerCacheTtlMs: TTL_MS,
      authorizerCacheMaxEntries: 2,
    });
    const call = (k: string) =>
      fetch(`${em.url}/v1/models`, { headers: { authorization: `Bearer ${k}` } }).then((r) => r.status);
    try {
      expect(await call(keys[0])).toBe(200);
      expect(await call(keys[1])).toBe(200);
      expect(await call(keys[1])).toBe(200);
      expect(calls).toBe(2);
      expect(await call(keys[2])).toBe(200); // evicts keys[0]
      expect(await call(keys[1])).toBe(200);
      expect(calls).toBe(3);
      expect(await call(keys[0])).toBe(200);
      expect(calls).toBe(4);
    } finally {
      await em.close();
      await gw.close();
    }
  });
});

describe('revocation latency', () => {
  it("is the routing config's gateway.authorizerCacheTtlSeconds, the setting the stack deploys", async () => {
    let clock = Date.UTC(2026, 11, 1, 9, 0, 0);
    const gw = await startTestGateway(
      (cfg) => {
        cfg.gateway = { ...(cfg.gateway ?? {}), authorizerCacheTtlSeconds: 5 };
      },
      { authorizerCacheTtlMs: undefined, now: () => clock },
    );
    try {
      const key = 'sk-sy-latency-key-000000000000000000000000';
      const record = await gw.keys.create(key, { name: 'soon revoked', admin: false });
      const models = () =>
        fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
      expect(await models()).toBe(200);
      await gw.keys.setStatus(record.keyId, 'revoked');
      clock += 4_999;
      expect(await models()).toBe(200);
      clock += 1;
      expect(await models()).toBe(401);
    } finally {
      await gw.close();
    }
  });
});
