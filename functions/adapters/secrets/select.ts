import { createEnvSecretSource } from './env-source';
import { createSecretsManagerSource } from './secrets-manager-source';
import { PROVIDER_SECRETS_ENV, SECRETS_MODE_ENV, SECRETS_TTL_ENV } from '../../contracts/secret-specs';
import type { SecretSource } from '../../ports/secrets';
import { rememberSecret } from '../../core/telemetry/redact';

/**
 * Secrets Manager on AWS (the stack sets SWITCHYARD_SECRETS=secretsmanager and the provider ->
 * secret map), the environment (or `.env`) everywhere else.
 */
export function createSecretSource(env: NodeJS.ProcessEnv = process.env): SecretSource {
  return rememberingSecrets(chooseSecretSource(env));
}

/** Every key served is known to the redactor, so it is scrubbed from logs and errors whatever its shape. */
export function rememberingSecrets(source: SecretSource): SecretSource {
  return {
    async providerKey(provider, apiKeyRef) {
      const key = await source.providerKey(provider, apiKeyRef);
      rememberSecret(key);
      return key;
    },
  };
}

function chooseSecretSource(env: NodeJS.ProcessEnv): SecretSource {
  const mode = env[SECRETS_MODE_ENV] ?? 'env';
  if (mode === 'env') return createEnvSecretSource(env);
  if (mode !== 'secretsmanager')
    throw new Error(`${SECRETS_MODE_ENV} must be "env" or "secretsmanager"; got "${mode}"`);
  let secretIds: Record<string, string>;
  try {
    secretIds = JSON.parse(env[PROVIDER_SECRETS_ENV] ?? '{}');
  } catch {
    throw new Error(`${PROVIDER_SECRETS_ENV} must be a JSON object of provider name -> secret id`);
  }
  const ttl = Number(env[SECRETS_TTL_ENV]);
  return createSecretsManagerSource({ secretIds, ttlMs: Number.isFinite(ttl) && ttl > 0 ? ttl : undefined });
}
