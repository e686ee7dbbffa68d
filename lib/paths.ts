import { isAbsolute, join, resolve } from 'node:path';

/**
 * The repository root, found from this file rather than from the process cwd, so `cdk synth`,
 * jest and any script that imports the stack bundle the same files wherever they are run from.
 */
export const REPO_ROOT = resolve(__dirname, '..');

/** The lock file whose presence makes NodejsFunction bundle with the local esbuild (no Docker). */
export const LOCK_FILE = join(REPO_ROOT, 'package-lock.json');

/** A repository-relative path (as written in cdk.json or stack props) made absolute. */
export function fromRepoRoot(path: string): string {
  return isAbsolute(path) ? path : join(REPO_ROOT, path);
}
