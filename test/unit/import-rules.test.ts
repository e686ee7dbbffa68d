/**
 * The import rules (.dependency-cruiser.cjs) fail on what they forbid and name the rule. A small tree
 * with the repository's layout is written to a temporary folder, one file per kind of violation
 * beside files that break nothing, and dependency-cruiser runs on it with the repository's config:
 * the exact set of violations must come back, and the human-readable output must name each rule.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** Stand-in packages, so the fixture resolves `undici` and friends without the real node_modules. */
const PACKAGES = ['zod', 'undici', '@aws-sdk/client-dynamodb'];

const FILES: Record<string, string> = {
  // Clean: core may use core, zod and node:crypto; ports take core types; adapters take ports.
  'functions/core/plan.ts':
    "import { z } from 'zod';\nimport { createHash } from 'node:crypto';\nexport const p = [z, createHash];\n",
  'functions/core/breaker.ts':
    "import { p } from './plan';\nexport type Breaker = { open: boolean };\nexport const b = p;\n",
  'functions/contracts/table-specs.ts':
    "import type { Breaker } from '../core/breaker';\nexport type T = Breaker;\nexport const TABLE = 't';\n",
  'functions/ports/breakers.ts':
    "import type { Breaker } from '../core/breaker';\nexport interface Breakers { view(): Breaker }\n",
  'functions/adapters/aws/client-options.ts': 'export const opts = {};\n',
  'functions/adapters/dynamo/breaker-store.ts':
    "import { opts } from '../aws/client-options';\nimport type { Breakers } from '../../ports/breakers';\nimport { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport type S = Breakers;\nexport const s = [opts, DynamoDBClient];\n",
  'functions/router/deps.ts':
    "import type { Breakers } from '../ports/breakers';\nexport type Deps = { breakers: Breakers };\n",
  'lib/stack.ts':
    "import { TABLE } from '../functions/contracts/table-specs';\nimport { b } from '../functions/core/breaker';\nexport const x = [TABLE, b];\n",
  'local/gateway.ts': "import type { Deps } from '../functions/router/deps';\nexport type G = Deps;\n",
  'test/helpers/fake.ts': 'export const fake = 1;\n',
  'functions/router/http.ts': 'export type HttpResult = { statusCode: number };\n',
  'functions/router/chat/execute.ts': 'export const execute = 1;\n',
  'functions/router/apis/chat-sse-transform.ts': 'export const t = 1;\n',
  'functions/router/apis/messages/edge.ts':
    "import type { HttpResult } from '../../http';\nimport { t } from '../chat-sse-transform';\nexport type E = HttpResult;\nexport const e = t;\n",
  'functions/adapters/providers/openai-compatible/client.ts': 'export const client = 1;\n',

  // One violation each.
  'functions/core/reads-file.ts': "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
  'functions/core/calls-upstream.ts': "import { request } from 'undici';\nexport const r = request;\n",
  'functions/core/uses-port.ts': "import type { Breakers } from '../ports/breakers';\nexport type U = Breakers;\n",
  'functions/ports/store-item.ts':
    "import type { AttributeValue } from '@aws-sdk/client-dynamodb';\nexport type Item = Record<string, AttributeValue>;\n",
  'functions/ports/with-value.ts': "import { b } from '../core/breaker';\nexport const w = b;\n",
  'functions/adapters/telemetry/log.ts': "import type { Deps } from '../../router/deps';\nexport type L = Deps;\n",
  'functions/adapters/secrets/reach.ts': "import { s } from '../dynamo/breaker-store';\nexport const r = s;\n",
  'functions/health-check/config.ts': "import type { Deps } from '../router/deps';\nexport type C = Deps;\n",
  'functions/router/local-only.ts': "import type { G } from '../../local/gateway';\nexport type X = G;\n",
  'lib/tracing.ts': "import type { Breakers } from '../functions/ports/breakers';\nexport type X = Breakers;\n",
  'bench/case.ts': "import { fake } from '../test/helpers/fake';\nexport const c = fake;\n",
  'functions/contracts/with-port.ts': "import type { Breakers } from '../ports/breakers';\nexport type W = Breakers;\n",
  'functions/router/apis/responses/edge.ts':
    "import { execute } from '../../chat/execute';\nimport { e } from '../messages/edge';\nexport const r = [execute, e];\n",
  'functions/adapters/providers/bedrock/provider.ts':
    "import { client } from '../openai-compatible/client';\nexport const p = client;\n",
  'lib/local-bits.ts': "import type { G } from '../local/gateway';\nexport type L = G;\n",
  'local/uses-test.ts': "import { fake } from '../test/helpers/fake';\nexport const u = fake;\n",
  'local/cycle-a.ts': "import { b } from './cycle-b';\nexport const a = () => b;\n",
  'local/cycle-b.ts': "import { a } from './cycle-a';\nexport const b = () => a;\n",
};

