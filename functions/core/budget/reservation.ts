/**
 * Budget arithmetic, pure. A call reserves its worst case before it starts; settlement replaces
 * the reservation by the real cost. Prompt tokens are estimated with a BPE tokenizer that may
 * differ from the upstream's by a few percent, so the estimate carries a margin: the real cost
 * can then never exceed what was reserved, and a budget can never be overspent.
 */
import type { CompiledModel } from '../config/compile';
import { costMicros } from '../pricing';

/** Relative and absolute slack on the prompt estimate (other vendors' tokenizers count differently). */
const PROMPT_MARGIN = 1.15;
const PROMPT_SLACK_TOKENS = 32;

/** `choices` is the request's `n`: every choice may use the whole output cap, and all are billed. */
export function worstCaseMicros(
  model: CompiledModel,
  promptTokensEstimate: number,
  maxTokens: number | undefined,
  choices = 1,
): number {
  const prompt = Math.ceil(promptTokensEstimate * PROMPT_MARGIN) + PROMPT_SLACK_TOKENS;
  const output = Math.min(maxTokens ?? model.maxOutputTokens, model.maxOutputTokens) * Math.max(1, choices);
  // Where cache writes cost more than plain input, the whole prompt might be written.
  const p = model.prices;
  const writes = (p.cacheWriteMicrosPerMTok ?? 0) > p.inputMicrosPerMTok ? prompt : 0;
  return costMicros(p, { promptTokens: prompt, completionTokens: output, cacheWriteTokens: writes });
}

export type BudgetScopeKind = 'global' | 'key' | 'model';

export interface BudgetScope {
  kind: BudgetScopeKind;
  /** Ledger sort key, e.g. `global#3`, `key#key_ab12`, `model#gpt-4.1`. */
  id: string;
  /** Limit for this ledger item (a shard's share for the global scope). */
  limitMicros: number;
  /** The whole scope's limit, for messages. */
  scopeLimitMicros: number;
}

/**
 * Splits a limit over N shards so the shares add up exactly to the limit (the first `limit % N`
 * shards get one micro-dollar more).
 */
export function shardLimit(limitMicros: number, shards: number, shard: number): number {
  const base = Math.floor(limitMicros / shards);
  return base + (shard < limitMicros % shards ? 1 : 0);
}

/** Shard visiting order starting at a random shard: spreads writes and still tries every shard. */
export function shardOrder(shards: number, random: number): number[] {
  const start = Math.floor(random * shards) % shards;
  return Array.from({ length: shards }, (_, i) => (start + i) % shards);
}

export function scopeLabel(scope: BudgetScope): string {
  return scope.kind === 'global'
    ? 'global'
    : scope.kind === 'key'
      ? `API key ${scope.id.slice(4)}`
      : `model ${scope.id.slice(6)}`;
}
