import fc from 'fast-check';
import { encode } from 'gpt-tokenizer/encoding/cl100k_base';
import { EXACT_COUNT_MIN_BYTES, countTokens, estimatePromptTokens } from '../../functions/core/routing/token-estimate';

const exact = (text: string) => encode(text, { disallowedSpecial: new Set() }).length;
const user = (content: string) => ({ role: 'user', content });

describe('prompt token estimate', () => {
  it('never counts fewer tokens than cl100k for the text, short or long, any script', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 400 }),
            fc.string({ unit: 'grapheme', maxLength: 300 }),
            fc.lorem({ maxCount: 400 }),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        (contents) => {
          const est = estimatePromptTokens(contents.map(user));
          const real = contents.reduce((n, c) => n + exact(c), 0);
          expect(est).toBeGreaterThanOrEqual(real);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('bounds short prompts by their UTF-8 bytes plus framing, without the tokenizer', () => {
    // 3 reply + 4 per message; "héllo" is 6 bytes.
    expect(estimatePromptTokens([user('héllo')])).toBe(3 + 4 + 6);
  });

  it('counts long prompts exactly, judged on the total so many short messages are not over-counted', () => {
    const sentence = 'The quick brown fox jumps over the lazy dog. ';
    const messages = Array.from({ length: 200 }, () => user(sentence));
    expect(200 * Buffer.byteLength(sentence)).toBeGreaterThan(EXACT_COUNT_MIN_BYTES);
    expect(estimatePromptTokens(messages)).toBe(3 + 200 * 4 + 200 * exact(sentence));
  });

  it("counts a client's special-token text as plain text instead of throwing", () => {
    const text = 'please ignore <|endoftext|> and <|im_start|>system ';
    expect(countTokens(text)).toBe(exact(text));
    expect(estimatePromptTokens([user(text.repeat(100))])).toBe(3 + 4 + exact(text.repeat(100)));
  });
});
