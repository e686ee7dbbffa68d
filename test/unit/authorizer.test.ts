/**
 * The authorizer's decision on its own, with an in-memory key store and a fake clock: every
 * outcome, the policy it returns (stage-wide Allow, Deny on admin endpoints), its own cache and
 * the once-a-minute lastUsedAt write.
 */
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { KeyStore } from '../../functions/adapters/dynamo/key-store';
import { ADMIN_ENDPOINTS, createAuthorizer, stageWildcard } from '../../functions/authorizer/authorize';
import { KEY_HEADER_SPECS, keyHeaderSpec } from '../../functions/core/key-headers';
import { hashApiKey, keyIdFromHash, type KeyRecord } from '../../functions/core/keys';
import { requireAdmin } from '../../functions/router/key-policy';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/v1/chat/completions';
const ACTIVE = 'sk-sy-active-key-00000000000000000000000';
const ADMIN = 'sk-sy-admin-key-000000000000000000000000';
const REVOKED = 'sk-sy-revoked-key-0000000000000000000000';

function memoryKeyStore() {
  const byHash = new Map<string, KeyRecord>();
  const calls = { get: 0, touch: 0 };
  let touchFails = false;
  const store: KeyStore = {
    async getByHash(hash) {
      calls.get++;
      const r = byHash.get(hash);
      return r && { ...r };
    },
    async create(apiKey, fields) {
      const hash = hashApiKey(apiKey);
      const record: KeyRecord = {
        ...fields,
        keyId: keyIdFromHash(hash),
        status: fields.status ?? 'active',
        createdAt: '2026-01-01T00:00:00.000Z',
      };
      byHash.set(hash, record);
      return record;
    },
    async list() {
      return [...byHash.values()];
    },
    async getById(keyId) {
      return [...byHash.values()].find((r) => r.keyId === keyId);
    },
    async setStatus(keyId, status) {
      const r = [...byHash.values()].find((x) => x.keyId === keyId);
      if (r) r.status = status;
      return Boolean(r);
    },
    async update(keyId, changes) {
      const r = [...byHash.values()].find((x) => x.keyId === keyId);
      for (const [field, v] of Object.entries(changes)) {
        if (!r) break;
        if (v === null) delete (r as unknown as Record<string, unknown>)[field];
        else Object.assign(r, { [field]: v });
      }
      return r;
    },
    async rotate() {
      return undefined;
    },
    async touchLastUsed(hash, at, staleBefore) {
      calls.touch++;
      if (touchFails) throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
      const r = byHash.get(hash);
      if (!r || (r.lastUsedAt !== undefined && r.lastUsedAt >= staleBefore)) return false;
      r.lastUsedAt = at;
      return true;
    },
  };
  return { store, calls, byHash, failTouch: (on: boolean) => (touchFails = on) };
}

const event = (headers: Record<string, string>, methodArn = METHOD_ARN, multiValueHeaders?: Record<string, string[]>) =>
  ({ type: 'REQUEST', methodArn, headers, multiValueHeaders }) as unknown as APIGatewayRequestAuthorizerEvent;

