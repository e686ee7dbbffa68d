/**
 * Where the routing config comes from:
 * - SWITCHYARD_CONFIG=<path>: a JSON file read at start (local runtime, tests, real upstreams);
 * - otherwise the config bundled into the function at build time: the CDK stack's esbuild `define`
 *   replaces `process.env.SWITCHYARD_BUNDLED_CONFIG` with the file's text, so a config change
 *   changes the code hash and publishes a new function version (what cutovers rely on);
 * - otherwise config/switchyard.json from the repository (running from source).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function loadConfigJson(env: NodeJS.ProcessEnv = process.env): unknown {
  if (env.SWITCHYARD_CONFIG) return readJson(env.SWITCHYARD_CONFIG);
  const bundled = process.env.SWITCHYARD_BUNDLED_CONFIG;
  if (bundled) return JSON.parse(bundled);
  return readJson(join(__dirname, '..', '..', 'config', 'switchyard.json'));
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read Switchyard config at ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`Switchyard config at ${path} is not valid JSON: ${(e as Error).message}`);
  }
}
