/**
 * Builds the stack the way bin/switchyard.ts does (cdk.json context, zod config check) for CDK
 * assertion tests, minus the built-in CloudFormation validation (slow) and, unless asked for, minus
 * the cdk-nag plugin (tests that check nag findings run the pack themselves). Assemblies go under one temporary folder
 * per test file, removed after it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { compileConfig } from '../../functions/core/config/compile';
import { cdkJsonContext, createSwitchyardApp } from '../../lib/app';
import type { SwitchyardStack, SwitchyardStackProps } from '../../lib/switchyard-stack';

export type Resources = Record<
  string,
  { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; DependsOn?: string[]; UpdatePolicy?: any }
>;

export interface BuildOptions {
  /** Context on top of cdk.json's (`switchyard:*` settings as `-c` would pass them). */
  context?: Record<string, unknown>;
  /** Register the cdk-nag pack as a synth plugin, as `cdk synth` does. */
  nag?: boolean;
}

/**
 * `bundle: false` skips esbuild for every function (`aws:cdk:bundling-stacks: []`), for files that
 * read the template and not the code: a stack then builds in about a second.
 */
export function stackBuilder(prefix: string, defaults: { bundle?: boolean } = {}) {
  const outRoot = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(outRoot, { recursive: true, force: true }));
  const noBundling = defaults.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {};
  function build(stackProps: SwitchyardStackProps = {}, opts: BuildOptions = {}) {
    const { app, stack } = createSwitchyardApp({
      context: { ...cdkJsonContext(), ...noBundling, ...opts.context },
      builtinValidation: false,
      nag: opts.nag ?? false,
      outdir: mkdtempSync(join(outRoot, 'cdk.out-')),
      stackProps: { validateConfig: (c) => void compileConfig(c), ...stackProps },
    });
    const template = Template.fromStack(stack);
    return { app, stack, template, resources: template.toJSON().Resources as Resources };
  }
  /** `outRoot` also holds scratch files (custom configs) and goes away with the assemblies. */
  return { build, outRoot };
}

export const idOf = (stack: SwitchyardStack, construct: { node: { defaultChild?: unknown } }): string =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);
