import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { TRACING_ENV } from '../../functions/contracts/tracing';

/**
 * Opt-in tracing (`-c switchyard:tracing=true`) on one function: Lambda active tracing (X-Ray), the
 * permission to send segments, and SWITCHYARD_TRACING=true so the router opens one subsegment per
 * upstream attempt (functions/adapters/telemetry/powertools-tracing.ts). API Gateway's own tracing
 * is turned on for the stage in api.ts.
 */
export function enableTracing(fn: lambda.Function): void {
  (fn.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: 'Active' };
  fn.addEnvironment(TRACING_ENV, 'true');
  fn.addEnvironment('POWERTOOLS_TRACE_ENABLED', 'true');
  // Prompts and answers stay out of traces: Powertools would otherwise record the handler's result.
  fn.addEnvironment('POWERTOOLS_TRACER_CAPTURE_RESPONSE', 'false');
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'SendTraces',
      actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      resources: ['*'],
    }),
  );
  if (fn.role) {
    Validations.of(fn.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (X-Ray has no ' +
        'resource ARNs for segments); only present when tracing is turned on.',
    });
  }
}
