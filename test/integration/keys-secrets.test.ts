/**
 * Upstream keys end to end: which key the simulated provider received (environment locally,
 * Secrets Manager on AWS, both rotated without a restart), an upstream 401 reported as a gateway
 * configuration error, and no key, client or upstream, in any log line, body or header.
 */
import {
  createSecretsManagerSource,
  type SecretFetcher,
} from '../../functions/adapters/secrets/secrets-manager-source';
import { hashApiKey } from '../../functions/core/keys';
import type { LocalGateway } from '../../local/gateway';
import { formatRequestLog } from '../../local/request-log';
import { get, hi, post, startTestGateway, type Reply } from '../helpers/local-gateway';

const UPSTREAM_1 = 'sk-upstream-openai-AAAA1111aaaa1111';
const UPSTREAM_2 = 'sk-upstream-openai-BBBB2222bbbb2222';
const SM_1 = 'sk-upstream-from-secrets-manager-CCCC3333';
const SM_2 = 'sk-upstream-from-secrets-manager-DDDD4444';
const CLIENT = 'sk-sy-leak-check-client-key-0000000000000';
const LIMITED = 'sk-sy-leak-check-limited-key-000000000000';
const REVOKED = 'sk-sy-leak-check-revoked-key-000000000000';
const SECRETS = [UPSTREAM_1, UPSTREAM_2, SM_1, SM_2, CLIENT, LIMITED, REVOKED];

const direct = (key = CLIENT) => ({ authorization: `Bearer ${key}`, 'x-switchyard-fallback': 'off' });

