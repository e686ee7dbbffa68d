import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { regionalDomainOptions } from './constructs/regional-domain';
import { type CdkInvocation, detectCdkInvocation, PROD_STAGE, refuseHotswapOfProd } from './hotswap-guard';
import { REPO_ROOT } from './paths';
import { DEFAULT_CONFIG_PATH, SwitchyardStack, type SwitchyardStackProps } from './switchyard-stack';

export const STACK_NAME = 'Switchyard';

/**
 * Context keys (cdk.json defaults, `-c key=value` overrides). Values from the command line arrive
 * as strings, values from cdk.json as JSON, so every reader below accepts both.
 */
export const CONTEXT = {
  configPath: 'switchyard:configPath',
  removalPolicy: 'switchyard:removalPolicy',
  throttleRateLimit: 'switchyard:throttleRateLimit',
  throttleBurstLimit: 'switchyard:throttleBurstLimit',
  logRetentionDays: 'switchyard:logRetentionDays',
  webAclArn: 'switchyard:webAclArn',
  /** Multi-region (all three, or none): the shared API name and its Route 53 zone; see README. */
  domainName: 'switchyard:domainName',
  hostedZoneId: 'switchyard:hostedZoneId',
  hostedZoneName: 'switchyard:hostedZoneName',
  /** Optional regional ACM certificate for domainName (default: one is created and DNS-validated). */
  certificateArn: 'switchyard:certificateArn',
  alarmEmail: 'switchyard:alarmEmail',
  alarmTopicArn: 'switchyard:alarmTopicArn',
  breakerOpenAlarmMinutes: 'switchyard:breakerOpenAlarmMinutes',
  keyHeaderMode: 'switchyard:keyHeaderMode',
  /**
   * The region this stack deploys to, set explicitly on the stack's env. Wins over AWS_REGION, which
   * wins over CDK_DEFAULT_REGION (the CLI overwrites that one from AWS_REGION or the profile, so a
   * loop over `CDK_DEFAULT_REGION=... cdk deploy` deploys the same region every time).
   */
  region: 'switchyard:region',
  /**
   * The CloudFormation stack name. @default 'Switchyard'. Two stacks in one account and region (dev
   * and prod) need two names; metrics, alarms and dashboards carry it as their Stack dimension.
   */
  stackName: 'switchyard:stackName',
  /** `prod` turns on termination protection and refuses hotswap deploys (see docs/operations/deploy.md). */
  stage: 'switchyard:stage',
  /** Opt-in regional WAF web ACL created by the stack (rate-based rule per IP + AWS managed rules). */
  waf: 'switchyard:waf',
  /** Opt-in X-Ray tracing (Powertools Tracer): one subsegment per upstream attempt. */
  tracing: 'switchyard:tracing',
  /** Create the account-level API Gateway CloudWatch Logs role (a per-account singleton; opt-in). */
  apiGatewayAccountRole: 'switchyard:apiGatewayAccountRole',
  /** The account's Lambda concurrency quota in the region (for the near-quota alarm). */
  accountConcurrencyQuota: 'switchyard:accountConcurrencyQuota',
} as const;

/**
 * The stack's region: `-c switchyard:region`, else AWS_REGION, else CDK_DEFAULT_REGION. Always set
 * explicitly on the stack (never left to the CLI's environment-agnostic default).
 */
export function stackRegion(contextValue: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return str(contextValue) ?? str(env.AWS_REGION) ?? str(env.CDK_DEFAULT_REGION);
}

/** Boolean context values arrive as `true` from cdk.json and as the string "true" from `-c`. */
export function flag(v: unknown): boolean {
  return v === true || (typeof v === 'string' && v.toLowerCase() === 'true');
}

export interface SwitchyardAppOptions {
  /**
   * Context for the App. The CDK CLI passes cdk.json's context itself; tests and scripts that build
   * the app in-process pass `cdkJsonContext()` so they synthesise what `cdk synth` would.
   */
  readonly context?: Record<string, unknown>;
  /** aws-cdk-lib's built-in CloudFormation validation (~9 s per synth). Default: unless CDK_VALIDATION=false. */
  readonly builtinValidation?: boolean;
  /** Register cdk-nag AwsSolutionsChecks as a validation plugin (synth fails on findings). Default true. */
  readonly nag?: boolean;
  /** Overrides for the stack props read from context. */
  readonly stackProps?: SwitchyardStackProps;
  readonly outdir?: string;
  /**
   * How the CDK CLI running this app was invoked, for the prod hotswap refusal. Default: read from
   * the process's ancestors (lib/hotswap-guard.ts); `null` when there is no CLI (tests, scripts).
   */
  readonly cdkInvocation?: CdkInvocation | null;
}

