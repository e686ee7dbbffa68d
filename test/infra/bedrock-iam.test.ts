/**
 * Bedrock least privilege: the router and the health check may invoke exactly the models and
 * inference profiles the config names (with the foundation-model ARNs each profile routes to), and
 * assume exactly the configured cross-account roles. Nothing more, nothing without Bedrock.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import defaultConfig from '../../config/switchyard.json';
import { bedrockGrants, GEO_DESTINATIONS } from '../../functions/contracts/bedrock-grants';
import { type Resources, stackBuilder } from '../helpers/synth';

const { build, outRoot } = stackBuilder('switchyard-bedrock-iam-');
const ACCOUNT = '123456789012';

/** A policy resource string with the partition and account tokens filled in. */
function resolve(v: unknown): string {
  if (typeof v === 'string') return v;
  const join = (v as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`unexpected resource ${JSON.stringify(v)}`);
  return join[1]
    .map((p) => {
      if (typeof p === 'string') return p;
      const ref = (p as { Ref?: string }).Ref;
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::AccountId') return ACCOUNT;
      throw new Error(`unexpected token ${JSON.stringify(p)}`);
    })
    .join('');
}

/** Statements with `sid` in the policies attached to roles whose logical id contains `roleHint`. */
function statements(
  resources: Resources,
  sid: string,
): Array<{ policy: string; actions: string[]; resources: string[] }> {
  const out: Array<{ policy: string; actions: string[]; resources: string[] }> = [];
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    for (const s of r.Properties.PolicyDocument.Statement as any[]) {
      if (s.Sid !== sid) continue;
      const list = (x: unknown) => (Array.isArray(x) ? x : [x]);
      out.push({ policy: id, actions: list(s.Action), resources: list(s.Resource).map(resolve).sort() });
    }
  }
  return out;
}

/** Every statement anywhere that mentions a bedrock: or sts:AssumeRole action. */
function allBedrockActions(resources: Resources): string[] {
  const found: string[] = [];
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::Role') continue;
    const docs =
      r.Type === 'AWS::IAM::Policy'
        ? [r.Properties.PolicyDocument]
        : (r.Properties.Policies ?? []).map((p: any) => p.PolicyDocument);
    for (const d of docs)
      for (const s of d.Statement)
        for (const a of Array.isArray(s.Action) ? s.Action : [s.Action])
          if (String(a).startsWith('bedrock:') || a === 'sts:AssumeRole') found.push(`${s.Sid ?? '-'}:${a}`);
  }
  return found;
}

describe('Bedrock IAM from the default config', () => {
  const expected = [
    // Nova Pro in the provider's region.
    'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0',
    // Claude through the global profile: the profile, the model in the source region, the region-less model.
    `arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0`,
    'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
    'arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
    // Titan Text Embeddings V2.
    'arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0',
  ].sort();

  it('computes exactly the configured ARNs', () => {
    expect(bedrockGrants(defaultConfig, 'aws', ACCOUNT)).toEqual({ invokeResources: expected, assumeRoles: [] });
  });

  it('grants the router and the health check invoke on those ARNs only, and no AssumeRole', () => {
    const { resources } = build();
    const invoke = statements(resources, 'BedrockInvokeConfiguredModels');
    expect(invoke).toHaveLength(2);
    for (const s of invoke) {
      expect(s.actions.sort()).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']);
      expect(s.resources).toEqual(expected);
    }
    expect(invoke.map((s) => s.policy).join(' ')).toMatch(/Router.*HealthCheck|HealthCheck.*Router/);
    expect(statements(resources, 'BedrockAssumeConfiguredRoles')).toEqual([]);
    // No other statement anywhere mentions Bedrock or AssumeRole for these functions.
    expect(allBedrockActions(resources).filter((a) => !a.startsWith('BedrockInvokeConfiguredModels:'))).toEqual([]);
  });
});

describe('Bedrock IAM from a config with geographic profiles and a cross-account role', () => {
  const cfg = structuredClone(defaultConfig) as any;
  cfg.providers['bedrock-eu'] = { kind: 'bedrock', region: 'eu-west-1' };
  cfg.providers['bedrock-partner'] = {
    kind: 'bedrock',
    region: 'us-west-2',
    roleArn: 'arn:aws:iam::210987654321:role/switchyard-bedrock',
  };
  const claude = cfg.models.find((m: { id: string }) => m.id === 'claude-sonnet-4.5');
  claude.endpoints.push(
    { id: 'bedrock-eu-claude', provider: 'bedrock-eu', upstreamModel: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0' },
    {
      id: 'partner-claude',
      provider: 'bedrock-partner',
      upstreamModel: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    },
  );

  it('adds the EU profile and the model in every EU destination region; the partner role is assumed, not granted invoke', () => {
    const path = join(outRoot, 'geo.json');
    writeFileSync(path, JSON.stringify(cfg));
    const { resources } = build({ configPath: path });
    const [router] = statements(resources, 'BedrockInvokeConfiguredModels');
    const eu = [
      `arn:aws:bedrock:eu-west-1:${ACCOUNT}:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0`,
      ...GEO_DESTINATIONS.eu.map(
        (r) => `arn:aws:bedrock:${r}::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0`,
      ),
    ];
    for (const arn of eu) expect(router.resources).toContain(arn);
    // The partner account's role does the invoking: our role gets nothing in us-west-2 for it.
    expect(router.resources.some((a) => a.includes('us-west-2') || a.includes('us.anthropic'))).toBe(false);
    const assume = statements(resources, 'BedrockAssumeConfiguredRoles');
    expect(assume).toHaveLength(2);
    for (const s of assume) {
      expect(s.actions).toEqual(['sts:AssumeRole']);
      expect(s.resources).toEqual(['arn:aws:iam::210987654321:role/switchyard-bedrock']);
    }
  });

  it('grants nothing for Bedrock when the config has no Bedrock provider', () => {
    const plain = structuredClone(defaultConfig) as any;
    delete plain.providers.bedrock;
    plain.models = plain.models.filter((m: { endpoints: Array<{ provider: string }> }) =>
      m.endpoints.every((e) => e.provider !== 'bedrock'),
    );
    for (const m of plain.models) {
      m.endpoints = m.endpoints.filter((e: { provider: string }) => e.provider !== 'bedrock');
      m.fallbacks = m.fallbacks.filter((f: string) => plain.models.some((x: { id: string }) => x.id === f));
    }
    const claude2 = structuredClone(defaultConfig).models.find((m: { id: string }) => m.id === 'claude-sonnet-4.5')!;
    plain.models.splice(1, 0, { ...claude2, endpoints: claude2.endpoints.filter((e) => e.provider !== 'bedrock') });
    const path = join(outRoot, 'plain.json');
    writeFileSync(path, JSON.stringify(plain));
    const { resources } = build({ configPath: path });
    expect(allBedrockActions(resources)).toEqual([]);
  });
});
