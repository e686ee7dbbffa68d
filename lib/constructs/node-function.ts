import { type Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { STACK_NAME_ENV } from '../../functions/core/telemetry/metric-names';
import { LOCK_FILE, REPO_ROOT, fromRepoRoot } from '../paths';

export interface SwitchyardFunctionProps {
  /** Handler file, relative to the repository root (e.g. `functions/router/handler.ts`). */
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** esbuild `define` entries (each value a JS expression, e.g. a JSON string literal). */
  readonly define?: Record<string, string>;
  /**
   * Keep superseded versions published by `currentVersion` instead of deleting them when a new one
   * replaces them, so an alias can still be shifted back to the previous version after a deploy.
   */
  readonly retainVersions?: boolean;
  /**
   * Module specifiers the code `require`s only on a slow path (e.g. `gpt-tokenizer/encoding/cl100k_base`,
   * 1 MB of rank tables): left out of index.js and bundled into their own file under the asset's
   * node_modules, where Node's resolution finds them on first use. Every cold start then parses
   * only the code it runs.
   */
  readonly sideLoadedModules?: readonly string[];
  /**
   * Concurrency set aside for this function alone (and its ceiling). Functions that must keep
   * working while the router's streams hold every execution environment of the account (the
   * authorizer, the health check) get some. @default - none: the shared unreserved pool
   */
  readonly reservedConcurrency?: number;
}

/**
 * One Lambda function the Switchyard way: Node.js 22 on arm64, bundled by the local esbuild
 * (minified, CommonJS, source maps without inlined sources), its own log group with a retention,
 * and its own role that may write to that log group and nothing else until a caller grants more.
 * No AWS managed policy: `AWSLambdaBasicExecutionRole` would allow writing to every log group.
 */
export class SwitchyardFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SwitchyardFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (execution role)`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: fromRepoRoot(props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrency,
      role: this.role,
      logGroup: this.logGroup,
      currentVersionOptions: props.retainVersions ? { removalPolicy: RemovalPolicy.RETAIN } : undefined,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        // The Stack dimension of every metric the function publishes (metric-names.ts).
        [STACK_NAME_ENV]: Stack.of(this).stackName,
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        // Stack traces map to file:line without shipping the source text inside the map.
        sourcesContent: false,
        target: 'node22',
        format: nodejs.OutputFormat.CJS,
        logLevel: nodejs.LogLevel.WARNING,
        define: props.define,
        ...sideLoading(props.sideLoadedModules ?? []),
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x on purpose: the code, its dependencies (middy 6, AWS SDK v3) and the esbuild target ' +
        'are built and tested for Node 22; moving to a newer runtime is a deliberate, tested upgrade.',
    });
  }
}

/**
 * NodejsFunction bundling options that keep `specifiers` out of index.js and bundle each, after the
 * main bundle, into `node_modules/<specifier>.js` of the asset with the same local esbuild.
 */
function sideLoading(specifiers: readonly string[]): Pick<nodejs.BundlingOptions, 'externalModules' | 'commandHooks'> {
  if (specifiers.length === 0) return {};
  const esbuild = join(REPO_ROOT, 'node_modules', '.bin', 'esbuild');
  const packages = [
    ...new Set(
      specifiers.map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2) : s.split('/').slice(0, 1)).join('/')),
    ),
  ];
  return {
    // The nodejs22.x runtime provides the AWS SDK: keep the default exclusion too.
    externalModules: ['@aws-sdk/*', ...packages],
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) =>
        specifiers.map(
          (spec) =>
            `"${esbuild}" "${require.resolve(spec, { paths: [REPO_ROOT] })}" --bundle --minify --platform=node --target=node22 --format=cjs --log-level=warning --outfile="${join(outputDir, 'node_modules', `${spec}.js`)}"`,
        ),
    },
  };
}
