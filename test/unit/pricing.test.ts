import { costMicros, microsToUsd, usageFromOpenAI } from '../../functions/core/pricing';

describe('pricing', () => {
  const gpt41 = { inputMicrosPerMTok: 2_000_000, outputMicrosPerMTok: 8_000_000 };
  const deepseek = { inputMicrosPerMTok: 280_000, outputMicrosPerMTok: 420_000 };

  it.each([
    [gpt41, 1_000_000, 0, 2_000_000],
    [gpt41, 0, 1_000_000, 8_000_000],
    [gpt41, 8, 63, 520],
    [deepseek, 10, 0, 3], // 2.8 micro-dollars rounds up: spend is never under-counted
    [deepseek, 1_000, 1_000, 700],
    [deepseek, 0, 0, 0],
  ])('prices %j with %d in / %d out at %d micro-dollars', (prices, input, output, expected) => {
    expect(costMicros(prices, { promptTokens: input, completionTokens: output })).toBe(expected);
  });

  it('formats micro-dollars as dollars', () => {
    expect(microsToUsd(520)).toBe('0.000520');
    expect(microsToUsd(12_345_678)).toBe('12.345678');
  });

  it('reads usage defensively', () => {
    expect(usageFromOpenAI({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 })).toEqual({
      promptTokens: 3,
      completionTokens: 4,
    });
    expect(usageFromOpenAI(null)).toBeUndefined();
    expect(usageFromOpenAI({ prompt_tokens: '3', completion_tokens: 4 })).toBeUndefined();
    expect(usageFromOpenAI({ prompt_tokens: -1, completion_tokens: 4 })).toBeUndefined();
  });
});
