/**
 * The Secrets Manager source with a fake Secrets Manager and a fake clock: TTL cache, rotation,
 * shared reads, stale keys on errors, and the env/Secrets Manager choice the router makes.
 */
import { createEnvSecretSource } from '../../functions/adapters/secrets/env-source';
import {
  createSecretsManagerSource,
  parseSecretValue,
  type SecretFetcher,
} from '../../functions/adapters/secrets/secrets-manager-source';
import { createSecretSource } from '../../functions/adapters/secrets/select';

function fakeSecretsManager(values: Record<string, string>) {
  const calls: string[] = [];
  let failing = false;
  const fetcher: SecretFetcher = {
    async getSecretString(id) {
      calls.push(id);
      await new Promise((r) => setImmediate(r));
      if (failing) throw Object.assign(new Error('boom'), { name: 'InternalServiceError' });
      if (!(id in values)) throw Object.assign(new Error('no such secret'), { name: 'ResourceNotFoundException' });
      return values[id];
    },
  };
  return { fetcher, calls, values, fail: (on: boolean) => (failing = on) };
}

describe('Secrets Manager secret source', () => {
  const secretIds = { openai: 'arn:secret:openai', deepseek: 'arn:secret:deepseek' };
  let clock: number;
  const now = () => clock;
  const logs: unknown[] = [];
  const log = (...args: unknown[]) => void logs.push(args);
  beforeEach(() => {
    clock = 1_000_000;
    logs.length = 0;
  });

  it('reads each secret once per TTL and uses a rotated value on the first request after it', async () => {
    const sm = fakeSecretsManager({ 'arn:secret:openai': 'sk-upstream-old' });
    const source = createSecretsManagerSource({ secretIds, ttlMs: 60_000, now, fetcher: sm.fetcher, log });
    expect(await source.providerKey('openai', 'OPENAI_API_KEY')).toBe('sk-upstream-old');

    sm.values['arn:secret:openai'] = 'sk-upstream-new'; // rotated in Secrets Manager
    clock += 59_999;
    expect(await source.providerKey('openai', 'OPENAI_API_KEY')).toBe('sk-upstream-old');
    expect(sm.calls).toHaveLength(1);

    clock += 1;
    expect(await source.providerKey('openai', 'OPENAI_API_KEY')).toBe('sk-upstream-new');
    expect(sm.calls).toEqual(['arn:secret:openai', 'arn:secret:openai']);
  });

  it('shares one read between concurrent callers', async () => {
    const sm = fakeSecretsManager({ 'arn:secret:openai': 'sk-upstream-1' });
    const source = createSecretsManagerSource({ secretIds, now, fetcher: sm.fetcher, log });
    const keys = await Promise.all(Array.from({ length: 20 }, () => source.providerKey('openai', undefined)));
    expect(new Set(keys)).toEqual(new Set(['sk-upstream-1']));
    expect(sm.calls).toHaveLength(1);
  });

  it('accepts the plain key or {"apiKey": ...}; the stack\'s unset placeholder means no key', async () => {
    expect(parseSecretValue('  sk-plain \n')).toBe('sk-plain');
    expect(parseSecretValue('{"apiKey":"sk-json"}')).toBe('sk-json');
    expect(parseSecretValue('{"apiKey":"","unsetPlaceholder":"Zx8..."}')).toBeUndefined();
    expect(parseSecretValue('')).toBeUndefined();
    expect(parseSecretValue(undefined)).toBeUndefined();
    expect(parseSecretValue('{not json')).toBe('{not json');

    const sm = fakeSecretsManager({ 'arn:secret:openai': '{"apiKey":"","unsetPlaceholder":"abc"}' });
    const source = createSecretsManagerSource({ secretIds, now, fetcher: sm.fetcher, log });
    expect(await source.providerKey('openai', undefined)).toBeUndefined();
    expect(JSON.stringify(logs)).toContain('provider secret has no key yet');
  });

  it('needs no secret for providers without one', async () => {
    const sm = fakeSecretsManager({});
    const source = createSecretsManagerSource({ secretIds, now, fetcher: sm.fetcher, log });
    expect(await source.providerKey('local-vllm', undefined)).toBeUndefined();
    expect(sm.calls).toEqual([]);
  });

  it('keeps serving the last key while Secrets Manager fails, and retries after a pause', async () => {
    const sm = fakeSecretsManager({ 'arn:secret:deepseek': 'sk-upstream-ds' });
    const source = createSecretsManagerSource({
      secretIds,
      ttlMs: 60_000,
      retryAfterErrorMs: 5_000,
      now,
      fetcher: sm.fetcher,
      log,
    });
    expect(await source.providerKey('deepseek', undefined)).toBe('sk-upstream-ds');
    sm.fail(true);
    clock += 60_000;
    expect(await source.providerKey('deepseek', undefined)).toBe('sk-upstream-ds');
    expect(await source.providerKey('deepseek', undefined)).toBe('sk-upstream-ds');
    expect(sm.calls).toHaveLength(2); // no read storm while it is down
    sm.fail(false);
    sm.values['arn:secret:deepseek'] = 'sk-upstream-ds-2';
    clock += 5_000;
    expect(await source.providerKey('deepseek', undefined)).toBe('sk-upstream-ds-2');
    // Errors are reported by name; never with a key in them.
    expect(JSON.stringify(logs)).not.toContain('sk-upstream');
  });

  it('fails with a clear message (and no value) when a secret cannot be read at all', async () => {
    const sm = fakeSecretsManager({});
    const source = createSecretsManagerSource({ secretIds, now, fetcher: sm.fetcher, log });
    await expect(source.providerKey('openai', undefined)).rejects.toThrow(
      "could not read the API key of provider 'openai' from Secrets Manager (ResourceNotFoundException)",
    );
  });
});

describe('secret source selection', () => {
  it('uses the environment by default and Secrets Manager when the stack says so', async () => {
    const local = createSecretSource({ OPENAI_API_KEY: 'sk-env' });
    expect(await local.providerKey('openai', 'OPENAI_API_KEY')).toBe('sk-env');
    expect(await createEnvSecretSource({}).providerKey('openai', 'OPENAI_API_KEY')).toBeUndefined();

    // The AWS source: built without touching AWS (the client is only created on the first read).
    const aws = createSecretSource({
      SWITCHYARD_SECRETS: 'secretsmanager',
      SWITCHYARD_PROVIDER_SECRETS: '{"openai":"arn:x"}',
      SWITCHYARD_SECRETS_TTL_MS: '1000',
    });
    expect(await aws.providerKey('anthropic', 'ANTHROPIC_API_KEY')).toBeUndefined();
    expect(() => createSecretSource({ SWITCHYARD_SECRETS: 'vault' })).toThrow(/"env" or "secretsmanager"/);
    expect(() =>
      createSecretSource({ SWITCHYARD_SECRETS: 'secretsmanager', SWITCHYARD_PROVIDER_SECRETS: '{' }),
    ).toThrow(/JSON object/);
  });
});
