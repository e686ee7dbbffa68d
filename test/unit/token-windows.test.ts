import fc from 'fast-check';
import { encode } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens } from '../../functions/core/routing/token-estimate';
import { BPE_WINDOW, countByWindows } from '../../functions/core/routing/token-windows';

const exact = (text: string) => encode(text, { disallowedSpecial: new Set() }).length;

describe('token counting in windows', () => {
  it('counts text without long unbroken runs in one call, exactly', () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(200);
    const calls: string[] = [];
    expect(countByWindows(text, (p) => (calls.push(p), exact(p)))).toBe(exact(text));
    expect(calls).toEqual([text]);
  });

  it('cuts runs longer than the window, never inside a surrogate pair, and never counts fewer tokens', () => {
    for (const run of [
      'a'.repeat(5_000),
      '😀'.repeat(2_000),
      '一'.repeat(3_000),
      ' '.repeat(3_000),
      '!?'.repeat(2_000),
    ]) {
      const text = `before ${run} after`;
      const pieces: string[] = [];
      const counted = countByWindows(text, (p) => (pieces.push(p), exact(p)));
      expect(pieces.join('')).toBe(text);
      for (const p of pieces) {
        expect(p.length).toBeLessThanOrEqual(BPE_WINDOW + 1);
        expect(/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(p)).toBe(false);
      }
      expect(counted).toBeGreaterThanOrEqual(exact(text));
    }
  });

  it('never counts fewer tokens than one pass, for any mix of long runs and text', () => {
    const run = fc
      .tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 700 }))
      .map(([u, n]) => u.repeat(n));
    fc.assert(
      fc.property(fc.array(fc.oneof(run, fc.lorem({ maxCount: 20 })), { minLength: 1, maxLength: 4 }), (parts) => {
        const text = parts.join('');
        expect(countByWindows(text, exact)).toBeGreaterThanOrEqual(exact(text));
      }),
      { numRuns: Number(process.env.TOKEN_WINDOW_RUNS ?? 150), seed: 11 },
    );
  });

  // How long it takes is bench/token-estimate.ts's business; the linear bound is the piece size above.
  it('counts a 1 MB unbroken run through the real tokenizer (one encode() over it overflows the stack)', () => {
    expect(countTokens('😀'.repeat(250_000))).toBeGreaterThan(250_000 / 2);
    expect(countTokens('x'.repeat(1_000_000))).toBeGreaterThan(1_000_000 / BPE_WINDOW);
  });
});
