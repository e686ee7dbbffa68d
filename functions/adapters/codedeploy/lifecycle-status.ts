/** Tells CodeDeploy how a lifecycle hook went; the deployment waits for this call. */
import { PutLifecycleEventHookExecutionStatusCommand, type CodeDeployClient } from '@aws-sdk/client-codedeploy';

export function createLifecycleReporter(client: Pick<CodeDeployClient, 'send'>) {
  return async (
    deploymentId: string,
    lifecycleEventHookExecutionId: string,
    status: 'Succeeded' | 'Failed',
  ): Promise<void> => {
    await client.send(
      new PutLifecycleEventHookExecutionStatusCommand({ deploymentId, lifecycleEventHookExecutionId, status }),
    );
  };
}
