/**
 * Deploy-time settings read from context: the region set explicitly on the stack (the README's
 * multi-region loop used to redeploy one region), the stack name, termination protection for prod,
 * and the refusal to hotswap prod.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cdkJsonContext, createSwitchyardApp, stackRegion } from '../../lib/app';
import { parseCdkArgv } from '../../lib/hotswap-guard';
import { REPO_ROOT } from '../../lib/paths';

const BUILD_TIMEOUT = 180_000;
const outRoot = mkdtempSync(join(tmpdir(), 'switchyard-deploy-settings-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

function synth(context: Record<string, unknown>) {
  const { app, stack } = createSwitchyardApp({
    context: { ...cdkJsonContext(), ...context },
    builtinValidation: false,
    nag: false,
    outdir: mkdtempSync(join(outRoot, 'cdk.out-')),
  });
  const assembly = app.synth();
  return { stack, artifact: assembly.getStackByName(stack.stackName) };
}

describe('region', () => {
  it('takes -c switchyard:region first, then AWS_REGION, then CDK_DEFAULT_REGION', () => {
    const env = { AWS_REGION: 'eu-west-1', CDK_DEFAULT_REGION: 'us-east-1' };
    expect(stackRegion('ap-southeast-2', env)).toBe('ap-southeast-2');
    expect(stackRegion(undefined, env)).toBe('eu-west-1');
    expect(stackRegion('', { CDK_DEFAULT_REGION: 'us-east-1' })).toBe('us-east-1');
    expect(stackRegion(undefined, {})).toBeUndefined();
  });

  it(
    'synthesises one stack per region, each with its own region in its environment',
    () => {
      const regions = ['us-east-1', 'eu-west-1'];
      const artifacts = regions.map((region) => synth({ 'switchyard:region': region }).artifact);
      expect(artifacts.map((a) => a.environment.region)).toEqual(regions);
      expect(artifacts.map((a) => a.stackName)).toEqual(['Switchyard', 'Switchyard']);
      // The environment in the cloud assembly is what the CLI deploys to: not "unknown-region".
      for (const a of artifacts) expect(a.environment.name).toMatch(new RegExp(`/${a.environment.region}$`));
    },
    BUILD_TIMEOUT,
  );
});

describe('stage and stack name', () => {
  it(
    'a prod stage is termination-protected and a second stack in the same account gets its own name',
    () => {
      const prod = synth({ 'switchyard:stage': 'prod', 'switchyard:region': 'us-east-1' });
      expect(prod.artifact.terminationProtection).toBe(true);
      const dev = synth({ 'switchyard:stackName': 'Switchyard-dev', 'switchyard:region': 'us-east-1' });
      expect(dev.artifact.stackName).toBe('Switchyard-dev');
      expect(dev.artifact.terminationProtection).toBeFalsy();
    },
    BUILD_TIMEOUT,
  );
});

describe('hotswap refused for a prod stage', () => {
  it('createSwitchyardApp throws for a hotswap deploy or watch of prod, before building anything', () => {
    const base = { ...cdkJsonContext(), 'switchyard:stage': 'prod', 'switchyard:region': 'us-east-1' };
    for (const args of [['deploy', '--hotswap'], ['deploy', '--hotswap-fallback'], ['watch']]) {
      expect(() =>
        createSwitchyardApp({
          context: base,
          nag: false,
          cdkInvocation: parseCdkArgv(['node', 'cdk', ...args]) ?? null,
          outdir: mkdtempSync(join(outRoot, 'cdk.out-')),
        }),
      ).toThrow(/Refusing to hotswap the prod stage/);
    }
  });

  it(
    'the real CLI stops `cdk deploy --hotswap` of prod at synth, without credentials or an AWS call',
    async () => {
      const env: NodeJS.ProcessEnv = { ...process.env, CDK_VALIDATION: 'false', CDK_DISABLE_VERSION_CHECK: '1' };
      for (const k of Object.keys(env)) if (k.startsWith('AWS_') || k.startsWith('CDK_DEFAULT_')) delete env[k];
      env.AWS_EC2_METADATA_DISABLED = 'true';
      const run = promisify(execFile)(
        join(REPO_ROOT, 'node_modules', '.bin', 'cdk'),
        [
          'deploy',
          '--hotswap',
          '--no-notices',
          '--require-approval',
          'never',
          '-c',
          'switchyard:stage=prod',
          '-c',
          'switchyard:region=us-east-1',
          '-o',
          mkdtempSync(join(outRoot, 'cdk.out-')),
        ],
        { cwd: REPO_ROOT, env, timeout: 120_000 },
      );
      await expect(run).rejects.toMatchObject({
        stderr: expect.stringContaining('Refusing to hotswap the prod stage (cdk deploy --hotswap'),
      });
    },
    BUILD_TIMEOUT,
  );
});
