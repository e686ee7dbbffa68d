/**
 * Security posture of the whole stack, checked on the synthesised template:
 *   (a) cdk-nag AwsSolutions: no unacknowledged error or warning, every acknowledgement scoped to a
 *       construct (never the app or the stack) and carrying a real reason;
 *   (b) least-privilege IAM: no `*` or service-wide wildcard action anywhere, DynamoDB statements
 *       name their actions and are scoped to the stack's table ARNs, `Resource: *` only where the
 *       action has no resource-level permissions, and then under a condition;
 *   (c) TLS only: the API is a REST API on HTTPS (no HTTP API, function URL or CloudFront with plain
 *       HTTP), the custom domain requires TLS 1.2, SNS topics and S3 buckets (if any) deny requests
 *       without aws:SecureTransport;
 *   (d) API Gateway access logs on the stage in JSON with requestId and status and without the key
 *       (no Authorization header, no API key, no request data trace);
 *   (e) request body size: the router's `gateway.maxBodyBytes` (413 in OpenAI's shape, through the
 *       local runtime) sits below API Gateway's own hard 10 MB payload limit, which the emulator
 *       answers 413 before the authorizer runs.
 *
 * Two stacks: the default one (what `cdk synth` deploys) and one with every optional part on (alarm
 * email topic, multi-region custom domain, WAF). Per-role action lists live in stack.test.ts,
 * keys-and-secrets.test.ts, health-check.test.ts and cutover.test.ts; this file sweeps everything.
 * Bundling is skipped (the code is not what these checks read), so each synth takes ~1 s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TABLE_SPECS } from '../../functions/contracts/table-specs';
import { compileConfig } from '../../functions/core/config/compile';
import type { SwitchyardStack, SwitchyardStackProps } from '../../lib/switchyard-stack';
import type { LocalGateway } from '../../local/gateway';
import { startTestGateway } from '../helpers/local-gateway';
import { idOf, type Resources, stackBuilder } from '../helpers/synth';

/** API Gateway REST APIs refuse payloads over 10 MB (a hard quota, not configurable). */
const API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const MIN_REASON_CHARS = 20;

const { build } = stackBuilder('switchyard-security-', { bundle: false });

interface Built {
  app: App;
  stack: SwitchyardStack;
  resources: Resources;
}

const EVERYTHING_ON: SwitchyardStackProps = {
  alarmEmail: 'oncall@example.com',
  regionalDomain: { domainName: 'llm.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' },
  webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/switchyard/abc',
  keyHeaderMode: 'authorization-or-x-api-key',
};

const ofType = (b: Built, type: string) => Object.entries(b.resources).filter(([, r]) => r.Type === type);
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every statement of every identity policy in the template (role policies, inline and managed). */
function identityStatements(b: Built): Array<{ where: string; s: any }> {
  const out: Array<{ where: string; s: any }> = [];
  for (const [id, r] of Object.entries(b.resources)) {
    const docs =
      r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy'
        ? [r.Properties.PolicyDocument]
        : r.Type === 'AWS::IAM::Role' || r.Type === 'AWS::IAM::User' || r.Type === 'AWS::IAM::Group'
          ? list(r.Properties.Policies).map((p: any) => p.PolicyDocument)
          : [];
    for (const doc of docs) for (const s of list(doc.Statement)) out.push({ where: `${id} ${s.Sid ?? ''}`.trim(), s });
  }
  return out;
}

/** Actions with no resource-level permissions, the only ones allowed on `Resource: *` (and only under a condition). */
const RESOURCELESS_ACTIONS = new Set(['cloudwatch:PutMetricData']);

