/**
 * Money is integer micro-dollars (1 USD = 1,000,000). Prices are integer micro-dollars per million
 * tokens, so tokens x price is an exact integer; the single division by 1e6 rounds up, so the
 * gateway never under-counts spend by a fraction of a micro-dollar.
 */
import type { Prices } from './config/compile';

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export function costMicros(prices: Prices, usage: TokenUsage): number {
  const scaled = usage.promptTokens * prices.inputMicrosPerMTok + usage.completionTokens * prices.outputMicrosPerMTok;
  return Math.ceil(scaled / 1_000_000);
}

export function microsToUsd(micros: number): string {
  return (micros / 1_000_000).toFixed(6);
}

/** Reads OpenAI's `usage` object defensively: upstreams omit or misspell fields. */
export function usageFromOpenAI(usage: unknown): TokenUsage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const u = usage as Record<string, unknown>;
  const prompt = u.prompt_tokens;
  const completion = u.completion_tokens;
  if (typeof prompt !== 'number' || typeof completion !== 'number') return undefined;
  if (!Number.isFinite(prompt) || !Number.isFinite(completion) || prompt < 0 || completion < 0) return undefined;
  return { promptTokens: Math.floor(prompt), completionTokens: Math.floor(completion) };
}
