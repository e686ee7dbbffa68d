/**
 * Intent classification from config rules: the first rule that matches wins, `general` otherwise.
 * Keywords are case-insensitive substrings, so they work for languages without word spaces
 * (Japanese, Chinese) as well as English.
 */
import type { Intent, IntentRule } from '../config/schema';

export interface IntentInput {
  /** The conversation's text, concatenated; only user and system text matters for intent. */
  text: string;
  hasTools: boolean;
}

export function classifyIntent(rules: readonly IntentRule[], input: IntentInput): Intent {
  const lower = input.text.toLowerCase();
  for (const rule of rules) if (matches(rule, input, lower)) return rule.intent;
  return 'general';
}

function matches(rule: IntentRule, input: IntentInput, lower: string): boolean {
  const hasCondition = rule.keywords.length > 0 || rule.minChars !== undefined || rule.hasTools !== undefined;
  if (!hasCondition) return false;
  if (rule.hasTools !== undefined && rule.hasTools !== input.hasTools) return false;
  if (rule.minChars !== undefined && input.text.length < rule.minChars) return false;
  if (rule.keywords.length > 0 && !rule.keywords.some((k) => lower.includes(k.toLowerCase()))) return false;
  return true;
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