describe.each([
  ['default stack', {} as SwitchyardStackProps],
  ['every optional part on', EVERYTHING_ON],
])('security: %s', (_name, props) => {
  let b: Built;
  beforeAll(() => {
    b = build(props);
  }, 60_000);

  describe('(a) cdk-nag AwsSolutions', () => {
    it('reports no unacknowledged error or warning for the whole app', () => {
      const report = new AwsSolutionsChecks().validateScope(b.app);
      const findings = report.violations.map(
        (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );
      expect(findings).toEqual([]);
    });

    it('acknowledges findings on the constructs concerned only, each with a reason', () => {
      const acks = b.app.node.findAll().flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((m) =>
            Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
              path: c.node.path,
              id,
              reason,
            })),
          ),
      );
      // The stack does acknowledge a few findings (WAF optional, Cognito for API-key clients, ...).
      expect(acks.length).toBeGreaterThan(0);
      for (const a of acks) {
        const where = `${a.id} @ ${a.path || '<app>'}`;
        // A blanket acknowledgement on the app or the stack would hide every future finding of that rule.
        expect({ where, scoped: a.path !== '' && a.path !== b.stack.node.path }).toEqual({ where, scoped: true });
        expect({
          where,
          reason:
            a.reason.trim().length >= MIN_REASON_CHARS &&
            !/^(todo|tbd|n\/?a|none|ok|fine|ignore)\b/i.test(a.reason.trim()),
        }).toEqual({ where, reason: true });
      }
    });
  });

  describe('(b) least-privilege IAM', () => {
    it('grants no `*` or service-wide wildcard action in any statement', () => {
      const statements = identityStatements(b);
      expect(statements.length).toBeGreaterThan(0);
      for (const { where, s } of statements) {
        for (const action of [...list(s.Action), ...list(s.NotAction)]) {
          expect({ where, action, wildcard: /\*/.test(String(action)) }).toEqual({ where, action, wildcard: false });
        }
        // NotAction / NotResource in an Allow grant everything else.
        if (s.Effect === 'Allow')
          expect({ where, not: s.NotAction ?? s.NotResource }).toEqual({ where, not: undefined });
      }
    });

    it('scopes every DynamoDB statement to explicit actions on the stack`s table ARNs', () => {
      const tableIds = new Set(ofType(b, 'AWS::DynamoDB::Table').map(([id]) => id));
      expect(tableIds.size).toBe(TABLE_SPECS.length);
      const dynamo = identityStatements(b).filter(({ s }) =>
        list(s.Action).some((a: string) => a.startsWith('dynamodb:')),
      );
      expect(dynamo.length).toBeGreaterThan(0);
      for (const { where, s } of dynamo) {
        for (const action of list<string>(s.Action))
          expect({ where, action }).toEqual({ where, action: expect.stringMatching(/^dynamodb:[A-Za-z]+$/) });
        for (const resource of list<any>(s.Resource)) {
          // { "Fn::GetAtt": ["<table>", "Arn"] }: a table of this stack, never "*" or a pattern.
          expect({ where, resource }).toEqual({ where, resource: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } });
          expect({ where, table: tableIds.has(resource['Fn::GetAtt'][0]) }).toEqual({ where, table: true });
        }
      }
    });

    it('uses `Resource: *` only for actions without resource-level permissions, under a condition', () => {
      for (const { where, s } of identityStatements(b)) {
        if (!list(s.Resource).includes('*')) continue;
        expect({
          where,
          actions: list<string>(s.Action).filter((a) => !RESOURCELESS_ACTIONS.has(a)),
          conditioned: s.Condition !== undefined,
        }).toEqual({
          where,
          actions: [],
          conditioned: true,
        });
      }
    });

    it('attaches no AWS managed policy to any role', () => {
      for (const [id, role] of ofType(b, 'AWS::IAM::Role'))
        expect({ id, managed: role.Properties.ManagedPolicyArns }).toEqual({ id, managed: undefined });
    });
  });

  describe('(c) TLS only', () => {
    it('serves clients through a REST API over HTTPS only: no HTTP API, function URL or plain-HTTP distribution', () => {
      expect(ofType(b, 'AWS::ApiGateway::RestApi')).toHaveLength(1);
      for (const type of [
        'AWS::ApiGatewayV2::Api',
        'AWS::Lambda::Url',
        'AWS::ElasticLoadBalancingV2::LoadBalancer',
        'AWS::CloudFront::Distribution',
      ]) {
        expect({ type, count: ofType(b, type).length }).toEqual({ type, count: 0 });
      }
      const url: unknown[] = Template.fromStack(b.stack).toJSON().Outputs.ApiUrl.Value['Fn::Join'][1];
      expect(url[0]).toBe('https://');
    });

    it('requires TLS 1.2 on every custom domain', () => {
      const domains = ofType(b, 'AWS::ApiGateway::DomainName');
      expect(domains).toHaveLength(props.regionalDomain ? 1 : 0);
      for (const [, d] of domains) expect(d.Properties.SecurityPolicy).toBe('TLS_1_2');
      // The Route 53 health check probes nothing over the network: it watches an alarm.
      for (const [, hc] of ofType(b, 'AWS::Route53::HealthCheck'))
        expect(hc.Properties.HealthCheckConfig.Type).toBe('CLOUDWATCH_METRIC');
    });

    it('makes every SNS topic and S3 bucket refuse requests without TLS (aws:SecureTransport)', () => {
      const denies = (policyType: string, targetKey: string, id: string) =>
        ofType(b, policyType).some(
          ([, p]) =>
            list(p.Properties[targetKey]).some(
              (t: any) => JSON.stringify(t) === JSON.stringify({ Ref: id }) || JSON.stringify(t).includes(`"${id}"`),
            ) &&
            list(p.Properties.PolicyDocument.Statement).some(
              (s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
            ),
        );
      const topics = ofType(b, 'AWS::SNS::Topic');
      expect(topics).toHaveLength(props.alarmEmail ? 1 : 0);
      for (const [id] of topics)
        expect({ id, tlsOnly: denies('AWS::SNS::TopicPolicy', 'Topics', id) }).toEqual({ id, tlsOnly: true });
      for (const [id] of ofType(b, 'AWS::S3::Bucket'))
        expect({ id, tlsOnly: denies('AWS::S3::BucketPolicy', 'Bucket', id) }).toEqual({ id, tlsOnly: true });
    });
  });

  describe('(d) API Gateway access logs', () => {
    it('logs every request of the stage as JSON with requestId and status to a retained log group, never the key', () => {
      const [[, stage], ...others] = ofType(b, 'AWS::ApiGateway::Stage');
      expect(others).toHaveLength(0);
      const setting = stage.Properties.AccessLogSetting;
      expect(JSON.stringify(setting.DestinationArn)).toContain(idOf(b.stack, b.stack.api.accessLogs));
      expect(b.resources[idOf(b.stack, b.stack.api.accessLogs)].Properties.RetentionInDays).toBeGreaterThan(0);
      const format = JSON.parse(setting.Format);
      expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
      // Neither the Authorization / x-api-key header, nor API Gateway's API key, nor request bodies.
      expect(setting.Format).not.toMatch(
        /authorization|x-api-key|header|\$context\.identity\.apiKey|\$input|\$request/i,
      );
      // Full request/response data tracing (which would log headers and bodies) stays off.
      for (const m of list<any>(stage.Properties.MethodSettings)) expect(m.DataTraceEnabled ?? false).toBe(false);
    });
  });

  describe('(e) request body size', () => {
    it('answers API Gateway`s own 10 MB refusal (REQUEST_TOO_LARGE) 413 in OpenAI`s and Anthropic`s shape', () => {
      const [[, r], ...more] = ofType(b, 'AWS::ApiGateway::GatewayResponse').filter(
        ([, g]) => g.Properties.ResponseType === 'REQUEST_TOO_LARGE',
      );
      expect(more).toHaveLength(0);
      expect(r.Properties.StatusCode).toBe('413');
      expect(JSON.parse(r.Properties.ResponseTemplates['application/json'])).toEqual({
        type: 'error',
        error: {
          message: 'Request body too large.',
          type: 'request_too_large',
          param: null,
          code: 'request_too_large',
        },
      });
    });
  });
});

