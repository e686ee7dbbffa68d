/**
 * The X-Ray SDK under Powertools Tracer installs an async hook with destroy tracking as it loads,
 * which makes every promise in the process about ten times dearer. The router must load it only
 * when tracing is on: importing its wiring must not.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function loadsXray(script: string): boolean {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, AWS_REGION: 'us-east-1' },
    timeout: 60_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`child failed: ${r.stderr.slice(0, 2000)}`);
  return (JSON.parse(line) as { xray: boolean }).xray;
}

const probe = (body: string) =>
  `${body}; console.log(JSON.stringify({ xray: Object.keys(require.cache).some((k) => k.includes('cls-hooked')) }));`;

describe('tracing loads the X-Ray SDK only when it is on', () => {
  it("importing the router's wiring and building a tracing adapter with its own segment does not", () => {
    expect(
      loadsXray(
        probe(
          "require('./functions/router/default-deps'); require('./functions/adapters/telemetry/powertools-tracing').createPowertoolsTracing({ segment: () => undefined })",
        ),
      ),
    ).toBe(false);
  });

  it('turning tracing on does (so the check above can fail)', () => {
    expect(
      loadsXray(probe("require('./functions/adapters/telemetry/powertools-tracing').createPowertoolsTracing()")),
    ).toBe(true);
  });
});