describe('upstream provider keys', () => {
  let gw: LocalGateway;
  let main: ReturnType<LocalGateway['newRouterInstance']>;
  const requestLog: string[] = [];
  const openaiAuth = () =>
    gw
      .providers!.requests()
      .filter((r) => r.provider === 'openai')
      .at(-1)?.authorization;

  beforeAll(async () => {
    gw = await startTestGateway(undefined, {
      env: { OPENAI_API_KEY: UPSTREAM_1 },
      // What `npm start` prints per request, in both forms.
      onRequest: (l) => requestLog.push(formatRequestLog(l, 'json'), formatRequestLog(l, 'text')),
    });
    main = gw.newRouterInstance();
    await gw.keys.create(CLIENT, { name: 'leak check', admin: false });
    await gw.keys.create(LIMITED, { name: 'leak check limited', admin: false, rpm: 1 });
    const revoked = await gw.keys.create(REVOKED, { name: 'leak check revoked', admin: false });
    await gw.keys.setStatus(revoked.keyId, 'revoked');
  });
  afterAll(() => gw.close());
  afterEach(() => {
    gw.providers!.clearFaults();
    gw.setTargetSelector(() => ({ handler: main.handler, version: '1' }));
  });

  it('locally sends the key from the environment, and a changed value from the next request on', async () => {
    expect((await post(gw, '/v1/chat/completions', hi('gpt-4.1'), direct())).status).toBe(200);
    expect(openaiAuth()).toBe(`Bearer ${UPSTREAM_1}`);
    gw.env.OPENAI_API_KEY = UPSTREAM_2;
    expect((await post(gw, '/v1/chat/completions', hi('gpt-4.1'), direct())).status).toBe(200);
    expect(openaiAuth()).toBe(`Bearer ${UPSTREAM_2}`);
  });

  it('on AWS reads the key from Secrets Manager and uses a rotated value once the TTL has passed', async () => {
    let clock = 0;
    const values: Record<string, string> = { 'arn:openai': SM_1 };
    const fetcher: SecretFetcher = { getSecretString: async (id) => values[id] };
    const router = gw.newRouterInstance({
      secrets: createSecretsManagerSource({
        secretIds: { openai: 'arn:openai' },
        ttlMs: 60_000,
        now: () => clock,
        fetcher,
      }),
    });
    gw.setTargetSelector(() => ({ handler: router.handler, version: '1' }));

    expect((await post(gw, '/v1/chat/completions', hi('gpt-4.1'), direct())).status).toBe(200);
    expect(openaiAuth()).toBe(`Bearer ${SM_1}`);
    values['arn:openai'] = SM_2; // `aws secretsmanager put-secret-value`: no deploy, no restart
    clock += 30_000;
    await post(gw, '/v1/chat/completions', hi('gpt-4.1'), direct());
    expect(openaiAuth()).toBe(`Bearer ${SM_1}`);
    clock += 30_000;
    expect((await post(gw, '/v1/chat/completions', hi('gpt-4.1'), direct())).status).toBe(200);
    expect(openaiAuth()).toBe(`Bearer ${SM_2}`);
  });

  it('reports an upstream 401 as a 502 gateway configuration error that names the provider, not the key', async () => {
    gw.providers!.setFault({ provider: 'openai', status: 401 });
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'), direct());
    expect(r.status).toBe(502);
    expect(r.json.error).toMatchObject({ type: 'upstream_error', code: 'upstream_auth_failed', param: null });
    expect(r.json.error.message).toMatch(/configuration error: provider 'openai' rejected the gateway's credentials/);
    expect(leaks(r)).toEqual([]);
  });

  it('never puts a client or upstream key into logs, bodies or headers', async () => {
    const captured: string[] = [];
    const spies = [
      ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
        jest
          .spyOn(console, m)
          .mockImplementation((...args: unknown[]) => void captured.push(args.map(String).join(' '))),
      ),
      ...[process.stdout, process.stderr].map((s) =>
        jest.spyOn(s, 'write').mockImplementation(((chunk: unknown) => {
          captured.push(String(chunk));
          return true;
        }) as never),
      ),
    ];
    const replies: Reply[] = [];
    requestLog.length = 0;
    try {
      gw.env.OPENAI_API_KEY = UPSTREAM_1;
      replies.push(await post(gw, '/v1/chat/completions', hi('gpt-4.1'), direct()));
      replies.push(await post(gw, '/v1/chat/completions', hi('gpt-4.1', { stream: true }), direct()));
      replies.push(await post(gw, '/v1/chat/completions', hi('auto'), { authorization: `Bearer ${CLIENT}` }));
      gw.providers!.setFault({ provider: 'openai', status: 401 });
      replies.push(await post(gw, '/v1/chat/completions', hi('gpt-4.1'), direct()));
      replies.push(await post(gw, '/v1/chat/completions', hi('gpt-4.1'), { authorization: `Bearer ${CLIENT}` }));
      gw.providers!.setFault({ provider: 'openai', status: 500 });
      replies.push(await post(gw, '/v1/chat/completions', hi('gpt-4.1'), direct()));
      gw.providers!.clearFaults();
      replies.push(await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), direct(LIMITED)));
      replies.push(await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), direct(LIMITED)));
      replies.push(await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), direct(REVOKED)));
      replies.push(await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), { authorization: `Bearer ${CLIENT}x` }));
      replies.push(await post(gw, '/v1/chat/completions', '{"model":', direct()));
      replies.push(await post(gw, '/v1/chat/completions', hi('gpt-9'), direct()));
      replies.push(await get(gw, '/v1/stats', { authorization: `Bearer ${CLIENT}` }));
      replies.push(await get(gw, '/v1/models', { authorization: `Bearer ${CLIENT}` }));
    } finally {
      for (const s of spies) s.mockRestore();
    }
    // The scenarios really happened: successes, a stream, upstream 401 and 500, 429, 401s, 400, 404, 403.
    expect(replies.map((r) => r.status)).toEqual([
      200,
      200,
      200,
      502,
      expect.any(Number),
      502,
      200,
      429,
      401,
      401,
      400,
      404,
      403,
      200,
    ]);
    captured.push(...requestLog);
    expect(captured.join('\n')).toContain('"status":429'); // logs were captured at all
    for (const secret of [...SECRETS, ...SECRETS.map(hashApiKey)]) {
      expect(captured.filter((line) => line.includes(secret))).toEqual([]);
    }
    expect(replies.flatMap(leaks)).toEqual([]);
  });
});

/** Every secret (or its hash) found in a reply's body or headers. */
function leaks(r: Reply): string[] {
  const text = r.text + JSON.stringify([...r.headers.entries()]);
  return [...SECRETS, ...SECRETS.map(hashApiKey)].filter((s) => text.includes(s));
}
