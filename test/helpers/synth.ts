/**
 * Builds the stack the way bin/switchyard.ts does (cdk.json context, zod config check) for CDK
 * assertion tests, minus the built-in CloudFormation validation (slow) and minus the cdk-nag plugin
 * (tests that check nag findings run the pack themselves). Assemblies go under one temporary folder
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

export function stackBuilder(prefix: string) {
  const outRoot = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(outRoot, { recursive: true, force: true }));
  function build(stackProps: SwitchyardStackProps = {}) {
    const { app, stack } = createSwitchyardApp({
      context: cdkJsonContext(),
      builtinValidation: false,
      nag: false,
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
