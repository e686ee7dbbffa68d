import { extractApiKey, generateApiKey, hashApiKey, keyIdFromHash, looksLikeApiKey } from '../../functions/core/keys';

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