const EXPECTED = [
  'adapters-not-handlers functions/adapters/telemetry/log.ts -> functions/router/deps.ts',
  'adapters-not-sibling-adapters functions/adapters/secrets/reach.ts -> functions/adapters/dynamo/breaker-store.ts',
  'apis-not-sibling-apis functions/router/apis/responses/edge.ts -> functions/router/apis/messages/edge.ts',
  'apis-translate-only functions/router/apis/responses/edge.ts -> functions/router/chat/execute.ts',
  'bench-not-test bench/case.ts -> test/helpers/fake.ts',
  'contracts-only-core functions/contracts/with-port.ts -> functions/ports/breakers.ts',
  'core-no-io functions/core/calls-upstream.ts -> node_modules/undici/index.js',
  'core-no-io functions/core/reads-file.ts -> fs',
  'core-only-core functions/core/uses-port.ts -> functions/ports/breakers.ts',
  'functions-not-tools functions/router/local-only.ts -> local/gateway.ts',
  'handlers-not-sibling-handlers functions/health-check/config.ts -> functions/router/deps.ts',
  'lib-not-tools lib/local-bits.ts -> local/gateway.ts',
  'lib-only-contracts-and-core lib/tracing.ts -> functions/ports/breakers.ts',
  'no-circular local/cycle-a.ts -> local/cycle-b.ts',
  'ports-only-core-types functions/ports/store-item.ts -> node_modules/@aws-sdk/client-dynamodb/index.js',
  'ports-type-only functions/ports/with-value.ts -> functions/core/breaker.ts',
  'providers-not-sibling-providers functions/adapters/providers/bedrock/provider.ts -> functions/adapters/providers/openai-compatible/client.ts',
  'runtime-not-test local/uses-test.ts -> test/helpers/fake.ts',
];

interface Run {
  code: number;
  stdout: string;
}

function depcruise(cwd: string, outputType: string): Promise<Run> {
  const args = [DEPCRUISE, 'functions', 'lib', 'local', 'test', 'bench', '--config', '.dependency-cruiser.cjs'];
  return new Promise((resolve) => {
    execFile(process.execPath, [...args, '--output-type', outputType], { cwd }, (err, stdout) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'import-rules-'));
  copyFileSync(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', strict: true } }),
  );
  for (const name of PACKAGES) {
    const pkg = join(dir, 'node_modules', name);
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name, version: '0.0.0', main: 'index.js' }));
    writeFileSync(join(pkg, 'index.js'), 'module.exports = {};\n');
  }
  for (const [file, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('each forbidden import is reported under its rule, and nothing else is', async () => {
  const run = await depcruise(dir, 'json');
  const report = JSON.parse(run.stdout) as {
    summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> };
  };
  const found = report.summary.violations.map((v) => `${v.rule.name} ${v.from} -> ${v.to}`).sort();
  expect(found).toEqual(EXPECTED);
});

test('the check fails and its message names the rule', async () => {
  const run = await depcruise(dir, 'err');
  expect(run.code).not.toBe(0);
  const rules = new Set(EXPECTED.map((line) => line.split(' ')[0]));
  for (const rule of rules) expect(run.stdout).toContain(`error ${rule}:`);
  // Every rule of the config has a fixture here (tsc already refuses imports that do not resolve).
  const config = require(join(ROOT, '.dependency-cruiser.cjs')) as { forbidden: Array<{ name: string }> };
  const names = config.forbidden.map((r) => r.name).filter((n) => n !== 'not-to-unresolvable');
  expect([...rules].sort()).toEqual(names.sort());
});
