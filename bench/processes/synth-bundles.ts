/**
 * Synthesises the stack the way `cdk synth` does (cdk.json context, the same NodejsFunction
 * bundling with the local esbuild: minified CJS, node22, `@aws-sdk/*` left to the runtime) into
 * the directory given as the first argument, and prints the Lambda functions and their bundle
 * directories as JSON on stdout. A separate process: bundling runs esbuild synchronously.
 */
import { join } from 'node:path';
import { cdkJsonContext, createSwitchyardApp } from '../../lib/app';

export interface BundledFunction {
  logicalId: string;
  description: string;
  /** Absolute path of the asset directory holding index.js. */
  dir: string;
}

const outdir = process.argv[2];
if (!outdir) throw new Error('usage: synth-bundles.ts <outdir>');
const { app, stack } = createSwitchyardApp({ context: cdkJsonContext(), builtinValidation: false, nag: false, outdir });
const template = JSON.parse(JSON.stringify(app.synth().getStackByName(stack.stackName).template)) as {
  Resources: Record<string, { Type: string; Properties: { Description?: string; Code?: { S3Key?: unknown } } }>;
};
// A function's code is the zip of asset.<hash>/, uploaded as <hash>.zip (cdk.json disables asset path metadata).
const functions: BundledFunction[] = Object.entries(template.Resources)
  .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && typeof r.Properties.Code?.S3Key === 'string')
  .map(([logicalId, r]) => ({
    logicalId,
    description: r.Properties.Description ?? logicalId,
    dir: join(outdir, `asset.${(r.Properties.Code!.S3Key as string).replace(/\.zip$/, '')}`),
  }));
process.stdout.write(JSON.stringify(functions));
