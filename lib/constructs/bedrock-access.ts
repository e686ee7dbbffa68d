import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { bedrockGrants } from '../../functions/contracts/bedrock-grants';

/**
 * Grants a function exactly the Bedrock access its bundled config names (see
 * functions/contracts/bedrock-grants.ts): invoke on the configured model and inference-profile
 * ARNs, AssumeRole on the configured cross-account roles. Nothing when the config has no Bedrock.
 */
export function grantConfiguredBedrock(scope: Construct, role: iam.IGrantable, configJson: string): void {
  const stack = Stack.of(scope);
  const grants = bedrockGrants(JSON.parse(configJson), stack.partition, stack.account);
  if (grants.invokeResources.length > 0)
    role.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'BedrockInvokeConfiguredModels',
        actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        resources: grants.invokeResources,
      }),
    );
  if (grants.assumeRoles.length > 0)
    role.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'BedrockAssumeConfiguredRoles',
        actions: ['sts:AssumeRole'],
        resources: grants.assumeRoles,
      }),
    );
}
