import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { keyHeaderSpec, type KeyHeaderMode } from '../../functions/core/key-headers';
import {
  DEEP_HEALTH_PATH,
  SHALLOW_HEALTH_BODY,
  SHALLOW_HEALTH_PATH,
  SHALLOW_HEALTH_THROTTLE,
} from '../../functions/contracts/health';
import { ApiGatewayAccountCheck } from './api-gateway-account-check';
import { addOpenAiGatewayResponses } from './gateway-responses';
import { SwitchyardWebAcl, type WebAclOptions } from './web-acl';

export const STAGE_NAME = 'prod';

/**
 * API Gateway's ceiling for a streamed integration (buffered ones stop at 29 s unless raised by a
 * quota request). Matches the router's 900 s Lambda timeout.
 */
export const STREAMING_INTEGRATION_TIMEOUT = Duration.minutes(15);

export interface SwitchyardApiProps {
  /** The router's `live` alias: every method integrates with it, with response streaming. */
  readonly router: lambda.IFunction;
  /** The REQUEST authorizer function (virtual keys). */
  readonly authorizerFunction: lambda.IFunction;
  /**
   * Serves `/v1/admin/keys...` and `/v1/admin/cutover` instead of the router (lib/constructs/
   * admin-function.ts: the only role that may write key records). @default - the router serves them
   */
  readonly adminFunction?: lambda.IFunction;
  /** How long API Gateway caches an authorizer decision per Authorization header. */
  readonly authorizerCacheTtl: Duration;
  /**
   * Where clients may send the key (functions/core/key-headers.ts). `authorization`: identity source
   * Authorization, API Gateway caches decisions. `authorization-or-x-api-key`: no identity source and
   * API Gateway's cache off (the authorizer caches key records itself). @default 'authorization'
   */
  readonly keyHeaderMode?: KeyHeaderMode;
  /** Stage-wide steady-state requests per second: the outer guard before per-key limits. */
  readonly throttleRateLimit: number;
  /** Stage-wide burst (token bucket size). */
  readonly throttleBurstLimit: number;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Optional regional WAFv2 web ACL to associate with the stage. */
  readonly webAclArn?: string;
  /** Create and associate the stack's own web ACL (lib/constructs/web-acl.ts). Ignored with webAclArn. */
  readonly waf?: WebAclOptions | false;
  /** Turn on API Gateway X-Ray tracing for the stage. @default false */
  readonly tracing?: boolean;
  /**
   * Create the account's API Gateway CloudWatch Logs role (AWS::ApiGateway::Account, a per-account
   * and per-region singleton): for one stack per account and region only. @default false: a
   * deploy-time check (ApiGatewayAccountCheck) fails the deploy with instructions when it is unset
   */
  readonly accountRole?: boolean;
}

/**
 * The public REST API, OpenAI's URL layout under `/v1`:
 *
 *   POST /v1/chat/completions   (authorizer)
 *   POST /v1/embeddings         (authorizer)
 *   POST /v1/messages, /v1/messages/count_tokens, /v1/responses   (authorizer; Anthropic Messages, OpenAI Responses)
 *   GET  /v1/models             (authorizer)
 *   GET  /v1/stats              (authorizer, admin keys)
 *   GET  /health/deep           (authorizer, admin keys)
 *   /v1/admin/keys..., GET /v1/admin/cutover   (authorizer, admin keys; the admin function when given)
 *   GET  /v1/admin/state, /v1/admin/requests   (authorizer, admin keys)
 *   GET  /health                (no authorizer: a MOCK integration, no Lambda, its own throttle)
 *
 * Every other method is a Lambda proxy integration on the router alias with response streaming (the
 * admin function's are plain buffered proxy integrations),
 * because the router is a streamified handler for every route. Compression stays off (`minCompressionSize`
 * unset): compressing would make API Gateway buffer the stream.
 */