/** The Switchyard CDK app: one stack, cdk-nag AwsSolutions checks, settings from context. */
export function createSwitchyardApp(options: SwitchyardAppOptions = {}): { app: App; stack: SwitchyardStack } {
  const app = new App({
    context: options.context,
    outdir: options.outdir,
    builtinCloudFormationValidation: options.builtinValidation ?? process.env.CDK_VALIDATION !== 'false',
  });

  const ctx = (key: string): unknown => app.node.tryGetContext(key);
  if (ctx('switchyard:authorizerCacheTtlSeconds') !== undefined) {
    // One setting for the stack and the local emulator, so the two cannot disagree on revocation latency.
    throw new Error(
      'context switchyard:authorizerCacheTtlSeconds moved to the routing config: gateway.authorizerCacheTtlSeconds',
    );
  }
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = stackRegion(ctx(CONTEXT.region));
  const stage = str(ctx(CONTEXT.stage));
  // Before any bundling: a refused hotswap costs the operator one second, not a synth.
  refuseHotswapOfProd(
    stage,
    options.cdkInvocation === undefined ? detectCdkInvocation() : (options.cdkInvocation ?? undefined),
  );

  const stack = new SwitchyardStack(app, str(ctx(CONTEXT.stackName)) ?? STACK_NAME, {
    env: account || region ? { account, region } : undefined,
    stage,
    terminationProtection: stage === PROD_STAGE,
    waf: flag(ctx(CONTEXT.waf)),
    tracing: flag(ctx(CONTEXT.tracing)),
    apiGatewayAccountRole: flag(ctx(CONTEXT.apiGatewayAccountRole)),
    accountConcurrencyQuota: num(ctx(CONTEXT.accountConcurrencyQuota), CONTEXT.accountConcurrencyQuota),
    configPath: str(ctx(CONTEXT.configPath)) ?? DEFAULT_CONFIG_PATH,
    removalPolicy: removalPolicy(ctx(CONTEXT.removalPolicy)),
    throttleRateLimit: num(ctx(CONTEXT.throttleRateLimit), CONTEXT.throttleRateLimit),
    throttleBurstLimit: num(ctx(CONTEXT.throttleBurstLimit), CONTEXT.throttleBurstLimit),
    logRetention: retentionDays(ctx(CONTEXT.logRetentionDays)),
    webAclArn: str(ctx(CONTEXT.webAclArn)),
    regionalDomain: regionalDomainOptions({
      domainName: str(ctx(CONTEXT.domainName)),
      hostedZoneId: str(ctx(CONTEXT.hostedZoneId)),
      zoneName: str(ctx(CONTEXT.hostedZoneName)),
      certificateArn: str(ctx(CONTEXT.certificateArn)),
    }),
    alarmEmail: str(ctx(CONTEXT.alarmEmail)),
    alarmTopicArn: str(ctx(CONTEXT.alarmTopicArn)),
    breakerOpenAlarmMinutes: num(ctx(CONTEXT.breakerOpenAlarmMinutes), CONTEXT.breakerOpenAlarmMinutes),
    keyHeaderMode: str(ctx(CONTEXT.keyHeaderMode)) as SwitchyardStackProps['keyHeaderMode'],
    ...options.stackProps,
  });

  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

/** The `context` block of the repository's cdk.json (feature flags and switchyard:* defaults). */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function num(v: unknown, key: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`context ${key} must be a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}

/** CloudWatch Logs accepts only its listed retention periods; anything else would fail the deploy, not the synth. */
function retentionDays(v: unknown): logs.RetentionDays | undefined {
  const n = num(v, CONTEXT.logRetentionDays);
  if (n === undefined) return undefined;
  const allowed = Object.values(logs.RetentionDays).filter((d): d is number => typeof d === 'number');
  if (!allowed.includes(n)) {
    throw new Error(
      `context ${CONTEXT.logRetentionDays} must be one of ${allowed.sort((a, b) => a - b).join(', ')}; got ${JSON.stringify(v)}`,
    );
  }
  return n as logs.RetentionDays;
}

function removalPolicy(v: unknown): RemovalPolicy | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  switch (String(v).toLowerCase()) {
    case 'retain':
      return RemovalPolicy.RETAIN;
    case 'destroy':
      return RemovalPolicy.DESTROY;
    default:
      throw new Error(`context ${CONTEXT.removalPolicy} must be "retain" or "destroy", got ${JSON.stringify(v)}`);
  }
}
