/**
 * How the router finds upstream provider keys on AWS, declared once for the stack (lib/ sets these
 * variables) and the router (reads them). One secret per provider with an `apiKeyRef`.
 */

/** `secretsmanager` on AWS; unset or `env` locally (keys from the environment / `.env`). */
export const SECRETS_MODE_ENV = 'SWITCHYARD_SECRETS';
/** JSON object: provider name -> secret ARN (or name). */
export const PROVIDER_SECRETS_ENV = 'SWITCHYARD_PROVIDER_SECRETS';
/** How long a fetched key is used before it is read again; a rotated key is live within this. */
export const SECRETS_TTL_ENV = 'SWITCHYARD_SECRETS_TTL_MS';
export const DEFAULT_SECRETS_TTL_MS = 5 * 60_000;

/** Secret names are predictable so operators can set them: `<stack>/providers/<provider>`. */
export function providerSecretName(stackName: string, provider: string): string {
  return `${stackName}/providers/${provider}`;
}

/**
 * What the stack writes as the initial value: no key at all, but recognisably "not set yet".
 * Operators replace it with the plain key or `{"apiKey":"..."}`.
 */
export const UNSET_SECRET_TEMPLATE = '{"apiKey":""}';
