import {
  extractApiKey,
  generateApiKey,
  hashApiKey,
  hasRepeatedKeyHeader,
  keyFieldProblems,
  keyIdFromHash,
  keyRefusal,
  keyUpdateProblems,
  parseDuration,
  type KeyRecord,
  lastUsedCutoff,
  lastUsedIsStale,
  looksLikeApiKey,
} from '../../functions/core/keys';

describe('api keys', () => {
  it('generates distinct, well-formed keys and stores only a hash', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^sk-sy-[A-Za-z0-9_-]{43}$/);
    expect(hashApiKey(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(keyIdFromHash(hashApiKey(a))).not.toContain(a.slice(6, 20));
  });

  it.each([
    [{ Authorization: 'Bearer sk-abc' }, 'sk-abc'],
    [{ authorization: 'bearer sk-abc' }, 'sk-abc'],
    // Padding makes another API Gateway cache key for the same secret: refused, not trimmed.
    [{ authorization: 'Bearer  sk-abc' }, undefined],
    [{ authorization: ' Bearer sk-abc' }, undefined],
    [{ authorization: 'Bearer sk-abc ' }, undefined],
    [{ authorization: 'Bearer\tsk-abc' }, undefined],
    [{ 'x-api-key': ' sk-xyz' }, undefined],
    [{ 'X-Api-Key': 'sk-xyz' }, 'sk-xyz'],
    [{ authorization: 'Basic dXNlcg==' }, undefined],
    [{}, undefined],
    [null, undefined],
  ])('extracts the key from %j', (headers, expected) => {
    expect(extractApiKey(headers as Record<string, string>)).toBe(expected);
  });

  it('rejects garbage before any lookup', () => {
    expect(looksLikeApiKey('short')).toBe(false);
    expect(looksLikeApiKey('sk-sy-' + 'a'.repeat(40))).toBe(true);
    expect(looksLikeApiKey('sk-sy-' + 'a'.repeat(40) + '\u0000')).toBe(false);
  });
});

describe('api keys: headers, last use and fields', () => {
  it('reads only the headers it is told to (the cached identity sources)', () => {
    const headers = { Authorization: 'Basic dXNlcg==', 'x-api-key': 'sk-from-x-api-key' };
    expect(extractApiKey(headers, ['authorization'])).toBeUndefined();
    expect(extractApiKey(headers, ['authorization', 'x-api-key'])).toBe('sk-from-x-api-key');
    expect(extractApiKey({ authorization: 'Bearer sk-a', 'x-api-key': 'sk-b' }, ['authorization', 'x-api-key'])).toBe(
      'sk-a',
    );
  });

  it('treats lastUsedAt as stale after a minute', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(lastUsedIsStale(undefined, now)).toBe(true);
    expect(lastUsedIsStale(new Date(now - 59_000).toISOString(), now)).toBe(false);
    expect(lastUsedIsStale(new Date(now - 61_000).toISOString(), now)).toBe(true);
    expect(lastUsedCutoff(now)).toBe('2026-01-01T11:59:00.000Z');
  });

  it('names every invalid field', () => {
    expect(
      keyFieldProblems({
        name: 'ok',
        rpm: 60,
        tpm: 1000,
        dailyBudgetUsd: 0,
        defaultBudgetFactor: 1,
        allowedModels: ['auto'],
      }),
    ).toEqual([]);
    expect(
      keyFieldProblems({
        name: ' ',
        rpm: 0,
        tpm: 1.5,
        dailyBudgetUsd: -1,
        defaultBudgetFactor: 2,
        allowedModels: [''],
      }),
    ).toEqual([
      'name: must be 1..100 characters',
      'rpm: must be a whole number >= 1',
      'tpm: must be a whole number >= 1',
      'dailyBudgetUsd: must be a number >= 0',
      'defaultBudgetFactor: must be between 0 and 1',
      'allowedModels: names must not be empty',
    ]);
  });
});

describe('api keys: lifecycle', () => {
  const base: KeyRecord = {
    keyId: 'key_1',
    name: 'k',
    status: 'active',
    admin: false,
    createdAt: '2026-01-01T00:00:00Z',
  };
  const t = Date.UTC(2026, 5, 1, 12, 0, 0);

  it('parses durations in s, m, h and d, and nothing else', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('0s')).toBe(0);
    for (const bad of ['', '30', 'd', '1.5h', '-1d', '1w', '2 d', '99999999d', '1e3s'])
      expect(parseDuration(bad)).toBeUndefined();
  });

  it('refuses revoked, expired and rotated-out secrets at the exact instant', () => {
    expect(keyRefusal(base, t)).toBeUndefined();
    expect(keyRefusal({ ...base, status: 'revoked' }, t)).toBe('revoked');
    const until = new Date(t).toISOString();
    expect(keyRefusal({ ...base, validUntil: until }, t - 1)).toBeUndefined();
    expect(keyRefusal({ ...base, validUntil: until }, t)).toBe('expired');
    expect(keyRefusal({ ...base, graceUntil: until }, t - 1)).toBeUndefined();
    expect(keyRefusal({ ...base, graceUntil: until }, t)).toBe('rotated_out');
    // A corrupt date never means "valid forever".
    expect(keyRefusal({ ...base, validUntil: 'soon' }, t)).toBe('expired');
  });

  it('finds a key header sent twice, in either map or under two spellings', () => {
    expect(hasRepeatedKeyHeader({ Authorization: 'Bearer b' }, { Authorization: ['Bearer a', 'Bearer b'] })).toBe(true);
    expect(hasRepeatedKeyHeader({ Authorization: 'Bearer a', authorization: 'Bearer b' }, null)).toBe(true);
    expect(hasRepeatedKeyHeader({}, { authorization: ['Bearer a'], AUTHORIZATION: ['Bearer b'] })).toBe(true);
    expect(hasRepeatedKeyHeader({ Authorization: 'Bearer a' }, { Authorization: ['Bearer a'] })).toBe(false);
    // Only the headers the key may come from count.
    expect(hasRepeatedKeyHeader(null, { 'x-api-key': ['a', 'b'] }, ['authorization'])).toBe(false);
    expect(hasRepeatedKeyHeader(null, { 'x-api-key': ['a', 'b'] }, ['authorization', 'x-api-key'])).toBe(true);
  });

  it('validates concurrency, expiry and updates, naming the field', () => {
    expect(keyFieldProblems({ name: 'k', maxConcurrency: 0 })).toEqual([
      'maxConcurrency: must be a whole number between 1 and 10000',
    ]);
    expect(keyFieldProblems({ name: 'k', maxConcurrency: 4, validUntil: '2027-01-01T00:00:00.000Z' })).toEqual([]);
    expect(keyFieldProblems({ name: 'k', validUntil: 'tomorrow' })).toEqual(['validUntil: must be an ISO date-time']);
    expect(keyUpdateProblems({ rpm: null })).toEqual([]);
    expect(keyUpdateProblems({})).toEqual(['body: nothing to update; give at least one limit']);
    expect(keyUpdateProblems({ tpm: -3, maxConcurrency: null })).toEqual(['tpm: must be a whole number >= 1']);
  });
});
