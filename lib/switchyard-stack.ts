import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { authorizerCacheTtlSeconds, type KeyHeaderMode } from '../functions/core/key-headers';
import { AdminFunction } from './constructs/admin-function';
import { SwitchyardApi } from './constructs/api';
import { AuthorizerCutover } from './constructs/authorizer-cutover';
import { AuthorizerFunction } from './constructs/authorizer-function';
import { HealthCheckFunction } from './constructs/health-check';
import { Observability } from './constructs/observability';
import { ProviderSecrets } from './constructs/provider-secrets';
import { RegionalDomain, type RegionalDomainOptions } from './constructs/regional-domain';
import { RouterFunction } from './constructs/router-function';
import { RouterCutover } from './constructs/router-cutover';
import { SwitchyardTables, logicalName } from './constructs/tables';
import { enableTracing } from './constructs/tracing';
import { observedConfig } from './observed-config';

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
  /** Overrides the routing config's gateway.authorizerCacheTtlSeconds (tests). */
  readonly authorizerCacheTtl?: Duration;
  /**
   * Where clients may send their key: `authorization` (Bearer only, API Gateway caches decisions) or
   * `authorization-or-x-api-key` (also `x-api-key`; API Gateway's cache off, the authorizer caches
   * key records itself). See functions/core/key-headers.ts. @default 'authorization'
   */
  readonly keyHeaderMode?: KeyHeaderMode;
  /** Stage-wide requests per second. @default 500 */
  readonly throttleRateLimit?: number;
  /** Stage-wide burst. @default 1000 */
  readonly throttleBurstLimit?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Regional WAFv2 web ACL to associate with the API stage. @default - none */
  readonly webAclArn?: string;
  /**
   * Multi-region: this region's API joins a shared custom domain through a Route 53 latency record
   * with a health check on GET /health (deploy one stack per region with the same values).
   * @default - off: the execute-api URL only
   */
  readonly regionalDomain?: RegionalDomainOptions;
  /** Email subscribed to the operational alarms (creates an SNS topic). @default - no notifications */
  readonly alarmEmail?: string;
  /** Existing SNS topic for the operational alarms. @default - none (or the alarmEmail topic) */
  readonly alarmTopicArn?: string;
  /** The "breaker open longer than N minutes" alarm's N. @default 10 */
  readonly breakerOpenAlarmMinutes?: number;
  /** Deployment stage name (`prod`: termination protection and no hotswap, set in lib/app.ts). @default - none */
  readonly stage?: string;
  /**
   * Create a regional WAFv2 web ACL for the stage: a rate-based rule per client IP, the AWS managed
   * common and known-bad-inputs rule groups, and an oversized-body rule answering 413. Ignored when
   * `webAclArn` is given (that ACL is associated instead). @default false
   */
  readonly waf?: boolean;
  /** Active X-Ray tracing on the functions, with one subsegment per upstream attempt. @default false */
  readonly tracing?: boolean;
  /**
   * Create the account's API Gateway CloudWatch Logs role (`AWS::ApiGateway::Account`). It is a
   * per-account, per-region singleton: turn it on in one stack per account and region only.
   * @default false (a custom resource checks it is set, before the stage, and fails the deploy with
   * instructions: lib/constructs/api-gateway-account-check.ts)
   */
  readonly apiGatewayAccountRole?: boolean;
  /** The account's Lambda concurrency quota here, for the near-quota alarm. @default 1000 */
  readonly accountConcurrencyQuota?: number;
}

/**
 * One region's Switchyard: the DynamoDB tables, the router (alias `live`), the key authorizer and
 * the streaming REST API in front of them. Multi-region means one stack per region.
 */
export class SwitchyardStack extends Stack {
  readonly tables: SwitchyardTables;
  readonly router: RouterFunction;
  /** CodeDeploy blue-green for the `live` alias: pre-traffic check, canary, alarm-driven rollback. */
  readonly cutover: RouterCutover;
  readonly authorizer: AuthorizerFunction;
  /** The authorizer's `live` alias, canaried by CodeDeploy with an error-rate rollback alarm. */
  readonly authorizerCutover: AuthorizerCutover;
  readonly api: SwitchyardApi;
  /** Upstream provider keys; `attachTo(fn)` lets another function (health checks) read them. */
  readonly providerSecrets: ProviderSecrets;
  /** Scheduled endpoint probes: health in the state table and CloudWatch. */
  readonly healthCheck: HealthCheckFunction;
  /** `/v1/admin/keys...` and `/v1/admin/cutover`: the only role that may write key records. */
  readonly admin: AdminFunction;
  /** Present when `regionalDomain` is set. */
  readonly regionalDomain?: RegionalDomain;
  /** CloudWatch dashboard, operational alarms and their optional SNS topic. */
  readonly observability: Observability;

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
    this.cutover = new RouterCutover(this, 'Cutover', { router: this.router, logRetention, removalPolicy });

