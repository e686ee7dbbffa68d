/**
 * Which provider secrets still hold only the stack's placeholder, from metadata alone: the stack
 * creates each secret with one version (`{"apiKey":""}`); `put-secret-value` adds a version. A
 * secret with a single version has therefore never been given a key. DescribeSecret returns no
 * secret value, so the pre-traffic hook may call it without being able to read any key.
 */
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export function createUnsetProviderProbe(
  client: Pick<SecretsManagerClient, 'send'>,
  secretArns: Record<string, string>,
): () => Promise<ReadonlySet<string>> {
  return async () => {
    const unset = new Set<string>();
    await Promise.all(
      Object.entries(secretArns).map(async ([provider, arn]) => {
        const res = await client.send(new DescribeSecretCommand({ SecretId: arn }));
        if (Object.keys(res.VersionIdsToStages ?? {}).length <= 1) unset.add(provider);
      }),
    );
    return unset;
  };
}
