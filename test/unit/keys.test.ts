import {
  extractApiKey,
  generateApiKey,
  hashApiKey,
  keyFieldProblems,
  keyIdFromHash,
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
    [{ authorization: 'bearer   sk-abc  ' }, 'sk-abc'],
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
