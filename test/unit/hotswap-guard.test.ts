/**
 * The prod hotswap refusal (lib/hotswap-guard.ts): the CLI's arguments read the way the CLI reads
 * them, the walk up the process table, and the refusal itself. The real CLI refusing a
 * `cdk deploy --hotswap` of prod is in test/infra/deploy-settings.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  detectCdkInvocation,
  findCdkInvocation,
  parentFromProcStat,
  parseCdkArgv,
  type ProcessTable,
  refuseHotswapOfProd,
} from '../../lib/hotswap-guard';

const CLI = ['/usr/bin/node', '/repo/node_modules/aws-cdk/bin/cdk'];
const mode = (...args: string[]) => parseCdkArgv([...CLI, ...args])?.hotswap;

describe('reading the CLI arguments', () => {
  it('deploy is a full deployment unless --hotswap or --hotswap-fallback is given', () => {
    expect(mode('deploy')).toBe('full-deployment');
    expect(mode('deploy', '--hotswap')).toBe('hotswap-only');
    expect(mode('deploy', '-c', 'switchyard:stage=prod', '--hotswap-fallback')).toBe('fall-back');
    expect(mode('deploy', '--hotswap=true')).toBe('hotswap-only');
    expect(mode('deploy', '--hotswap', 'false')).toBe('full-deployment');
    expect(mode('deploy', '--hotswap', '--no-hotswap')).toBe('full-deployment');
    expect(mode('deploy', '--no-hotswap', '--hotswap')).toBe('hotswap-only');
  });

  it('watch hotswaps unless told not to', () => {
    expect(mode('watch')).toBe('hotswap-only');
    expect(mode('watch', '--no-hotswap')).toBe('full-deployment');
    expect(mode('watch', '--hotswap=false')).toBe('full-deployment');
    expect(mode('watch', '--hotswap-fallback')).toBe('fall-back');
  });

  it('finds the command after global options and the CLI however it is started', () => {
    expect(parseCdkArgv([...CLI, '-c', 'a=b', '--profile', 'x', 'watch'])?.command).toBe('watch');
    expect(parseCdkArgv(['node', '/usr/lib/node_modules/npm/bin/npx-cli.js', 'cdk', 'deploy'])).toMatchObject({
      command: 'deploy',
      args: ['deploy'],
    });
    expect(parseCdkArgv(['/repo/node_modules/.bin/cdk', 'synth'])?.command).toBe('synth');
    expect(parseCdkArgv(['node', '/repo/node_modules/tsx/dist/cli.mjs', 'bin/switchyard.ts'])).toBeUndefined();
    expect(parseCdkArgv(['/bin/sh', '-c', 'cdk deploy --hotswap'])).toBeUndefined();
  });

  it('reads the parent pid from /proc/<pid>/stat whatever the command name holds', () => {
    expect(parentFromProcStat('4242 (node) S 4100 4242 4100 0 -1 4194304')).toBe(4100);
    expect(parentFromProcStat('4242 (we) ird) (name) R 17 4242 17 0')).toBe(17);
    expect(parentFromProcStat('garbage')).toBeUndefined();
  });
});

describe('finding the CLI among the ancestors', () => {
  function table(procs: Record<number, { parent?: number; argv?: string[] }>): ProcessTable {
    return { parent: (pid) => procs[pid]?.parent, argv: (pid) => procs[pid]?.argv };
  }

  it('takes the nearest cdk process above the app', () => {
    const t = table({
      50: { parent: 40, argv: ['node', '/repo/node_modules/tsx/dist/cli.mjs', 'bin/switchyard.ts'] },
      40: { parent: 30, argv: ['/bin/sh', '-c', 'npx tsx bin/switchyard.ts'] },
      30: { parent: 20, argv: [...CLI, 'deploy', '--hotswap'] },
      20: { parent: 1, argv: ['node', '/usr/bin/npx', 'cdk', 'watch'] },
    });
    expect(findCdkInvocation(t, 50)).toMatchObject({ command: 'deploy', hotswap: 'hotswap-only' });
  });

  it('finds nothing without a CLI, and ends on loops, pid 1 and unreadable entries', () => {
    expect(findCdkInvocation(table({ 9: { parent: 1, argv: ['jest'] } }), 9)).toBeUndefined();
    expect(findCdkInvocation(table({ 9: { parent: 8 }, 8: { parent: 9 } }), 9)).toBeUndefined();
    expect(findCdkInvocation(table({ 9: { parent: 1 }, 1: { argv: [...CLI, 'watch'] } }), 9)).toBeUndefined();
  });

  const linux = existsSync('/proc/self/stat') ? describe : describe.skip;
  linux('through the real process table', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-hotswap-'));
    const children: ChildProcess[] = [];
    afterAll(() => {
      // Closing stdin ends the grandchild too (it waits on the same pipe).
      for (const c of children) {
        c.stdin?.end();
        c.kill();
      }
      rmSync(dir, { recursive: true, force: true });
    });

    /**
     * A stand-in named `cdk` that runs a grandchild through a shell, as the CLI runs the app; the
     * grandchild prints its pid and waits for stdin to close.
     */
    async function appPidUnder(args: string[]): Promise<number> {
      const cdk = join(dir, 'cdk');
      writeFileSync(
        cdk,
        `require('node:child_process').spawn(${JSON.stringify(`'${process.execPath}' -e "console.log(process.pid); process.stdin.resume()"`)}, { shell: true, stdio: 'inherit' });`,
      );
      const child = spawn(process.execPath, [cdk, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(child);
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
        child.once('exit', () => reject(new Error('stand-in exited before the app started')));
      });
      return Number(line.trim());
    }

    it('sees the hotswap flag of a cdk process two levels up, and a full deploy as one', async () => {
      const hot = await appPidUnder(['deploy', '-c', 'switchyard:stage=prod', '--hotswap']);
      expect(detectCdkInvocation(hot)).toMatchObject({ command: 'deploy', hotswap: 'hotswap-only' });
      const full = await appPidUnder(['deploy', '-c', 'switchyard:stage=prod']);
      expect(detectCdkInvocation(full)).toMatchObject({ command: 'deploy', hotswap: 'full-deployment' });
    });

    it('sees no CLI above this test', () => {
      expect(detectCdkInvocation()).toBeUndefined();
    });
  });
});

