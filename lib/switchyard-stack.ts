import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { SwitchyardApi } from './constructs/api';
import { AuthorizerFunction } from './constructs/authorizer-function';
import { RouterFunction } from './constructs/router-function';
import { SwitchyardTables, logicalName } from './constructs/tables';

export const DEFAULT_CONFIG_PATH = 'config/switchyard.json';

export interface SwitchyardStackProps extends StackProps {
  /**
   * Routing config bundled into the router (relative to the repository root, or absolute).
   * @default 'config/switchyard.json'
   */
  readonly configPath?: string;
  /**
   * Called with the parsed config at synth time; throw to stop the synth. `bin/switchyard.ts` passes
   * the zod `compileConfig`, which lib/ may not import (it is runtime code).
   */
  readonly validateConfig?: (config: unknown) => void;
  /**
   * What happens to tables and log groups when the stack is deleted. DESTROY for dev stacks only.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** @default Duration.seconds(60) */
  readonly authorizerCacheTtl?: Duration;
  /** Stage-wide requests per second. @default 500 */
  readonly throttleRateLimit?: number;
  /** Stage-wide burst. @default 1000 */
  readonly throttleBurstLimit?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Regional WAFv2 web ACL to associate with the API stage. @default - none */
  readonly webAclArn?: string;
}

/**
 * One region's Switchyard: the DynamoDB tables, the router (alias `live`), the key authorizer and
 * the streaming REST API in front of them. Multi-region means one stack per region.
 */
export class SwitchyardStack extends Stack {
  readonly tables: SwitchyardTables;
  readonly router: RouterFunction;
  readonly authorizer: AuthorizerFunction;
  readonly api: SwitchyardApi;

  constructor(scope: Construct, id: string, props: SwitchyardStackProps = {}) {
    super(scope, id, {
      description: 'Switchyard: serverless OpenAI-compatible LLM gateway',
      ...props,
    });
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.tables = new SwitchyardTables(this, 'Tables', { removalPolicy });

    this.router = new RouterFunction(this, 'Router', {
      tables: this.tables,
      configPath: props.configPath ?? DEFAULT_CONFIG_PATH,
      validateConfig: props.validateConfig,
      logRetention,
      removalPolicy,
    });

    this.authorizer = new AuthorizerFunction(this, 'Authorizer', {
      keysTable: this.tables.table('keys'),
      logRetention,
      removalPolicy,
    });

    this.api = new SwitchyardApi(this, 'Http', {
      router: this.router.alias,
      authorizerFunction: this.authorizer.function,
      authorizerCacheTtl: props.authorizerCacheTtl ?? Duration.seconds(60),
      throttleRateLimit: props.throttleRateLimit ?? 500,
      throttleBurstLimit: props.throttleBurstLimit ?? 1000,
      logRetention,
      removalPolicy,
      webAclArn: props.webAclArn,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.baseUrl,
      description: 'OpenAI SDK baseURL (ends in /v1)',
    });
    for (const { spec, table } of this.tables.all) {
      // StateTableName, CostTableName, KeysTableName (the `npm run keys` CLI reads KeysTableName).
      new CfnOutput(this, `${logicalName(spec)}Name`, {
        value: table.tableName,
        description: `${spec.name} table: ${spec.description} (functions read it from ${spec.envVar})`,
      });
    }
    new CfnOutput(this, 'RouterAliasArn', {
      value: this.router.alias.functionArn,
      description: `Router alias "live" (bundled config version ${this.router.configVersion})`,
    });
  }
}
