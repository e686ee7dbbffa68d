/**
 * A key's allow-list (`allowedModels`): exact model, route or alias names, and prefix patterns
 * ending in `*` (`claude-sonnet-4-5*`, `gpt-4*`), the same syntax as config aliases. A pattern
 * matches any name that starts with its prefix, whatever that name is: the name a client sends,
 * an alias's target, a route, or a candidate model. Every one of them is checked against the list
 * (see `allowedModelFilter` in plan.ts), so a pattern is never a way around it.
 */

/** How many entries a key may list and how long one may be (the admin API's limits too). */
export const MAX_ALLOW_LIST_ENTRIES = 100;
export const MAX_ALLOW_LIST_ENTRY_CHARS = 200;

export interface AllowList {
  /** The entries as the key lists them, for error messages. */
  readonly entries: readonly string[];
  allows(name: string): boolean;
}

/** Undefined when the key has no list: every model and route is allowed. */
export function compileAllowList(entries: readonly string[] | undefined): AllowList | undefined {
  if (!entries?.length) return undefined;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const e of entries) {
    if (e.endsWith('*')) prefixes.push(e.slice(0, -1));
    else exact.add(e);
  }
  return {
    entries,
    allows: (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p)),
  };
}

/** Why an entry cannot be stored, or undefined when it is a name or a prefix pattern. */
export function allowListEntryProblem(entry: string): string | undefined {
  if (!entry.trim()) return 'names must not be empty';
  if (entry !== entry.trim()) return `'${entry}' has leading or trailing spaces`;
  if (entry.length > MAX_ALLOW_LIST_ENTRY_CHARS)
    return `'${entry.slice(0, 20)}…' is longer than ${MAX_ALLOW_LIST_ENTRY_CHARS} characters`;
  const star = entry.indexOf('*');
  if (star !== -1 && star !== entry.length - 1)
    return `'${entry}': * may only end an entry (a prefix pattern such as claude-sonnet-4-5*)`;
  // A bare `*` would allow everything: that is what no list means, and says it plainly.
  if (entry === '*') return "'*' alone allows everything; leave the list empty instead";
  return undefined;
}
