/**
 * `npm run keys -- ... --api URL` against the local runtime: the CLI manages keys through the admin
 * endpoints (`/v1/admin/keys...`) with an admin key from the environment, as it does against a
 * deployed stack (where the admin function serves them), with no DynamoDB access of its own.
 */
import { runKeysCli } from '../../bin/keys-cli';
import { adminApiBase } from '../../bin/keys-admin';
import type { LocalGateway } from '../../local/gateway';
import { get, startTestGateway } from '../helpers/local-gateway';

describe('keys CLI over the admin API (--api)', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  async function cli(argv: string[], adminKey: string | null = gw.demoKey) {
    const out: string[] = [];
    const err: string[] = [];
    const env = adminKey === null ? {} : { SWITCHYARD_ADMIN_KEY: adminKey };
    const code = await runKeysCli([...argv, '--api', gw.url], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const works = async (key: string) => (await get(gw, '/v1/models', { authorization: `Bearer ${key}` })).status;

  it('creates, lists, shows, updates, rotates and revokes a key through the gateway', async () => {
    const created = await cli([
      'create',
      '--name',
      'over http',
      '--rpm',
      '60',
      '--models',
      'gpt-4.1',
      '--expires-in',
      '30d',
    ]);
    expect(created.code).toBe(0);
    const secret = created.out.match(/sk-sy-[A-Za-z0-9_-]{43}/)![0];
    const keyId = created.out.match(/key_[0-9a-f]{16}/)![0];
    expect(created.out).toContain('shown only now');
    expect(created.out).toMatch(/rpm=60 .*models=gpt-4\.1 expires=/);
    expect(await works(secret)).toBe(200);

    const list = await cli(['list']);
    expect(list.out).toMatch(new RegExp(`${keyId}\\s+over http\\s+active`));
    expect(list.out).not.toContain(secret);

    const updated = await cli(['update', keyId, '--rpm', 'none', '--daily-budget', '3']);
    expect(updated.code).toBe(0);
    const shown = JSON.parse((await cli(['show', keyId])).out);
    expect(shown).toMatchObject({ keyId, dailyBudgetUsd: 3 });
    expect(shown.rpm).toBeUndefined();
    // 30 days from now, to the second the CLI and the gateway share.
    expect(Math.abs(Date.parse(shown.validUntil) - (Date.now() + 30 * 86_400_000))).toBeLessThan(60_000);

    const rotated = await cli(['rotate', keyId, '--grace', '0s']);
    expect(rotated.code).toBe(0);
    const next = rotated.out.match(/sk-sy-[A-Za-z0-9_-]{43}/)![0];
    expect(await works(next)).toBe(200);
    expect(await works(secret)).toBe(401);

    expect((await cli(['revoke', keyId])).code).toBe(0);
    expect(await works(next)).toBe(401);
    expect(JSON.parse((await cli(['show', keyId])).out).status).toBe('revoked');
  });

  it('says so when a key does not exist', async () => {
    const r = await cli(['show', 'key_0000000000000000']);
    expect([r.code, r.err]).toEqual([1, 'No key with id key_0000000000000000.']);
  });

  it('fails plainly with a non-admin key, and without one', async () => {
    const tenant = await cli(['create', '--name', 'tenant']);
    const tenantKey = tenant.out.match(/sk-sy-[A-Za-z0-9_-]{43}/)![0];
    const refused = await cli(['list'], tenantKey);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('the admin key was refused (403)');
    const none = await cli(['list'], null);
    expect(none.code).toBe(2);
    expect(none.err).toContain('SWITCHYARD_ADMIN_KEY');
  });

  it('never sends an admin key over plain http to another machine', () => {
    expect(adminApiBase('https://abc.execute-api.us-east-1.amazonaws.com/prod/v1/')).toBe(
      'https://abc.execute-api.us-east-1.amazonaws.com/prod',
    );
    expect(adminApiBase('http://127.0.0.1:8787')).toBe('http://127.0.0.1:8787');
    expect(() => adminApiBase('http://gateway.example.com/prod')).toThrow(/https/);
    expect(() => adminApiBase('not a url')).toThrow(/--api must be a URL/);
  });
});
