/**
 * Money is integer micro-dollars (1 USD = 1,000,000). Prices are integer micro-dollars per million
 * tokens, so tokens x price is an exact integer; the single division by 1e6 rounds up, so the
 * gateway never under-counts spend by a fraction of a micro-dollar.
 */
import type { Prices } from './config/compile';

export interface TokenUsage {
  /** Every prompt token, the cached and cache-written ones included (OpenAI's `prompt_tokens`). */
  promptTokens: number;
  completionTokens: number;
  /** Of promptTokens, read from the provider's prompt cache. */
  cachedPromptTokens?: number;
  /** Of promptTokens, written to the provider's prompt cache (billed by some providers). */
  cacheWriteTokens?: number;
}

/**
 * Cached and cache-written tokens are part of the prompt count and priced at their own rates when
 * the model has them (the input price otherwise); they are clamped to the prompt count, so a
 * misreported detail can never make the prompt bill more tokens than it had.
 */
export function costMicros(prices: Prices, usage: TokenUsage): number {
  const prompt = usage.promptTokens;
  const cached = Math.min(usage.cachedPromptTokens ?? 0, prompt);
  const written = Math.min(usage.cacheWriteTokens ?? 0, prompt - cached);
  const scaled =
    (prompt - cached - written) * prices.inputMicrosPerMTok +
    cached * (prices.cachedInputMicrosPerMTok ?? prices.inputMicrosPerMTok) +
    written * (prices.cacheWriteMicrosPerMTok ?? prices.inputMicrosPerMTok) +
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
  const details = (u.prompt_tokens_details ?? {}) as Record<string, unknown>;
  const cached = count(details.cached_tokens);
  const written = count(details.cache_write_tokens) ?? count(u.cache_creation_input_tokens);
  return {
    promptTokens: Math.floor(prompt),
    completionTokens: Math.floor(completion),
    ...(cached ? { cachedPromptTokens: cached } : {}),
    ...(written ? { cacheWriteTokens: written } : {}),
  };
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : undefined;
}