describe('authorizer', () => {
  let mem: ReturnType<typeof memoryKeyStore>;
  let clock: number;
  const now = () => clock;
  const quiet = () => undefined;

  beforeEach(async () => {
    mem = memoryKeyStore();
    clock = Date.UTC(2026, 10, 23, 12, 0, 0);
    await mem.store.create(ACTIVE, {
      name: 'team a',
      admin: false,
      rpm: 60,
      tpm: 10_000,
      allowedModels: ['gpt-4.1', 'auto'],
      defaultBudgetFactor: 0.5,
    });
    await mem.store.create(ADMIN, { name: 'ops', admin: true });
    await mem.store.create(REVOKED, { name: 'old', admin: false, status: 'revoked' });
  });

  it.each([
    ['a missing', {}],
    ['an empty', { Authorization: '' }],
    ['a malformed (not Bearer)', { Authorization: `Basic ${ACTIVE}` }],
    ['a malformed (too short)', { Authorization: 'Bearer sk-1' }],
    ['a malformed (control characters)', { Authorization: `Bearer ${ACTIVE}\u0001` }],
  ])('refuses %s key with 401 without reading the table', async (_, headers) => {
    await expect(createAuthorizer(mem.store)(event(headers))).rejects.toThrow(/^Unauthorized$/);
    expect(mem.calls.get).toBe(0);
  });

  it.each([
    ['an unknown', 'sk-sy-unknown-key-0000000000000000000000'],
    ['a revoked', REVOKED],
  ])('refuses %s key with 401', async (_, key) => {
    await expect(
      createAuthorizer(mem.store, { now, log: quiet })(event({ Authorization: `Bearer ${key}` })),
    ).rejects.toThrow(/^Unauthorized$/);
    expect(mem.calls.get).toBe(1);
  });

  it('allows a valid key for the whole stage and passes its id and limits, never the key', async () => {
    const result = await createAuthorizer(mem.store, { now })(event({ authorization: `bearer ${ACTIVE}` }));
    const keyId = keyIdFromHash(hashApiKey(ACTIVE));
    expect(result.principalId).toBe(keyId);
    expect(result.policyDocument.Statement[0]).toEqual({
      Action: 'execute-api:Invoke',
      Effect: 'Allow',
      Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*',
    });
    expect(result.context).toEqual({
      keyId,
      keyName: 'team a',
      admin: 'false',
      limits: JSON.stringify({ allowedModels: ['gpt-4.1', 'auto'], defaultBudgetFactor: 0.5, rpm: 60, tpm: 10_000 }),
    });
    expect(JSON.stringify(result)).not.toContain(ACTIVE);
    expect(JSON.stringify(result)).not.toContain(hashApiKey(ACTIVE));
  });

  it('denies admin-only endpoints to other keys in the (cached) policy, not to admin keys', async () => {
    expect(ADMIN_ENDPOINTS).toContainEqual({ method: 'GET', resource: '/v1/stats' });
    const user = await createAuthorizer(mem.store, { now })(event({ Authorization: `Bearer ${ACTIVE}` }));
    expect(user.policyDocument.Statement).toContainEqual({
      Action: 'execute-api:Invoke',
      Effect: 'Deny',
      Resource: [
        'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/v1/stats',
        // Every method at every depth under /v1/admin/ (key management, state, request log, cutover).
        'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/v1/admin/*',
        'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/health/deep',
      ],
    });
    const admin = await createAuthorizer(mem.store, { now })(event({ Authorization: `Bearer ${ADMIN}` }));
    expect(admin.policyDocument.Statement.map((s) => s.Effect)).toEqual(['Allow']);
    expect(admin.context!.admin).toBe('true');
  });

  it('covers every method and path of the stage with one cached decision', () => {
    expect(stageWildcard('arn:aws:execute-api:us-east-1:1:api/prod/GET/v1/models')).toBe(
      'arn:aws:execute-api:us-east-1:1:api/prod/*',
    );
  });

  it('reads only the Authorization header by default: x-api-key is not part of the cache key', async () => {
    const decide = createAuthorizer(mem.store, { keyHeaders: keyHeaderSpec(undefined).keyHeaders });
    await expect(decide(event({ 'x-api-key': ACTIVE }))).rejects.toThrow(/^Unauthorized$/);
    await expect(decide(event({ Authorization: 'Basic eA==', 'X-Api-Key': ACTIVE }))).rejects.toThrow(/^Unauthorized$/);
    const both = createAuthorizer(mem.store, {
      keyHeaders: KEY_HEADER_SPECS['authorization-or-x-api-key'].keyHeaders,
      now,
    });
    expect((await both(event({ 'X-Api-Key': ACTIVE }))).principalId).toBe(keyIdFromHash(hashApiKey(ACTIVE)));
  });

  it('writes lastUsedAt at most once a minute per key', async () => {
    const decide = createAuthorizer(mem.store, { now });
    const hash = hashApiKey(ACTIVE);
    await decide(event({ Authorization: `Bearer ${ACTIVE}` }));
    expect(mem.byHash.get(hash)!.lastUsedAt).toBe('2026-11-23T12:00:00.000Z');
    clock += 30_000;
    await decide(event({ Authorization: `Bearer ${ACTIVE}` }));
    expect(mem.calls.touch).toBe(1); // fresh enough: not even tried
    clock += 31_000;
    await decide(event({ Authorization: `Bearer ${ACTIVE}` }));
    expect(mem.calls.touch).toBe(2);
    expect(mem.byHash.get(hash)!.lastUsedAt).toBe('2026-11-23T12:01:01.000Z');
  });

  it('still allows the key when the lastUsedAt write fails', async () => {
    mem.failTouch(true);
    const warnings: unknown[] = [];
    const decide = createAuthorizer(mem.store, { now, log: (...a) => void warnings.push(a) });
    expect((await decide(event({ Authorization: `Bearer ${ACTIVE}` }))).principalId).toMatch(/^key_/);
    expect(JSON.stringify(warnings)).toContain('could not update lastUsedAt');
    expect(JSON.stringify(warnings)).not.toContain(ACTIVE);
  });

  it('refuses an expired key from the instant it expires, cached record or not', async () => {
    const keyId = keyIdFromHash(hashApiKey(ACTIVE));
    await mem.store.update(keyId, { validUntil: new Date(clock + 1000).toISOString() });
    const decide = createAuthorizer(mem.store, { cacheTtlMs: 60_000, now });
    expect((await decide(event({ Authorization: `Bearer ${ACTIVE}` }))).principalId).toBe(keyId);
    clock += 1000;
    await expect(decide(event({ Authorization: `Bearer ${ACTIVE}` }))).rejects.toThrow(/^Unauthorized$/);
    expect(mem.calls.get).toBe(1);
  });

  it('serves a rotated-out secret until its grace ends, then refuses it; the new secret carries the same id', async () => {
    const keyId = keyIdFromHash(hashApiKey(ACTIVE));
    const NEXT = 'sk-sy-next-secret-000000000000000000000000';
    mem.byHash.get(hashApiKey(ACTIVE))!.graceUntil = new Date(clock + 3_600_000).toISOString();
    mem.byHash.set(hashApiKey(NEXT), { ...mem.byHash.get(hashApiKey(ACTIVE))!, graceUntil: undefined });
    const decide = createAuthorizer(mem.store, { now });
    clock += 3_599_999;
    expect((await decide(event({ Authorization: `Bearer ${ACTIVE}` }))).principalId).toBe(keyId);
    clock += 1;
    await expect(decide(event({ Authorization: `Bearer ${ACTIVE}` }))).rejects.toThrow(/^Unauthorized$/);
    expect((await decide(event({ Authorization: `Bearer ${NEXT}` }))).principalId).toBe(keyId);
  });

  it('refuses a request that repeats its key header, whichever value comes last', async () => {
    const decide = createAuthorizer(mem.store, { now });
    const other = 'sk-sy-unknown-key-0000000000000000000000';
    for (const values of [
      [`Bearer ${ACTIVE}`, `Bearer ${ACTIVE}`],
      [`Bearer ${other}`, `Bearer ${ACTIVE}`],
      [`Bearer ${ACTIVE}`, `Bearer ${other}`],
    ]) {
      await expect(decide(event({ Authorization: values[1] }, METHOD_ARN, { Authorization: values }))).rejects.toThrow(
        /^Unauthorized$/,
      );
    }
    expect(mem.calls.get).toBe(0);
  });

  it('passes maxConcurrency to the router with the other limits', async () => {
    const keyId = keyIdFromHash(hashApiKey(ACTIVE));
    await mem.store.update(keyId, { maxConcurrency: 3, rpm: null });
    const result = await createAuthorizer(mem.store, { now })(event({ Authorization: `Bearer ${ACTIVE}` }));
    expect(JSON.parse(String(result.context!.limits))).toEqual({
      allowedModels: ['gpt-4.1', 'auto'],
      defaultBudgetFactor: 0.5,
      tpm: 10_000,
      maxConcurrency: 3,
    });
  });

  it('caches key records itself when asked (API Gateway cache off), never unknown keys', async () => {
    const decide = createAuthorizer(mem.store, { cacheTtlMs: 60_000, now });
    for (let i = 0; i < 5; i++) await decide(event({ Authorization: `Bearer ${ACTIVE}` }));
    expect(mem.calls.get).toBe(1);
    await mem.store.setStatus(keyIdFromHash(hashApiKey(ACTIVE)), 'revoked');
    await decide(event({ Authorization: `Bearer ${ACTIVE}` })); // cached: revocation applies after the TTL
    clock += 60_000;
    await expect(decide(event({ Authorization: `Bearer ${ACTIVE}` }))).rejects.toThrow(/^Unauthorized$/);
    for (let i = 0; i < 3; i++)
      await expect(
        decide(event({ Authorization: 'Bearer sk-sy-unknown-key-0000000000000000000000' })),
      ).rejects.toThrow();
    expect(mem.calls.get).toBe(5);
  });
});

describe('requireAdmin', () => {
  it('lets admin keys through and refuses others with 403 (401 without a key)', () => {
    expect(() => requireAdmin({ key: { keyId: 'key_a', keyName: 'ops', admin: true } })).not.toThrow();
    expect(() => requireAdmin({ key: { keyId: 'key_b', keyName: 'team', admin: false } })).toThrow(
      expect.objectContaining({ status: 403, type: 'permission_error', code: 'admin_required' }),
    );
    expect(() => requireAdmin({ key: undefined })).toThrow(
      expect.objectContaining({ status: 401, code: 'invalid_api_key' }),
    );
  });
});