describe('the refusal', () => {
  const inv = (...args: string[]) => parseCdkArgv([...CLI, ...args]);

  it('refuses hotswap and hotswap-fallback deploys and a hotswapping watch of prod', () => {
    for (const args of [['deploy', '--hotswap'], ['deploy', '--hotswap-fallback'], ['watch'], ['--hotswap']]) {
      expect(() => refuseHotswapOfProd('prod', inv(...args))).toThrow(/Refusing to hotswap the prod stage/);
    }
  });

  it('lets prod deploy through CloudFormation, other stages hotswap, and apps without a CLI build', () => {
    expect(() => refuseHotswapOfProd('prod', inv('deploy'))).not.toThrow();
    expect(() => refuseHotswapOfProd('prod', inv('watch', '--no-hotswap'))).not.toThrow();
    expect(() => refuseHotswapOfProd('prod', inv('synth'))).not.toThrow();
    expect(() => refuseHotswapOfProd('dev', inv('deploy', '--hotswap'))).not.toThrow();
    expect(() => refuseHotswapOfProd(undefined, inv('watch'))).not.toThrow();
    expect(() => refuseHotswapOfProd('prod', undefined)).not.toThrow();
  });

  it('names the way out in the error', () => {
    expect(() => refuseHotswapOfProd('prod', inv('watch'))).toThrow(/--no-hotswap.*switchyard:stage=dev/s);
  });
});
