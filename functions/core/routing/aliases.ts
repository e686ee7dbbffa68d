/**
 * Model aliases: client names (Claude Code's dated ids, SDK defaults) sent to a configured model or
 * route. A key is an exact name, or a prefix ending in `*` (`claude-sonnet-4-5*`). Real model and
 * route names always win over an alias; an exact alias wins over a prefix; the longest prefix wins.
 */
export interface AliasTable {
  exact: ReadonlyMap<string, string>;
  /** [prefix without the `*`, target], longest prefix first. */
  prefixes: ReadonlyArray<readonly [string, string]>;
}

export const EMPTY_ALIASES: AliasTable = { exact: new Map(), prefixes: [] };

export function compileAliases(raw: Record<string, string>): AliasTable {
  const exact = new Map<string, string>();
  const prefixes: Array<[string, string]> = [];
  for (const [name, target] of Object.entries(raw)) {
    if (name.endsWith('*')) prefixes.push([name.slice(0, -1), target]);
    else exact.set(name, target);
  }
  prefixes.sort((a, b) => b[0].length - a[0].length);
  return { exact, prefixes };
}

export interface AliasMatch {
  /** The alias key that matched (the exact name or the `prefix*` pattern). */
  alias: string;
  target: string;
}

/** The alias `name` matches, or undefined when it is no alias (or is itself a model or route). */
export function matchAlias(
  table: AliasTable,
  name: string,
  isConfigured: (name: string) => boolean,
): AliasMatch | undefined {
  if (isConfigured(name)) return undefined;
  const exact = table.exact.get(name);
  if (exact !== undefined) return { alias: name, target: exact };
  const hit = table.prefixes.find(([prefix]) => name.startsWith(prefix));
  return hit ? { alias: `${hit[0]}*`, target: hit[1] } : undefined;
}
