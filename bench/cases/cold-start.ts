/**
 * Case 5: cold start. The stack is synthesised as `cdk synth` does it (bench/processes/synth-bundles.ts),
 * so each function's bundle is exactly what CDK uploads: its size, minified and gzipped (about what
 * the deployment zip holds), and the time a fresh Node process takes to load it and run its
 * module-scope wiring (Lambda's INIT phase, minus the runtime's own start), median of N.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BundledFunction } from '../processes/synth-bundles';

export interface ColdStartRow {
  name: string;
  bytes: number;
  gzipBytes: number;
  mapBytes: number;
  /** Every other .js file of the asset (modules loaded only on a slow path), bytes. */
  sideLoadedBytes: number;
  /** Each fresh process's require() time for index.js, ms. */
  importMs: number[];
}

const REPO = join(__dirname, '..', '..');

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? REPO,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`)),
    );
  });
}

/**
 * What runs in each fresh process: the Lambda runtime's `awslambda` global (the router calls
 * `awslambda.streamifyResponse` at module scope) as a no-op stand-in, then the timed require.
 * `@aws-sdk/*` is not in the bundles (the nodejs22.x runtime provides it); NODE_PATH finds the
 * repository's copy, as the runtime finds its own.
 */
const IMPORT_SCRIPT = `
globalThis.awslambda = { streamifyResponse: (f) => f, HttpResponseStream: { from: (s) => s } };
const t0 = process.hrtime.bigint();
require(process.argv[1]);
process.stdout.write(String(Number(process.hrtime.bigint() - t0) / 1e6));
`;

/** Bytes of the asset's .js files other than index.js (see `sideLoadedModules` in lib/constructs/node-function.ts). */
function sideLoaded(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const path = join(entry.parentPath, entry.name);
    if (path !== join(dir, 'index.js')) total += statSync(path).size;
  }
  return total;
}

/** Names a function by its description's first words ("Switchyard router: ..." -> "router"). */
function shortName(f: BundledFunction): string {
  const m = /^Switchyard ([^:(]+)/.exec(f.description);
  return (m?.[1] ?? f.logicalId).trim();
}

export async function coldStartCase(opts: { imports: number }): Promise<ColdStartRow[]> {
  const outdir = mkdtempSync(join(tmpdir(), 'switchyard-bench-synth-'));
  try {
    const tsx = join(REPO, 'node_modules', '.bin', 'tsx');
    const functions = JSON.parse(
      await run(tsx, [join(REPO, 'bench', 'processes', 'synth-bundles.ts'), outdir], {
        env: { ...process.env, CDK_VALIDATION: 'false' },
      }),
    ) as BundledFunction[];
    if (functions.length === 0) throw new Error('cold start: the synthesised stack has no bundled functions');
    const env = {
      ...process.env,
      NODE_PATH: join(REPO, 'node_modules'),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
    };
    const rows: ColdStartRow[] = [];
    for (const f of functions) {
      const file = join(f.dir, 'index.js');
      const importMs: number[] = [];
      for (let i = 0; i < opts.imports; i++)
        importMs.push(Number(await run(process.execPath, ['-e', IMPORT_SCRIPT, file], { cwd: f.dir, env })));
      rows.push({
        name: shortName(f),
        bytes: statSync(file).size,
        gzipBytes: gzipSync(readFileSync(file)).length,
        mapBytes: statSync(`${file}.map`).size,
        sideLoadedBytes: sideLoaded(f.dir),
        importMs,
      });
    }
    return rows;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