    this.providerSecrets = new ProviderSecrets(this, 'ProviderSecrets', {
      providers: this.router.keyedProviders,
      removalPolicy,
    });
    this.providerSecrets.attachTo(this.router.function);
    this.cutover.watchProviderSecrets(this.providerSecrets);

    this.healthCheck = new HealthCheckFunction(this, 'HealthCheck', {
      stateTable: this.tables.table('state'),
      costTable: this.tables.table('cost'),
      bundledConfigJson: this.router.bundledConfigJson,
      logRetention,
      removalPolicy,
    });
    this.providerSecrets.attachTo(this.healthCheck.function);

    // The routing config's gateway.authorizerCacheTtlSeconds: the local emulator reads the same field.
    const authorizerCacheTtl =
      props.authorizerCacheTtl ??
      Duration.seconds(authorizerCacheTtlSeconds(JSON.parse(this.router.bundledConfigJson)));
    this.authorizer = new AuthorizerFunction(this, 'Authorizer', {
      keysTable: this.tables.table('keys'),
      keyHeaderMode: props.keyHeaderMode,
      cacheTtl: authorizerCacheTtl,
      logRetention,
      removalPolicy,
    });

    this.authorizerCutover = new AuthorizerCutover(this, 'AuthorizerCutover', {
      function: this.authorizer.function,
      settings: this.cutover.settings,
    });

    this.admin = new AdminFunction(this, 'Admin', {
      keysTable: this.tables.table('keys'),
      router: this.router,
      deploymentGroup: this.cutover.deploymentGroup,
      alarms: [...Object.values(this.cutover.alarms), this.authorizerCutover.alarm],
      logRetention,
      removalPolicy,
    });

    this.api = new SwitchyardApi(this, 'Http', {
      router: this.router.alias,
      adminFunction: this.admin.function,
      // The alias, never the function: authorizer deploys go through CodeDeploy like the router's.
      authorizerFunction: this.authorizerCutover.alias,
      authorizerCacheTtl,
      keyHeaderMode: props.keyHeaderMode,
      throttleRateLimit: props.throttleRateLimit ?? 500,
      throttleBurstLimit: props.throttleBurstLimit ?? 1000,
      logRetention,
      removalPolicy,
      webAclArn: props.webAclArn,
      waf: props.waf ? {} : false,
      accountRole: props.apiGatewayAccountRole,
      tracing: props.tracing,
    });
    if (props.regionalDomain) {
      this.regionalDomain = new RegionalDomain(this, 'RegionalDomain', { api: this.api.api, ...props.regionalDomain });
    }

    this.observability = new Observability(this, 'Observability', {
      // The config the router bundles: dashboard, alarms and router can never disagree about models.
      config: observedConfig(JSON.parse(this.router.bundledConfigJson)),
      alarmEmail: props.alarmEmail,
      alarmTopicArn: props.alarmTopicArn,
      breakerOpenAlarmMinutes: props.breakerOpenAlarmMinutes,
      cutoverAlarms: [...Object.values(this.cutover.alarms), this.authorizerCutover.alarm],
      capacity: {
        functions: {
          router: this.router.function,
          authorizer: this.authorizer.function,
          'health-check': this.healthCheck.function,
        },
        tables: Object.fromEntries(this.tables.all.map(({ spec, table }) => [spec.name, table])),
        accountConcurrencyQuota: props.accountConcurrencyQuota,
      },
    });

    if (props.tracing) {
      for (const fn of [this.router.function, this.authorizer.function, this.healthCheck.function, this.admin.function])
        enableTracing(fn);
    }

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
    new CfnOutput(this, 'ProviderSecretArns', {
      value: this.providerSecrets.arnMapJson(),
      description: 'Upstream provider -> Secrets Manager secret holding its API key (set with put-secret-value)',
    });
    new CfnOutput(this, 'RouterAliasArn', {
      value: this.router.alias.functionArn,
      description: `Router alias "live" (bundled config version ${this.router.configVersion})`,
    });
  }
}
