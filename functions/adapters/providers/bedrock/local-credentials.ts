/**
 * Placeholder credentials for the local Bedrock simulator, chosen by the local runtime through
 * SWITCHYARD_BEDROCK_SIMULATED=1. On AWS the variable is unset and the SDK takes the function
 * role's credentials (or the provider's roleArn), so nothing here can weaken a deployed gateway.
 */
export const BEDROCK_SIMULATED_ENV = 'SWITCHYARD_BEDROCK_SIMULATED';

export function bedrockCredentialsFrom(
  env: NodeJS.ProcessEnv,
): { accessKeyId: string; secretAccessKey: string } | undefined {
  return env[BEDROCK_SIMULATED_ENV] === '1' ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined;
}
