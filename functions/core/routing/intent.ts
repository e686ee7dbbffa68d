/**
 * Intent classification from config rules: the first rule that matches wins, `general` otherwise.
 * A rule matches when every condition it sets holds: any one of its keywords, the text's length
 * (`minChars`, `maxChars`), the prompt's token estimate (`maxTokens`), tools present or not.
 *
 * Keywords are case-insensitive substrings, so they work for languages without word spaces
 * (Japanese, Chinese) as well as English. A keyword that starts with a Latin letter or digit must
 * start a word (not follow another Latin letter or digit): `api` matches "API", "APIs" and "このAPI"
 * but not "capital" or "rapid"; `prove` no longer matches "improve", nor `story` "history". Stems
 * still work at the end: `summar` matches "summarize" and "summary".
 */
import type { Intent, IntentRule } from '../config/schema';

export interface IntentInput {
  /** The conversation's text, concatenated; only user and system text matters for intent. */
  text: string;
  hasTools: boolean;
  /** The prompt's token estimate (routing/token-estimate.ts), for `maxTokens`. */
  promptTokens?: number;
}

export function classifyIntent(rules: readonly IntentRule[], input: IntentInput): Intent {
  const lower = input.text.toLowerCase();
  for (const rule of rules) if (matches(rule, input, lower)) return rule.intent;
  return 'general';
}

function matches(rule: IntentRule, input: IntentInput, lower: string): boolean {
  const hasCondition =
    rule.keywords.length > 0 ||
    rule.minChars !== undefined ||
    rule.maxChars !== undefined ||
    rule.maxTokens !== undefined ||
    rule.hasTools !== undefined;
  if (!hasCondition) return false;
  if (rule.hasTools !== undefined && rule.hasTools !== input.hasTools) return false;
  if (rule.minChars !== undefined && input.text.length < rule.minChars) return false;
  if (rule.maxChars !== undefined && input.text.length > rule.maxChars) return false;
  // Without an estimate the prompt's size is unknown: a "short prompt" rule does not match.
  if (rule.maxTokens !== undefined && !(input.promptTokens !== undefined && input.promptTokens <= rule.maxTokens))
    return false;
  if (rule.keywords.length > 0 && !rule.keywords.some((k) => containsKeyword(lower, k.toLowerCase()))) return false;
  return true;
}

const LATIN_WORD_CHAR = /[a-z0-9]/;

/** `keyword` (lower case) in `text` (lower case); a Latin keyword only where a word starts. */
export function containsKeyword(text: string, keyword: string): boolean {
  if (!LATIN_WORD_CHAR.test(keyword[0] ?? '')) return text.includes(keyword);
  for (let at = text.indexOf(keyword); at !== -1; at = text.indexOf(keyword, at + 1))
    if (at === 0 || !LATIN_WORD_CHAR.test(text[at - 1])) return true;
  return false;
}

/** The text intent rules look at: user and system messages, string or text parts. */
export function conversationText(messages: ReadonlyArray<{ role: string; content?: unknown }>): string {
  const parts: string[] = [];
  for (const m of messages) {
    if (m.role !== 'user' && m.role !== 'system' && m.role !== 'developer') continue;
    if (typeof m.content === 'string') parts.push(m.content);
    else if (Array.isArray(m.content)) {
      for (const p of m.content)
        if (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string')
          parts.push((p as { text: string }).text);
    }
  }
  return parts.join('\n');
}
