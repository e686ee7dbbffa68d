import { createEnvSecretSource } from './env-source';
import { createSecretsManagerSource } from './secrets-manager-source';
import { PROVIDER_SECRETS_ENV, SECRETS_MODE_ENV, SECRETS_TTL_ENV } from '../../contracts/secret-specs';
import type { SecretSource } from '../../ports/secrets';

/**
 * Secrets Manager on AWS (the stack sets SWITCHYARD_SECRETS=secretsmanager and the provider ->
 * secret map), the environment (or `.env`) everywhere else.
 */
export function createSecretSource(env: NodeJS.ProcessEnv = process.env): SecretSource {
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
