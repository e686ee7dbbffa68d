/**
 * Refuses a hotswap deploy of a prod stage. `cdk deploy --hotswap`, `--hotswap-fallback` and
 * `cdk watch` (hotswap unless `--no-hotswap`) update function code and aliases with direct Lambda
 * calls, skipping CloudFormation and so CodeDeploy: no pre-traffic check, no canary, no alarms, no
 * rollback, on the stage that needs them most.
 *
 * The CLI does not tell the app how it will deploy (no flag, context key or environment variable
 * carries the hotswap mode), but it runs the app as its own descendant before it deploys anything.
 * So the app finds the nearest `cdk` process among its ancestors, reads its arguments the way the
 * CLI does (aws-cdk's determineHotswapMode), and throws during synth: nothing is deployed.
 *
 * What this cannot see: a deploy from a pre-synthesised assembly (`cdk deploy --app cdk.out
 * --hotswap`), Windows (no process table read here), or direct Lambda API calls. The IAM guard in
 * docs/operations/deploy.md covers those.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** The CLI's own names for its deployment modes. */
export type HotswapMode = 'full-deployment' | 'hotswap-only' | 'fall-back';

export interface CdkInvocation {
  /** The CLI command (`deploy`, `watch`, `synth`, ...); undefined when none was recognised. */
  readonly command?: string;
  readonly hotswap: HotswapMode;
  /** The arguments after `cdk`, for the error message. */
  readonly args: readonly string[];
}

/** The stage whose deploys must go through CloudFormation (and termination protection, in lib/app.ts). */
export const PROD_STAGE = 'prod';

const COMMANDS = new Set([
  'deploy',
  'watch',
  'synth',
  'synthesize',
  'diff',
  'destroy',
  'list',
  'ls',
  'bootstrap',
  'import',
  'rollback',
  'drift',
  'doctor',
  'context',
  'metadata',
  'notices',
  'acknowledge',
  'ack',
]);

/** `cdk`, the package's `bin/cdk` (run by node, npx or a global install), or `cdk.js`. */
function isCdkEntry(token: string): boolean {
  const name = basename(token);
  return name === 'cdk' || name === 'cdk.js';
}

/**
 * A yargs boolean option as the CLI parses it: `--x`, `--x=true|false`, `--x true|false`,
 * `--no-x`; the last one given wins. undefined when absent (the CLI's defaults depend on that).
 */
function booleanOption(args: readonly string[], name: string): boolean | undefined {
  let value: boolean | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === `--no-${name}`) value = false;
    else if (a === `--${name}=true`) value = true;
    else if (a === `--${name}=false`) value = false;
    else if (a === `--${name}`) {
      const next = args[i + 1];
      if (next === 'true' || next === 'false') {
        value = next === 'true';
        i++;
      } else value = true;
    }
  }
  return value;
}

/** aws-cdk's determineHotswapMode: `watch` hotswaps unless told not to; `deploy` only when told to. */
function hotswapMode(hotswap: boolean | undefined, fallback: boolean | undefined, watch: boolean): HotswapMode {
  if (hotswap) return 'hotswap-only';
  if (fallback) return 'fall-back';
  if (hotswap === undefined && fallback === undefined && watch) return 'hotswap-only';
  return 'full-deployment';
}

/** The CDK CLI invocation in one process's argv, or undefined when that process is not the CLI. */
export function parseCdkArgv(argv: readonly string[]): CdkInvocation | undefined {
  const entry = argv.findIndex(isCdkEntry);
  if (entry < 0) return undefined;
  const args = argv.slice(entry + 1);
  const command = args.find((a) => COMMANDS.has(a));
  return {
    command,
    args,
    hotswap: hotswapMode(booleanOption(args, 'hotswap'), booleanOption(args, 'hotswap-fallback'), command === 'watch'),
  };
}

/** Just enough of the operating system's process table. */
export interface ProcessTable {
  parent(pid: number): number | undefined;
  argv(pid: number): readonly string[] | undefined;
}

/** The nearest CDK CLI among `pid` and its ancestors (a bounded walk: loops and pid 1 end it). */
export function findCdkInvocation(table: ProcessTable, pid: number, maxDepth = 24): CdkInvocation | undefined {
  const seen = new Set<number>();
  let current: number | undefined = pid;
  for (let depth = 0; current !== undefined && current > 1 && depth < maxDepth; depth++) {
    if (seen.has(current)) return undefined;
    seen.add(current);
    const argv = table.argv(current);
    const invocation = argv ? parseCdkArgv(argv) : undefined;
    if (invocation) return invocation;
    current = table.parent(current);
  }
  return undefined;
}

/** The parent pid from a `/proc/<pid>/stat` line; the command name in parentheses may hold anything. */
export function parentFromProcStat(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

/** Linux: /proc. */
export const procTable: ProcessTable = {
  parent: (pid) => attempt(() => parentFromProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))),
  argv: (pid) => attempt(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)),
};

/** macOS and other Unixes without /proc: `ps` (arguments split on spaces, enough for flags). */
export const psTable: ProcessTable = {
  parent: (pid) =>
    attempt(() => {
      const ppid = Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim());
      return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
    }),
  argv: (pid) =>
    attempt(() =>
      execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' })
        .trim()
        .split(/\s+/)
        .filter(Boolean),
    ),
};

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** How the CLI that runs this app was invoked; undefined when the app is not run by the CLI (tests, scripts). */
export function detectCdkInvocation(pid: number = process.pid): CdkInvocation | undefined {
  if (existsSync('/proc/self/stat')) return findCdkInvocation(procTable, pid);
  if (process.platform === 'win32') return undefined;
  return findCdkInvocation(psTable, pid);
}

/** Throws when a prod stage is about to be hotswapped; anything else passes. */
export function refuseHotswapOfProd(stage: string | undefined, invocation: CdkInvocation | undefined): void {
  if (stage !== PROD_STAGE || !invocation || invocation.hotswap === 'full-deployment') return;
  if (invocation.command !== undefined && invocation.command !== 'deploy' && invocation.command !== 'watch') return;
  throw new Error(
    `Refusing to hotswap the ${PROD_STAGE} stage (cdk ${invocation.args.join(' ')}): a hotswap changes ` +
      'function code and aliases directly, skipping CloudFormation and CodeDeploy (no pre-traffic check, ' +
      'canary, alarms or rollback). Deploy without --hotswap / --hotswap-fallback (`cdk watch --no-hotswap` ' +
      'for watch), or hotswap a dev stack: -c switchyard:stage=dev -c switchyard:stackName=Switchyard-dev. ' +
      'See docs/operations/deploy.md.',
  );
}
