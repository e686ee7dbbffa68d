/**
 * Money is integer micro-dollars (1 USD = 1,000,000). Prices are integer micro-dollars per million
 * tokens, so tokens x price is an exact integer; the single division by 1e6 rounds up, so the
 * gateway never under-counts spend by a fraction of a micro-dollar.
 */
import type { Prices } from './config/compile';

export interface TokenUsage {
  /** Every input token, cache reads and writes included (what OpenAI reports as prompt_tokens). */
  promptTokens: number;
  completionTokens: number;
  /** Of promptTokens: read from a prompt cache. */
  cacheReadTokens?: number;
  /** Of promptTokens: written to a prompt cache. */
  cacheWriteTokens?: number;
}

/**
 * Cached and cache-written tokens are part of the prompt count and priced at their own rates when
 * the model has them (the input price otherwise); they are clamped to the prompt count, so a
 * misreported detail can never make the prompt bill more tokens than it had.
 */
export function costMicros(prices: Prices, usage: TokenUsage): number {
  const read = Math.min(usage.cacheReadTokens ?? 0, usage.promptTokens);
  const write = Math.min(usage.cacheWriteTokens ?? 0, usage.promptTokens - read);
  const scaled =
    (usage.promptTokens - read - write) * prices.inputMicrosPerMTok +
    read * (prices.cachedInputMicrosPerMTok ?? prices.inputMicrosPerMTok) +
    write * (prices.cacheWriteMicrosPerMTok ?? prices.inputMicrosPerMTok) +
    usage.completionTokens * prices.outputMicrosPerMTok;
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
  const out: TokenUsage = { promptTokens: Math.floor(prompt), completionTokens: Math.floor(completion) };
  const details = u.prompt_tokens_details as Record<string, unknown> | null | undefined;
  const read = count(details?.cached_tokens);
  // Bedrock and Anthropic bill cache writes apart; OpenAI has no such field.
  const write = count(details?.cache_write_tokens) ?? count(u.cache_creation_input_tokens);
  if (read) out.cacheReadTokens = read;
  if (write) out.cacheWriteTokens = write;
  return out;
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : undefined;
}
