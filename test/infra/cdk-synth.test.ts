/**
 * `npx cdk synth` as a user runs it: the pinned CLI, cdk.json's app command, no AWS credentials, no
 * Docker (NodejsFunction bundles with the local esbuild because a lock file exists).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';

const REPO = join(__dirname, '..', '..');

describe('npx cdk synth', () => {
  const out = mkdtempSync(join(tmpdir(), 'switchyard-synth-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('synthesises the stack offline, without credentials, bundling every function', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, CDK_VALIDATION: 'false', CDK_DISABLE_VERSION_CHECK: '1' };
    for (const k of Object.keys(env))
      if (k.startsWith('AWS_') && k !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED') delete env[k];
    await promisify(execFile)(
      join(REPO, 'node_modules', '.bin', 'cdk'),
      ['synth', '--quiet', '--no-notices', '-o', out],
      { cwd: REPO, env, timeout: 240_000 },
    );
    const template = JSON.parse(readFileSync(join(out, 'Switchyard.template.json'), 'utf8'));
    const functions = Object.values(
      template.Resources as Record<string, { Type: string; Properties: { Runtime?: string } }>,
    ).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Runtime?.startsWith('nodejs'));
    expect(functions.length).toBeGreaterThanOrEqual(4);
    const manifest = JSON.parse(readFileSync(join(out, 'Switchyard.assets.json'), 'utf8'));
    const bundles = Object.values(manifest.files as Record<string, { source: { path: string } }>).filter((f) =>
      existsSync(join(out, f.source.path, 'index.js')),
    );
    expect(bundles.length).toBeGreaterThanOrEqual(4);

    // The router loads the BPE tokenizer only for long prompts: it is not in index.js but next to it,
    // where the bundle's require finds it (with no other node_modules to fall back on).
    const routerKey = Object.entries(
      template.Resources as Record<
        string,
        { Type: string; Properties: { Description?: string; Code?: { S3Key?: string } } }
      >,
    ).find(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description?.startsWith('Switchyard router'),
    )![1].Properties.Code!.S3Key!;
    const routerDir = join(out, `asset.${routerKey.replace(/\.zip$/, '')}`);
    const index = readFileSync(join(routerDir, 'index.js'), 'utf8');
    expect(index).toContain('require("gpt-tokenizer/encoding/cl100k_base")');
    // Bedrock's runtime client with its HTTP/1.1 handler and the Powertools tracer joined the bundle;
    // what a cold start pays for it is measured by the bench's cold-start case, not here.
    expect(index.length).toBeLessThan(900 * 1024);
    const fromBundle = createRequire(join(routerDir, 'index.js'));
    expect(fromBundle.resolve('gpt-tokenizer/encoding/cl100k_base')).toBe(
      join(routerDir, 'node_modules', 'gpt-tokenizer', 'encoding', 'cl100k_base.js'),
    );
    const { encode } = fromBundle('gpt-tokenizer/encoding/cl100k_base') as { encode(text: string): number[] };
    expect(encode('hello world')).toHaveLength(2);
  }, 300_000);
});