describe('security: the nag pack as the synth plugin', () => {
  it('lets `cdk synth` (which registers AwsSolutionsChecks as a validation plugin) pass', () => {
    const { app } = build({}, { nag: true });
    expect(() => app.synth({ force: true })).not.toThrow();
  }, 60_000);
});

describe('(e) request body size limit', () => {
  const LIMIT = 4096;
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      c.gateway.maxBodyBytes = LIMIT;
    });
  });
  afterAll(() => gw.close());

  /** A valid chat body of exactly `bytes` UTF-8 bytes, padded with `unit` in an ignored field. */
  const bodyOf = (bytes: number, unit = 'x') => {
    const base = JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }], pad: '' });
    const room = bytes - Buffer.byteLength(base);
    const pad = unit.repeat(Math.floor(room / Buffer.byteLength(unit))) + 'x'.repeat(room % Buffer.byteLength(unit));
    const text = base.replace('"pad":""', `"pad":"${pad}"`);
    expect(Buffer.byteLength(text)).toBe(bytes);
    return text;
  };
  const post = (body: string | Buffer, headers: Record<string, string> = { authorization: `Bearer ${gw.demoKey}` }) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('keeps the router`s limit (config gateway.maxBodyBytes) below API Gateway`s 10 MB', () => {
    const config = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'switchyard.json'), 'utf8'));
    expect(compileConfig(config).settings.gateway.maxBodyBytes).toBeLessThan(API_GATEWAY_MAX_PAYLOAD_BYTES);
  });

  it('serves a body of exactly maxBodyBytes and answers one byte more 413 in OpenAI`s shape, counting bytes, not characters', async () => {
    expect((await post(bodyOf(LIMIT))).status).toBe(200);
    for (const body of [bodyOf(LIMIT + 1), bodyOf(LIMIT + 1, 'é'), bodyOf(LIMIT + 2, '😀')]) {
      const res = await post(body);
      expect(res.status).toBe(413);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({
        error: {
          message: `Request body exceeds the ${LIMIT}-byte limit.`,
          type: 'invalid_request_error',
          param: null,
          code: 'request_too_large',
        },
      });
    }
  });

  it('refuses a payload over API Gateway`s 10 MB 413 before the authorizer runs (no key needed)', async () => {
    const res = await post(Buffer.alloc(API_GATEWAY_MAX_PAYLOAD_BYTES + 1, 0x78), {});
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      type: 'error',
      error: { message: 'Request body too large.', type: 'request_too_large', param: null, code: 'request_too_large' },
    });
  });
});
