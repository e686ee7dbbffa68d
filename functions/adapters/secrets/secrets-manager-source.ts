/**
 * Upstream provider keys from AWS Secrets Manager, one secret per provider, through a TTL cache:
 * each router instance reads a secret at most once per TTL, and a rotated key (a new secret value)
 * is in use everywhere within one TTL, with no redeploy.
 *
 * The secret value is the key itself, or JSON `{"apiKey":"..."}`. An empty key (the stack's
 * initial `{"apiKey":""}`) means "not set": the call goes out without credentials and the
 * upstream's 401 comes back as a 502 gateway configuration error.
 */
import { AWS_CLIENT_TIMEOUTS, requestHandlerWith } from '../aws/client-options';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_SECRETS_TTL_MS } from '../../contracts/secret-specs';
import type { SecretSource } from '../../ports/secrets';
import { jsonLogLine } from '../../core/telemetry/redact';

/** The one call the source needs, so tests can fake Secrets Manager without the SDK. */
export interface SecretFetcher {
  getSecretString(secretId: string): Promise<string | undefined>;
}

type Log = (level: 'warn', msg: string, fields: Record<string, unknown>) => void;

export interface SecretsManagerSourceOptions {
  /** Provider name -> secret id (ARN or name). Providers not listed need no key. */
  secretIds: Readonly<Record<string, string>>;
  ttlMs?: number;
  /** After a failed refresh, keep serving the last value and try again after this long. */
  retryAfterErrorMs?: number;
  now?: () => number;
  fetcher?: SecretFetcher;
  log?: Log;
}

export function secretsManagerFetcher(
  client: SecretsManagerClient = new SecretsManagerClient({
    maxAttempts: 2,
    ...requestHandlerWith(AWS_CLIENT_TIMEOUTS.secretsManager),
  }),
): SecretFetcher {
  return {
    async getSecretString(secretId) {
      const res = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      return res.SecretString;
    },
  };
}

/** The key in a secret value (plain string or `{"apiKey": "..."}`); undefined when empty. */
export function parseSecretValue(raw: string | undefined): string | undefined {
  const text = raw?.trim();
  if (!text) return undefined;
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { apiKey?: unknown };
      return typeof parsed.apiKey === 'string' && parsed.apiKey.trim() ? parsed.apiKey.trim() : undefined;
    } catch {
      // not JSON after all: the whole value is the key
    }
  }
  return text;
}

interface Entry {
  value: string | undefined;
  /** Epoch ms after which the secret is read again. */
  refreshAt: number;
  pending?: Promise<string | undefined>;
}

export function createSecretsManagerSource(opts: SecretsManagerSourceOptions): SecretSource {
  const ttl = opts.ttlMs ?? DEFAULT_SECRETS_TTL_MS;
  const retryMs = opts.retryAfterErrorMs ?? Math.min(ttl, 10_000);
  const now = opts.now ?? Date.now;
  const log: Log = opts.log ?? ((level, msg, fields) => console.warn(jsonLogLine(level, msg, fields)));
  let fetcher = opts.fetcher;
  const entries = new Map<string, Entry>();

  function refresh(provider: string, secretId: string, stale: Entry | undefined): Promise<string | undefined> {
    fetcher ??= secretsManagerFetcher();
    const pending = fetcher
      .getSecretString(secretId)
      .then((raw) => {
        const value = parseSecretValue(raw);
        if (value === undefined) log('warn', 'provider secret has no key yet', { provider, secretId });
        entries.set(provider, { value, refreshAt: now() + ttl });
        return value;
      })
      .catch((err: unknown) => {
        const error = String((err as Error)?.name ?? err);
        if (stale) {
          // Better the key we had than none while Secrets Manager is unreachable.
          log('warn', 'provider secret refresh failed; using the cached key', { provider, secretId, error });
          entries.set(provider, { value: stale.value, refreshAt: now() + retryMs });
          return stale.value;
        }
        entries.delete(provider);
        throw new Error(`could not read the API key of provider '${provider}' from Secrets Manager (${error})`);
      });
    // Concurrent callers share one read.
    entries.set(provider, { value: stale?.value, refreshAt: stale?.refreshAt ?? 0, pending });
    return pending;
  }

  return {
    async providerKey(provider) {
      const secretId = opts.secretIds[provider];
      if (!secretId) return undefined;
      const entry = entries.get(provider);
      if (entry?.pending) return entry.pending;
      if (entry && now() < entry.refreshAt) return entry.value;
      return refresh(provider, secretId, entry);
    },
  };
}
