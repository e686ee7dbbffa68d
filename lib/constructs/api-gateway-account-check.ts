import { CustomResource, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SwitchyardFunction } from './node-function';

export interface ApiGatewayAccountCheckProps {
  /** The stage whose access logs need the account's API Gateway CloudWatch Logs role. */
  readonly stage: apigateway.Stage;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The preflight for a stack that does not own the account's API Gateway CloudWatch Logs role (the
 * default): a custom resource, created before the stage, that fails the deploy with instructions
 * when the role is not set (functions/preflight). Its function may read API Gateway's account
 * settings in this region and nothing else; CloudFormation invokes it once per create or update.
 */
export class ApiGatewayAccountCheck extends Construct {
  readonly function: lambda.Function;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ApiGatewayAccountCheckProps) {
    super(scope, id);
    const fn = new SwitchyardFunction(this, 'Check', {
      entry: 'functions/preflight/handler.ts',
      description: "Switchyard preflight: fails the deploy with instructions when API Gateway's logging role is unset",
      memorySize: 128,
      timeout: Duration.seconds(30),
      environment: {},
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.function = fn.function;
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadApiGatewayAccount',
        actions: ['apigateway:GET'],
        resources: [`arn:${Stack.of(this).partition}:apigateway:${Stack.of(this).region}::/account`],
      }),
    );
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.functionArn,
      resourceType: 'Custom::ApiGatewayAccountLogging',
    });
    props.stage.node.addDependency(this.resource);
  }
}
