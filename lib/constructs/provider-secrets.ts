import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  DEFAULT_SECRETS_TTL_MS,
  PROVIDER_SECRETS_ENV,
  SECRETS_MODE_ENV,
  SECRETS_TTL_ENV,
  UNSET_SECRET_TEMPLATE,
} from '../../functions/contracts/secret-specs';

export interface ProviderSecretsProps {
  /** Providers of the routing config that need a key (those with an `apiKeyRef`). */
  readonly providers: readonly string[];
  readonly removalPolicy: RemovalPolicy;
  /** How long a function uses a fetched key before reading the secret again. @default 5 minutes */
  readonly cacheTtl?: Duration;
}

/**
 * One Secrets Manager secret per upstream provider. The template holds no key: each secret starts
 * as `{"apiKey":""}` (plus a generated filler field), and operators put the real key in with
 * `aws secretsmanager put-secret-value`. Functions read the secrets through a TTL cache, so a new
 * value is in use within `cacheTtl` without a deploy.
 *
 * Names are left to CloudFormation (a retained secret with a fixed name would block re-creating
 * the stack); the stack outputs the provider -> ARN map.
 */
export class ProviderSecrets extends Construct {
  readonly secrets: ReadonlyMap<string, secretsmanager.Secret>;
  readonly cacheTtl: Duration;

  constructor(scope: Construct, id: string, props: ProviderSecretsProps) {
    super(scope, id);
    this.cacheTtl = props.cacheTtl ?? Duration.millis(DEFAULT_SECRETS_TTL_MS);
    const secrets = new Map<string, secretsmanager.Secret>();
    const ids = new Set<string>();
    for (const provider of [...new Set(props.providers)].sort()) {
      let id = constructIdFor(provider);
      for (let n = 2; ids.has(id); n++) id = `${constructIdFor(provider)}${n}`;
      ids.add(id);
      const secret = new secretsmanager.Secret(this, id, {
        description: `Switchyard: API key of upstream provider "${provider}" (value: the key, or {"apiKey":"..."})`,
        generateSecretString: { secretStringTemplate: UNSET_SECRET_TEMPLATE, generateStringKey: 'unsetPlaceholder' },
        removalPolicy: props.removalPolicy,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The value is an API key issued by the upstream provider; it is rotated at the provider and written here ' +
          'with put-secret-value (functions pick it up within the cache TTL). A rotation Lambda cannot mint provider keys.',
      });
      secrets.set(provider, secret);
    }
    this.secrets = secrets;
  }

  secretFor(provider: string): secretsmanager.Secret {
    const secret = this.secrets.get(provider);
    if (!secret) throw new Error(`no provider secret for "${provider}"`);
    return secret;
  }

  /** Provider name -> secret ARN (a token; JSON-encoded for environment variables and outputs). */
  arnMapJson(): string {
    return Stack.of(this).toJsonString(Object.fromEntries([...this.secrets].map(([p, s]) => [p, s.secretArn])));
  }

  /** What a function needs to read the keys: the mode, the provider -> secret map and the TTL. */
  environment(): Record<string, string> {
    return {
      [SECRETS_MODE_ENV]: 'secretsmanager',
      [PROVIDER_SECRETS_ENV]: this.arnMapJson(),
      [SECRETS_TTL_ENV]: String(this.cacheTtl.toMilliseconds()),
    };
  }

  /** Lets `fn` read exactly these secrets (GetSecretValue, DescribeSecret) and tells it where they are. */
  attachTo(fn: lambda.Function): void {
    for (const secret of this.secrets.values()) secret.grantRead(fn);
    for (const [name, value] of Object.entries(this.environment())) fn.addEnvironment(name, value);
  }
}

/** `deepseek` -> `DeepseekKey`, `my-vllm` -> `MyVllmKey`. */
function constructIdFor(provider: string): string {
  const words = provider.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const stem = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('') || 'Provider';
  return `${stem}Key`;
}