export class SwitchyardApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly authorizer: apigateway.RequestAuthorizer;
  readonly accessLogs: logs.LogGroup;
  /** Base URL clients give the OpenAI SDK: `https://.../prod/v1`. */
  readonly baseUrl: string;
  readonly methods: {
    readonly chatCompletions: apigateway.Method;
    readonly embeddings: apigateway.Method;
    readonly messages: apigateway.Method;
    readonly countTokens: apigateway.Method;
    readonly responses: apigateway.Method;
    readonly models: apigateway.Method;
    readonly model: apigateway.Method;
    readonly stats: apigateway.Method;
    readonly health: apigateway.Method;
    readonly deepHealth: apigateway.Method;
  };
  /** `/v1/admin/...` (admin keys: the authorizer denies them to others) and the console's public static files. */
  readonly adminMethods: apigateway.Method[];
  /** The admin methods integrated with the admin function (a subset of `adminMethods`). */
  readonly adminFunctionMethods: apigateway.Method[];
  readonly consoleMethods: apigateway.Method[];
  /** The stack's own web ACL, when `waf` is on and no `webAclArn` is given. */
  readonly webAcl?: SwitchyardWebAcl;
  /** The deploy-time check for the account's logging role, when the stack does not create it. */
  readonly accountCheck?: ApiGatewayAccountCheck;

  constructor(scope: Construct, id: string, props: SwitchyardApiProps) {
    super(scope, id);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: 'switchyard',
      description: 'Switchyard: OpenAI-compatible LLM gateway',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Access logs (below), like execution logs, need the account's API Gateway CloudWatch Logs role
      // (`aws apigateway get-account`): a per-account, per-region singleton this stack must not own.
      // Without it the stage fails to deploy ("CloudWatch Logs role ARN must be set in account
      // settings to enable logging"); the README's Deploy section shows the one-time setup.
      cloudWatchRole: props.accountRole ?? false,
      ...(props.accountRole ? { cloudWatchRoleRemovalPolicy: props.removalPolicy } : {}),
      deployOptions: {
        stageName: STAGE_NAME,
        throttlingRateLimit: props.throttleRateLimit,
        throttlingBurstLimit: props.throttleBurstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: accessLogFormat(),
        tracingEnabled: props.tracing ?? false,
        // Anonymous GET /health has its own token bucket: a flood of it is throttled there and
        // never eats the stage's capacity that every key shares.
        methodOptions: {
          [`${SHALLOW_HEALTH_PATH}/GET`]: {
            throttlingRateLimit: SHALLOW_HEALTH_THROTTLE.rateLimit,
            throttlingBurstLimit: SHALLOW_HEALTH_THROTTLE.burstLimit,
          },
        },
      },
    });
    // RestApi adds an `Endpoint` output (the stage URL, without /v1); the stack outputs ApiUrl instead.
    this.api.node.tryRemoveChild('Endpoint');
    addOpenAiGatewayResponses(this.api);

    const keySpec = keyHeaderSpec(props.keyHeaderMode);
    this.authorizer = new apigateway.RequestAuthorizer(this, 'KeyAuthorizer', {
      authorizerName: 'switchyard-virtual-keys',
      handler: props.authorizerFunction,
      identitySources: keySpec.identityHeaders.map((h) => apigateway.IdentitySource.header(h)),
      resultsCacheTtl: keySpec.apiGatewayCache ? props.authorizerCacheTtl : Duration.seconds(0),
    });
    if (keySpec.identityHeaders.length === 0) {
      // CDK writes an empty string; leave the property out, as API Gateway expects without a cache.
      (this.authorizer.node.defaultChild as apigateway.CfnAuthorizer).addPropertyDeletionOverride('IdentitySource');
    }

    const integration = new apigateway.LambdaIntegration(props.router, {
      proxy: true,
      responseTransferMode: apigateway.ResponseTransferMode.STREAM,
      timeout: STREAMING_INTEGRATION_TIMEOUT,
      // The console's test-invoke does not stream; one invoke permission per method is enough.
      allowTestInvoke: false,
    });
    const withKey: apigateway.MethodOptions = {
      authorizer: this.authorizer,
      authorizationType: apigateway.AuthorizationType.CUSTOM,
    };

    const v1 = this.api.root.addResource('v1');
    const models = v1.addResource('models');
    const messages = v1.addResource('messages');
    const health = this.api.root.addResource(SHALLOW_HEALTH_PATH.slice(1));
    this.methods = {
      chatCompletions: v1.addResource('chat').addResource('completions').addMethod('POST', integration, withKey),
      embeddings: v1.addResource('embeddings').addMethod('POST', integration, withKey),
      messages: messages.addMethod('POST', integration, withKey),
      countTokens: messages.addResource('count_tokens').addMethod('POST', integration, withKey),
      responses: v1.addResource('responses').addMethod('POST', integration, withKey),
      models: models.addMethod('GET', integration, withKey),
      // `{model+}`: ids may contain `/` (e.g. `meta/llama-3.3`).
      model: models.addResource('{model+}').addMethod('GET', integration, withKey),
      stats: v1.addResource('stats').addMethod('GET', integration, withKey),
      // Liveness of this region's API, answered by API Gateway itself: no router invocation, so
      // anonymous callers cannot spend router capacity (or Lambda concurrency) through it.
      health: health.addMethod(
        'GET',
        new apigateway.MockIntegration({
          passthroughBehavior: apigateway.PassthroughBehavior.NEVER,
          requestTemplates: { 'application/json': '{"statusCode": 200}' },
          integrationResponses: [
            {
              statusCode: '200',
              responseTemplates: { 'application/json': JSON.stringify(SHALLOW_HEALTH_BODY) },
            },
          ],
        }),
        {
          authorizationType: apigateway.AuthorizationType.NONE,
          methodResponses: [{ statusCode: '200' }],
        },
      ),
      deepHealth: health.addResource(DEEP_HEALTH_PATH.split('/').pop()!).addMethod('GET', integration, withKey),
    };
    this.baseUrl = this.api.urlForPath('/v1');

    const admin = v1.addResource('admin');
    const adminKeys = admin.addResource('keys');
    const adminKey = adminKeys.addResource('{proxy+}');
    // Key administration and the cutover view go to the admin function when there is one: small
    // buffered JSON answers (no streaming), its own role. State and requests stay on the router.
    const adminIntegration = props.adminFunction
      ? new apigateway.LambdaIntegration(props.adminFunction, { proxy: true, allowTestInvoke: false })
      : integration;
    const keysAndCutover = [
      adminKeys.addMethod('GET', adminIntegration, withKey),
      adminKeys.addMethod('POST', adminIntegration, withKey),
      ...['GET', 'PATCH', 'POST'].map((m) => adminKey.addMethod(m, adminIntegration, withKey)),
      admin.addResource('cutover').addMethod('GET', adminIntegration, withKey),
    ];
    this.adminMethods = [
      ...keysAndCutover,
      ...['state', 'requests'].map((r) => admin.addResource(r).addMethod('GET', integration, withKey)),
    ];
    this.adminFunctionMethods = props.adminFunction ? keysAndCutover : [];
    // The console: static files with no data need no key (a browser cannot send a Bearer header on a
    // page load); every data call the page makes goes to an admin-only endpoint above or /v1/stats.
    const consoleRoot = this.api.root.addResource('console');
    const publicAccess = { authorizationType: apigateway.AuthorizationType.NONE };
    this.consoleMethods = [
      consoleRoot.addMethod('GET', integration, publicAccess),
      ...['app.js', 'app.css'].map((f) => consoleRoot.addResource(f).addMethod('GET', integration, publicAccess)),
    ];

    let webAclArn = props.webAclArn;
    if (!webAclArn && props.waf) {
      this.webAcl = new SwitchyardWebAcl(this, 'Waf', props.waf);
      webAclArn = this.webAcl.acl.attrArn;
    }
    if (webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'WebAcl', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn,
      });
    }

    if (!props.accountRole) {
      this.accountCheck = new ApiGatewayAccountCheck(this, 'AccountLoggingCheck', {
        stage: this.api.deploymentStage,
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });
    }

    this.acknowledgeNagFindings(Boolean(webAclArn));
  }

  private acknowledgeNagFindings(hasWaf: boolean): void {
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Bodies are validated by the router (zod) so errors keep the OpenAI shape and unknown OpenAI fields pass ' +
        'through; an API Gateway model would reject them with its own error format.',
    });
    const accountRole = this.api.node.tryFindChild('CloudWatchRole');
    if (accountRole) {
      Validations.of(accountRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "The account-level role API Gateway assumes to write every API's logs in this account and region (opt-in, " +
          '-c switchyard:apiGatewayAccountRole=true); AWS documents this managed policy for exactly that role.',
      });
    }
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG6',
      reason:
        'Execution logs would record authorizer and integration traces at high volume; JSON access logs record ' +
        'every request and the router logs every decision. (Both kinds need the account-level API Gateway ' +
        'CloudWatch role, which the stack does not own: see README, Deploy.)',
    });
    if (!hasWaf) {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'WAF is optional (stack prop webAclArn); without it the stage throttle, the authorizer (only known keys ' +
          'pass) and the per-key rate limits in the router are the abuse guard.',
      });
    }
    for (const method of [...Object.values(this.methods), ...this.adminMethods, ...this.consoleMethods]) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason:
          'Clients are OpenAI SDKs that send "Authorization: Bearer <virtual key>"; a Lambda REQUEST authorizer ' +
          'checks the hashed key in DynamoDB. Cognito user pools do not fit API-key clients.',
      });
    }
    for (const method of this.consoleMethods) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'The operator console page and its script and stylesheet are public static files with no data; every data ' +
          'call the page makes needs an admin key (the key cannot ride on a page load).',
      });
    }
    Validations.of(this.methods.health).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'GET /health is a deliberately public liveness probe answered by a MOCK integration (no Lambda, a constant ' +
        'body, its own method throttle); the deep view is GET /health/deep behind the authorizer.',
    });
  }
}

/** One JSON object per request; never the Authorization header or bodies. */
function accessLogFormat(): apigateway.AccessLogFormat {
  const F = apigateway.AccessLogField;
  return apigateway.AccessLogFormat.custom(
    JSON.stringify({
      requestId: F.contextRequestId(),
      requestTime: F.contextRequestTimeEpoch(),
      ip: F.contextIdentitySourceIp(),
      userAgent: F.contextIdentityUserAgent(),
      method: F.contextHttpMethod(),
      path: F.contextResourcePath(),
      status: F.contextStatus(),
      responseLength: F.contextResponseLength(),
      responseLatency: F.contextResponseLatency(),
      integrationStatus: F.contextIntegrationStatus(),
      integrationLatency: F.contextIntegrationLatency(),
      principalId: F.contextAuthorizerPrincipalId(),
      authorizerLatency: F.contextAuthorizerIntegrationLatency(),
      authorizerError: F.contextAuthorizeError(),
      errorType: F.contextErrorResponseType(),
      errorMessage: F.contextErrorMessage(),
    }),
  );
}
