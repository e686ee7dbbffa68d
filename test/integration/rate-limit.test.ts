/**
 * Per-key RPM/TPM limits on DynamoDB (dynalite through the real SDK): exact when several router
 * instances count against the same key at once, TPM fed by real usage, OpenAI's 429 and headers.
 */
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { createDynamoRateLimiter, rateLimitPk } from '../../functions/adapters/dynamo/rate-limit-store';
import { KEYS_TABLE, tableName } from '../../functions/contracts/table-specs';
import { GatewayError } from '../../functions/core/openai/errors';
import { createKeyPolicy } from '../../functions/router/key-policy';
import type { CallerKey } from '../../functions/router/request-context';
import type { LocalGateway } from '../../local/gateway';
import { eventually, hi, post, startTestGateway } from '../helpers/local-gateway';

/** A fixed instant 20 s into a window: these tests never straddle a window edge. */
const NOW = Date.UTC(2026, 10, 23, 9, 30, 20);
const at = () => NOW;

describe('per-key rate limits', () => {
  let gw: LocalGateway;
  let ddb: ReturnType<typeof createDynamoClient>;
  let table: string;
  /** Router instances whose limiter runs on the fixed clock (the rest of their deps are the defaults). */
  const instance = () =>
    gw.newRouterInstance({
      keyPolicy: createKeyPolicy(createDynamoRateLimiter(createDynamoClient(gw.env), table, { now: at })),
    });
  const counters = (keyId: string) => createDynamoRateLimiter(ddb, table, { now: at }).counters(keyId);

  let main: ReturnType<LocalGateway['newRouterInstance']>;
  beforeAll(async () => {
    gw = await startTestGateway();
    main = gw.newRouterInstance();
    ddb = createDynamoClient(gw.env);
    table = tableName(KEYS_TABLE, gw.env);
  });
  afterAll(async () => {
    ddb.destroy();
    await gw.close();
  });

  it('holds RPM exactly when two router instances admit the same key concurrently', async () => {
    const [a, b] = [instance(), instance()];
    const key: CallerKey = { keyId: 'key_rpm_two_instances', keyName: 't', admin: false, rpm: 7 };
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).deps.keyPolicy.admit(key, 10)),
    );
    const admitted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(admitted).toHaveLength(7);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(GatewayError);
      expect(r.reason).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
      expect(r.reason.headers).toMatchObject({
        'retry-after': '40',
        'x-ratelimit-limit-requests': '7',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '40s',
      });
    }
    // Every admission counted once; refusals counted nothing.
    expect((await counters(key.keyId)).requests).toBe(7);
    const remaining = admitted.map(
      (r) =>
        (r as PromiseFulfilledResult<{ headers: Record<string, string> }>).value.headers[
          'x-ratelimit-remaining-requests'
        ],
    );
    expect(remaining.sort()).toEqual(['0', '1', '2', '3', '4', '5', '6']);
  });

  it('answers over-limit HTTP requests 429 with Retry-After and x-ratelimit-* while two instances serve the key', async () => {
    const apiKey = 'sk-sy-rate-limit-http-key-00000000000000';
    const record = await gw.keys.create(apiKey, { name: 'rpm 3', admin: false, rpm: 3, tpm: 1_000_000 });
    const [a, b] = [instance(), instance()];
    let n = 0;
    gw.setTargetSelector(() => ({ handler: n++ % 2 ? a.handler : b.handler, version: '1' }));
    try {
      const replies = await Promise.all(
        Array.from({ length: 8 }, () =>
          post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), { authorization: `Bearer ${apiKey}` }),
        ),
      );
      const ok = replies.filter((r) => r.status === 200);
      const limited = replies.filter((r) => r.status === 429);
      expect(ok).toHaveLength(3);
      expect(limited).toHaveLength(5);
      for (const r of ok) {
        expect(r.headers.get('x-ratelimit-limit-requests')).toBe('3');
        expect(r.headers.get('x-ratelimit-limit-tokens')).toBe('1000000');
        expect(r.headers.get('x-ratelimit-reset-requests')).toBe('40s');
      }
      for (const r of limited) {
        expect(r.json.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null });
        expect(r.json.error.message).toContain(`API key ${record.keyId} on requests per min (RPM): Limit 3, Used 3`);
        expect(r.headers.get('retry-after')).toBe('40');
        expect(r.headers.get('retry-after-ms')).toBe('40000');
        expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('0');
        expect(r.headers.get('x-ratelimit-reset-requests')).toBe('40s');
      }
    } finally {
      gw.setTargetSelector(() => ({ handler: main.handler, version: '1' }));
    }
  });

  it('counts real token usage against TPM and refuses once usage plus the estimate exceeds it', async () => {
    const apiKey = 'sk-sy-rate-limit-tpm-key-000000000000000';
    const record = await gw.keys.create(apiKey, { name: 'tpm', admin: false, tpm: 120 });
    const router = instance();
    gw.setTargetSelector(() => ({ handler: router.handler, version: '1' }));
    try {
      let used = 0;
      let refused: Awaited<ReturnType<typeof post>> | undefined;
      for (let i = 0; i < 40 && !refused; i++) {
        const r = await post(gw, '/v1/chat/completions', hi('deepseek-v3.2', { max_tokens: 1 }), {
          authorization: `Bearer ${apiKey}`,
        });
        if (r.status === 429) {
          refused = r;
          break;
        }
        expect(r.status).toBe(200);
        used += r.json.usage.prompt_tokens + r.json.usage.completion_tokens;
        // Recorded after the response, from the upstream's real usage.
        await eventually(async () => expect((await counters(record.keyId)).tokens).toBe(used));
        expect(Number(r.headers.get('x-ratelimit-remaining-tokens'))).toBeGreaterThanOrEqual(120 - used);
      }
      expect(used).toBeGreaterThan(0);
      expect(refused).toBeDefined();
      expect(used).toBeLessThanOrEqual(120 + 40); // at most one request's usage past the limit
      expect(refused!.json.error.message).toContain(`tokens per min (TPM): Limit 120, Used ${used}`);
      expect(refused!.headers.get('x-ratelimit-remaining-tokens')).toBe(String(Math.max(0, 120 - used)));
      expect(refused!.headers.get('retry-after')).toBe('40');
    } finally {
      gw.setTargetSelector(() => ({ handler: main.handler, version: '1' }));
    }
  });

  it('is wired into the default router deps: a limited key gets x-ratelimit-* headers', async () => {
    const apiKey = 'sk-sy-rate-limit-default-key-00000000000';
    await gw.keys.create(apiKey, { name: 'default wiring', admin: false, rpm: 10_000 });
    const r = await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), { authorization: `Bearer ${apiKey}` });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ratelimit-limit-requests')).toBe('10000');
    // A key without limits costs no rate-limit write at all.
    expect(
      (await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'))).headers.get('x-ratelimit-limit-requests'),
    ).toBeNull();
  });

  it('keeps windows as pk rl#<keyId>, sk <window start>, with an expiry for cleanup', async () => {
    const limiter = createDynamoRateLimiter(ddb, table, { now: at });
    await limiter.admit({ keyId: 'key_item_shape', rpm: 5 }, 1);
    const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
    const item = (
      await ddb.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: rateLimitPk('key_item_shape') }, sk: { S: '2026-11-23T09:30Z' } },
        }),
      )
    ).Item;
    expect(item).toMatchObject({
      requests: { N: '1' },
      expiresAt: { N: String(Date.UTC(2026, 10, 23, 9, 31) / 1000 + 3600) },
    });
  });

  it('admits without counting (and says so) when DynamoDB is unreachable', async () => {
    const warnings: unknown[] = [];
    const broken = createDynamoClient({ SWITCHYARD_DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' });
    const limiter = createDynamoRateLimiter(broken, table, { now: at, log: (...a) => void warnings.push(a) });
    await expect(limiter.admit({ keyId: 'key_unreachable', rpm: 1 }, 1)).resolves.toEqual({ headers: {} });
    await expect(limiter.recordTokens({ keyId: 'key_unreachable', tpm: 1 }, 5)).resolves.toBeUndefined();
    expect(JSON.stringify(warnings)).toContain('rate limiter unavailable');
    broken.destroy();
  });
});
