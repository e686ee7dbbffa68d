import { readFileSync } from 'node:fs';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fromRepoRoot } from '../paths';
import { grantConfiguredBedrock } from './bedrock-access';
import { SwitchyardFunction } from './node-function';
import type { SwitchyardTables } from './tables';

/**
 * How the routing config reaches the router: esbuild `define` replaces every occurrence of the
 * expression `process.env.SWITCHYARD_BUNDLED_CONFIG` in the router's source with a string literal
 * holding the config JSON (parsed and re-serialised here, so it is known to be valid JSON and carries
 * no whitespace). The router therefore does
 *
 *     const raw = process.env.SWITCHYARD_BUNDLED_CONFIG;   // literal in the bundle, undefined locally
 *     const config = compileConfig(JSON.parse(raw ?? readFileSync(localPath, 'utf8')));
 *
 * and must write the expression exactly like that (no destructuring of `process.env`, no
 * `process.env['...']` with a computed key) or esbuild will not substitute it. Nothing appears in
 * the Lambda environment: the config lives in the code, so a config change changes the bundle,
 * the asset hash and therefore the published version behind the `live` alias.
 */
export const BUNDLED_CONFIG_DEFINE = 'process.env.SWITCHYARD_BUNDLED_CONFIG';

/**
 * Linux caps a single command-line argument at 128 KiB (MAX_ARG_STRLEN) and esbuild receives
 * `--define:...=<json>` as one argument. Fail at synth with a clear message well before that.
 */
const MAX_BUNDLED_CONFIG_BYTES = 100 * 1024;

export interface RouterFunctionProps {
  readonly tables: SwitchyardTables;
  /** Routing config file, relative to the repository root or absolute. */
  readonly configPath: string;
  /** Extra check of the parsed config at synth time (bin/ passes the zod `compileConfig`). */
  readonly validateConfig?: (config: unknown) => void;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The router Lambda: streamified handler, published as a new version whenever code or config
 * changes, served through the alias `live` (which CodeDeploy later shifts between versions).
 * May read and write the state table and the quota items of the cost table, read and put answers in
 * the cache table; never the keys table.
 */
export class RouterFunction extends Construct {
  readonly function: lambda.Function;
  readonly alias: lambda.Alias;
  readonly logGroup: logs.LogGroup;
  /** `version` field of the bundled config, for outputs and descriptions. */
  readonly configVersion: string;
  /** The minified config JSON bundled into the router; the health check bundles the same text. */
  readonly bundledConfigJson: string;
  /** Providers of the bundled config with an `apiKeyRef`: each gets a Secrets Manager secret. */
  readonly keyedProviders: readonly string[];

  constructor(scope: Construct, id: string, props: RouterFunctionProps) {
    super(scope, id);
    const config = loadConfig(props.configPath, props.validateConfig);
    this.configVersion = config.version;
    this.bundledConfigJson = config.json;
    this.keyedProviders = config.keyedProviders;

    const fn = new SwitchyardFunction(this, 'Router', {
      entry: 'functions/router/handler.ts',
      description: 'Switchyard router: OpenAI-compatible chat completions with routing and fallbacks',
      memorySize: 1024,
      // Long streamed generations: the API integration allows the same 15 minutes.
      timeout: Duration.seconds(900),
      environment: {
        ...props.tables.environment(),
        POWERTOOLS_SERVICE_NAME: 'switchyard-router',
      },
      define: { [BUNDLED_CONFIG_DEFINE]: JSON.stringify(config.json) },
      // The BPE tokenizer is needed only for long prompts (functions/core/routing/token-estimate.ts).
      sideLoadedModules: ['gpt-tokenizer/encoding/cl100k_base'],
      // Rollback (CodeDeploy or by hand) shifts `live` back to the previous version: keep it around.
      retainVersions: true,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.function = fn.function;
    this.logGroup = fn.logGroup;

    // State table: the snapshot (BatchGetItem), breaker transitions (UpdateItem) and their
    // consistent re-reads (GetItem). Cost table: quota shards, slot shards and holder records
    // (adapters/dynamo/quota: conditional UpdateItem, GetItem on refusal, Query for the sweep and
    // /v1/stats). Exactly what the stores send: no Put, Delete, Scan or batch writes. The keys table
    // is not the router's at all: it could otherwise mint itself an admin key or read every key hash.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'SharedState',
        actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.tables.table('state').tableArn],
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'QuotaAndUsage',
        actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query'],
        resources: [props.tables.table('cost').tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['q#*', 'slot#*', 'holder#*'] } },
      }),
    );

    // Cache table: one GetItem per lookup, one PutItem per stored answer (adapters/dynamo/response-cache.ts),
    // on answer items only. No Query, Scan or Delete: the router can read an entry only by its hash.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ResponseCache',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [props.tables.table('cache').tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['r#*'] } },
      }),
    );

    // Bedrock: exactly the models, inference profiles and roles the config names.
    grantConfiguredBedrock(this, this.function, config.json);

    this.alias = new lambda.Alias(this, 'LiveAlias', {
      aliasName: 'live',
      version: fn.function.currentVersion,
      description: 'Traffic-serving alias; API Gateway integrates with this, never with $LATEST',
    });
  }
}

interface LoadedConfig {
  /** Minified JSON text of the config. */
  readonly json: string;
  readonly version: string;
  readonly keyedProviders: string[];
}

function loadConfig(configPath: string, validate?: (config: unknown) => void): LoadedConfig {
  const file = fromRepoRoot(configPath);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`Switchyard config ${file} cannot be read: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`Switchyard config ${file} is not valid JSON: ${(err as Error).message}`);
  }
  validate?.(parsed);
  const json = JSON.stringify(parsed);
  if (Buffer.byteLength(json) > MAX_BUNDLED_CONFIG_BYTES) {
    throw new Error(
      `Switchyard config ${file} is ${Buffer.byteLength(json)} bytes minified; the bundling limit is ${MAX_BUNDLED_CONFIG_BYTES}`,
    );
  }
  const version = (parsed as { version?: unknown }).version;
  const providers = (parsed as { providers?: Record<string, { apiKeyRef?: unknown }> }).providers ?? {};
  const keyedProviders = Object.keys(providers).filter((name) => Boolean(providers[name]?.apiKeyRef));
  return { json, version: typeof version === 'string' ? version : 'unversioned', keyedProviders };
}
