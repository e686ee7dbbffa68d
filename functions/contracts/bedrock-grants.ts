/**
 * What the config asks of Amazon Bedrock, as IAM resources: the stack grants the router and the
 * health check `bedrock:InvokeModel` / `bedrock:InvokeModelWithResponseStream` on exactly these
 * ARNs, and `sts:AssumeRole` on exactly the configured role ARNs. Pure: lib/ passes the partition
 * and account (CloudFormation tokens there).
 *
 * - A model id (`amazon.nova-pro-v1:0`) is a foundation model in the provider's region.
 * - A geographic cross-region inference profile (`us.`, `eu.`, `apac.`, ...) needs the profile ARN
 *   in the source region and the foundation-model ARN in every destination region the profile may
 *   route to. The destination regions are not in the profile id; GEO_DESTINATIONS lists the ones
 *   AWS documents for those prefixes (union over the models, as of 2026-12): granting a region
 *   that a profile never routes to grants nothing usable, missing one fails calls routed there.
 * - A global profile (`global.`) needs the profile ARN, the foundation model in the source region,
 *   and the region-less foundation-model ARN (`arn:aws:bedrock:::foundation-model/...`) that
 *   global routing is authorised against.
 * - A full ARN is used as given (plus, for an inference profile ARN, the model ARNs above).
 * - An endpoint of a provider with `roleArn` is called with that role's credentials: the role in
 *   the other account needs the Bedrock permissions; the function only needs to assume it.
 */

export const GEO_DESTINATIONS: Record<string, readonly string[]> = {
  us: ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'],
  'us-gov': ['us-gov-east-1', 'us-gov-west-1'],
  ca: ['ca-central-1', 'ca-west-1'],
  eu: ['eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3'],
  apac: [
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-northeast-3',
    'ap-south-1',
    'ap-south-2',
    'ap-southeast-1',
    'ap-southeast-2',
    'ap-southeast-3',
    'ap-southeast-4',
  ],
  jp: ['ap-northeast-1', 'ap-northeast-3'],
  au: ['ap-southeast-2', 'ap-southeast-4'],
};

export interface BedrockGrants {
  /** Resources of the InvokeModel / InvokeModelWithResponseStream statement (sorted, unique). */
  invokeResources: string[];
  /** Roles the functions may assume (sorted, unique). */
  assumeRoles: string[];
}

interface RawConfig {
  providers?: Record<string, { kind?: unknown; region?: unknown; roleArn?: unknown }>;
  models?: Array<{ endpoints?: Array<{ provider?: unknown; upstreamModel?: unknown }> }>;
}

function modelArns(partition: string, region: string, account: string, id: string): string[] {
  const fm = (r: string, model: string) => `arn:${partition}:bedrock:${r}::foundation-model/${model}`;
  let profileId = id;
  const arns: string[] = [];
  if (id.startsWith('arn:')) {
    arns.push(id);
    const m = /^arn:[^:]+:bedrock:([^:]*):[^:]*:inference-profile\/(.+)$/.exec(id);
    if (!m) return arns;
    region = m[1] || region;
    profileId = m[2];
  }
  const dot = profileId.indexOf('.');
  const prefix = dot > 0 ? profileId.slice(0, dot) : '';
  const base = profileId.slice(dot + 1);
  const profileArn = `arn:${partition}:bedrock:${region}:${account}:inference-profile/${profileId}`;
  if (prefix === 'global') {
    if (!id.startsWith('arn:')) arns.push(profileArn);
    arns.push(fm(region, base), `arn:${partition}:bedrock:::foundation-model/${base}`);
  } else if (GEO_DESTINATIONS[prefix]) {
    if (!id.startsWith('arn:')) arns.push(profileArn);
    for (const r of GEO_DESTINATIONS[prefix]) arns.push(fm(r, base));
  } else if (!id.startsWith('arn:')) {
    arns.push(fm(region, profileId));
  }
  return arns;
}

export function bedrockGrants(config: unknown, partition: string, account: string): BedrockGrants {
  const cfg = (config ?? {}) as RawConfig;
  const providers = cfg.providers ?? {};
  const invoke = new Set<string>();
  const roles = new Set<string>();
  for (const p of Object.values(providers))
    if (p?.kind === 'bedrock' && typeof p.roleArn === 'string') roles.add(p.roleArn);
  for (const m of cfg.models ?? [])
    for (const e of m.endpoints ?? []) {
      const p = typeof e.provider === 'string' ? providers[e.provider] : undefined;
      if (p?.kind !== 'bedrock' || typeof p.region !== 'string' || typeof e.upstreamModel !== 'string') continue;
      if (typeof p.roleArn === 'string') continue;
      for (const arn of modelArns(partition, p.region, account, e.upstreamModel)) invoke.add(arn);
    }
  return { invokeResources: [...invoke].sort(), assumeRoles: [...roles].sort() };
}
