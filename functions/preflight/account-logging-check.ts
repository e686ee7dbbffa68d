/**
 * The deploy-time check that API Gateway's account-level CloudWatch Logs role is set, run as a
 * CloudFormation custom resource before the API stage. Without the role the stage fails with
 * "CloudWatch Logs role ARN must be set in account settings to enable logging", which does not say
 * what to do about it; this check fails first, with the two ways out.
 *
 * A check that cannot run (no permission, API Gateway unreachable) does not block the deploy: it
 * reports success with `Checked: false`, and CloudFormation's own error still stands behind it.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { LogFn } from '../ports/telemetry';

export interface AccountLoggingCheckDeps {
  /** API Gateway's GetAccount `cloudwatchRoleArn` in this region (undefined or '' when unset). */
  cloudWatchRoleArn(): Promise<string | undefined>;
  /** PUT the response document to the pre-signed ResponseURL. */
  respond(url: string, body: string): Promise<void>;
  region: string;
  log: LogFn;
}

export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

export function missingRoleReason(region: string): string {
  return (
    `API Gateway in ${region} has no CloudWatch Logs role (account setting cloudwatchRoleArn), so the stage's ` +
    'access logs cannot be turned on. Either set it once for this account and region (docs/operations/deploy.md, ' +
    '"The API Gateway logging role by hand"), or let one stack per account and region own it: redeploy with ' +
    '-c switchyard:apiGatewayAccountRole=true.'
  );
}

/** Runs the check for one custom resource event and always answers CloudFormation. */
export async function runAccountLoggingCheck(
  event: CloudFormationCustomResourceEvent,
  deps: AccountLoggingCheckDeps,
): Promise<CustomResourceResponse> {
  const base = {
    PhysicalResourceId:
      'PhysicalResourceId' in event ? event.PhysicalResourceId : `api-gateway-account-logging-${deps.region}`,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  };
  let response: CustomResourceResponse;
  if (event.RequestType === 'Delete') {
    response = { ...base, Status: 'SUCCESS' };
  } else {
    let roleArn: string | undefined;
    let readError: unknown;
    try {
      roleArn = await deps.cloudWatchRoleArn();
    } catch (err) {
      readError = err;
    }
    if (readError !== undefined) {
      deps.log('error', 'could not read the API Gateway account settings; not blocking the deploy', {
        error: readError instanceof Error ? readError.name : String(readError),
      });
      response = { ...base, Status: 'SUCCESS', Data: { Checked: 'false' } };
    } else if (roleArn) {
      response = { ...base, Status: 'SUCCESS', Data: { Checked: 'true', CloudWatchRoleArn: roleArn } };
    } else {
      response = { ...base, Status: 'FAILED', Reason: missingRoleReason(deps.region) };
    }
  }
  try {
    await deps.respond(event.ResponseURL, JSON.stringify(response));
  } catch (err) {
    // Nothing else can tell CloudFormation; it will time the resource out. Say so in the logs.
    deps.log('error', 'could not send the custom resource response', {
      error: err instanceof Error ? err.message : String(err),
    });
    throw err;
  }
  deps.log('info', 'api gateway account logging check', { status: response.Status, data: response.Data });
  return response;
}
