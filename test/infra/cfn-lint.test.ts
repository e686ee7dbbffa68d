/**
 * cfn-lint (the Python linter, 1.51.0 on the CI image) on the synthesised template: 0 errors, and no
 * warning except the rules listed below, each with its reason. A template CloudFormation would
 * reject, or a property with a typo CDK let through, fails here instead of at deploy time.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cdkJsonContext, createSwitchyardApp } from '../../lib/app';

/** Rules ignored on purpose. Every entry needs its reason; nothing else may be ignored. */
const IGNORED_RULES: Record<string, string> = {
  W3005:
    'Redundant DependsOn: the live alias depends on the CodeDeploy group, its role and the pre-traffic hook on ' +
    'purpose (router-cutover.ts). Some of those are also implied by references, but the explicit list documents ' +
    'the order the deployment needs and survives refactors that drop a reference.',
};

const outRoot = mkdtempSync(join(tmpdir(), 'switchyard-cfn-lint-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

interface Finding {
  Rule: { Id: string };
  Level: string;
  Message: string;
  Location: { Path?: unknown[] };
}

async function cfnLint(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('cfn-lint', args, {
      timeout: 240_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        'cfn-lint is not on PATH. Install the Python linter (pip install cfn-lint==1.51.0; the npm package of that ' +
          'name is an unrelated tool). CI images have it.',
      );
    }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('cfn-lint', () => {
  it('is installed at the pinned version', async () => {
    const { stdout, stderr } = await cfnLint(['--version']);
    expect(`${stdout}${stderr}`).toMatch(/cfn-lint 1\.51\.0/);
  });

  it('finds no errors and no unlisted warnings in the synthesised template', async () => {
    const { app, stack } = createSwitchyardApp({
      context: cdkJsonContext(),
      builtinValidation: false,
      nag: false,
      outdir: mkdtempSync(join(outRoot, 'cdk.out-')),
    });
    const assembly = app.synth();
    const templatePath = join(assembly.directory, assembly.getStackByName(stack.stackName).templateFile);

    const { stdout, stderr } = await cfnLint([
      '--format',
      'json',
      ...Object.keys(IGNORED_RULES).flatMap((id) => ['--ignore-checks', id]),
      '--',
      templatePath,
    ]);
    let findings: Finding[];
    try {
      findings = JSON.parse(stdout || '[]');
    } catch {
      throw new Error(`cfn-lint printed no JSON: ${stdout.slice(0, 500)} ${stderr.slice(0, 500)}`);
    }
    const described = findings.map(
      (f) => `${f.Level} ${f.Rule.Id}: ${f.Message} (${(f.Location.Path ?? []).join('/')})`,
    );
    expect(described).toEqual([]);
  }, 300_000);

  it('every ignored rule names its reason', () => {
    for (const [id, reason] of Object.entries(IGNORED_RULES)) {
      expect(id).toMatch(/^[EWI]\d{4}$/);
      expect(reason.length).toBeGreaterThan(40);
    }
  });
});
