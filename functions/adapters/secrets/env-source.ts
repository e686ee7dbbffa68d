import type { SecretSource } from '../../ports/secrets';

/** Local runtime: the key is the environment variable named by the provider's `apiKeyRef`. */
export function createEnvSecretSource(env: NodeJS.ProcessEnv = process.env): SecretSource {
  return {
    async providerKey(_provider, apiKeyRef) {
      return apiKeyRef ? env[apiKeyRef] || undefined : undefined;
    },
  };
}
