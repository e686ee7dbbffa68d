/**
 * Readable messages for zod/mini issues. zod/mini ships no message text of its own, and importing
 * a zod locale drags a second copy of zod's core into the router bundle, so the few issue kinds a
 * config or request can produce are described here.
 */
interface Issue {
  code: string;
  message: string;
  expected?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  origin?: string;
  values?: unknown[];
  format?: string;
  keys?: string[];
  /** invalid_union of a discriminated union: the discriminator values it accepts. */
  options?: unknown[];
  /** invalid_key / invalid_element: what was wrong with the record key or map element. */
  issues?: Issue[];
}

const GENERIC = new Set(['Invalid input', '']);

export function describeIssue(issue: Issue): string {
  if (!GENERIC.has(issue.message)) return issue.message;
  const sized = issue.origin === 'array' ? ' items' : issue.origin === 'string' ? ' characters' : '';
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected === 'int' ? 'an integer' : (issue.expected ?? 'another type')}`;
    case 'too_small':
      return sized
        ? `must have at least ${issue.minimum}${sized}`
        : `must be ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      return sized
        ? `must have at most ${issue.maximum}${sized}`
        : `must be ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_value':
      return `expected one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return `must be a valid ${issue.format ?? 'value'}`;
    case 'invalid_union': {
      // A discriminated union (provider kinds) names its accepted values.
      const options = (issue.options ?? []).filter((o) => typeof o === 'string');
      return options.length
        ? `expected one of ${options.map((o) => JSON.stringify(o)).join(', ')}`
        : 'does not match any accepted form';
    }
    case 'invalid_key':
      return issue.issues?.[0] ? `name ${describeIssue(issue.issues[0])}` : 'has an invalid name';
    case 'unrecognized_keys':
      return `unknown keys: ${(issue.keys ?? []).join(', ')}`;
    default:
      return 'is invalid';
  }
}
