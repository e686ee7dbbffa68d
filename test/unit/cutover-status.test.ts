/**
 * The console's cutover view on AWS: what Lambda (GetAlias), CodeDeploy and CloudWatch report, read
 * through fake SDK clients (no network), mapped to the view the console draws, and served by the
 * admin function's GET /v1/admin/cutover (503 in the API's shape when AWS cannot be read).
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetDeploymentsCommand,
  BatchGetDeploymentTargetsCommand,
  ListDeploymentsCommand,
  ListDeploymentTargetsCommand,
} from '@aws-sdk/client-codedeploy';
import { GetAliasCommand } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createAwsCutoverStatus, type CutoverStatusClients } from '../../functions/adapters/aws/cutover-status';
import { CUTOVER_TARGET_ENV, cutoverTargetFrom, type CutoverTarget } from '../../functions/contracts/admin-function';
import { aliasPercentages, deploymentState, type DeploymentFacts } from '../../functions/core/cutover/view';
import { createAdminApp } from '../../functions/router/admin/app';
import { unavailableOnError } from '../../functions/router/admin/default-deps';

const TARGET: CutoverTarget = {
  functionName: 'Switchyard-RouterFunction-abc',
  aliasName: 'live',
  applicationName: 'Switchyard-router',
  deploymentGroupName: 'live',
  alarmNames: ['router-v8-error-rate', 'router-v8-fallback-rate', 'authorizer-v3-errors'],
};
const NOW = Date.parse('2026-12-01T10:05:00Z');

type Sent = Array<{ command: string; input: any }>;

/** Fake SDK clients: each answers by command class, and every call is written down. */
function fakeClients(opts: {
  weights?: Record<string, number>;
  deployments?: Array<{ id: string; status: string; created: string; error?: string }>;
  target?: { current: string; target: string; events: Array<[string, string]> };
  alarms?: Record<string, string>;
  fail?: string;
}): { clients: CutoverStatusClients; sent: Sent } {
  const sent: Sent = [];
  const send = async (cmd: any): Promise<any> => {
    sent.push({ command: cmd.constructor.name, input: cmd.input });
    if (opts.fail === cmd.constructor.name)
      throw Object.assign(new Error('User is not authorized to perform this action on arn:aws:...'), {
        name: 'AccessDeniedException',
      });
    if (cmd instanceof GetAliasCommand)
      return { FunctionVersion: '7', RoutingConfig: opts.weights ? { AdditionalVersionWeights: opts.weights } : {} };
    if (cmd instanceof ListDeploymentsCommand) return { deployments: (opts.deployments ?? []).map((d) => d.id) };
    if (cmd instanceof BatchGetDeploymentsCommand)
      return {
        deploymentsInfo: (opts.deployments ?? []).map((d) => ({
          deploymentId: d.id,
          status: d.status,
          createTime: new Date(d.created),
          ...(d.error ? { errorInformation: { message: d.error } } : {}),
        })),
      };
    if (cmd instanceof ListDeploymentTargetsCommand) return { targetIds: opts.target ? [TARGET.functionName] : [] };
    if (cmd instanceof BatchGetDeploymentTargetsCommand)
      return {
        deploymentTargets: [
          {
            deploymentTargetType: 'LambdaTarget',
            lambdaTarget: {
              lambdaFunctionInfo: {
                functionName: TARGET.functionName,
                functionAlias: 'live',
                currentVersion: opts.target!.current,
                targetVersion: opts.target!.target,
              },
              lifecycleEvents: opts.target!.events.map(([lifecycleEventName, status]) => ({
                lifecycleEventName,
                status,
              })),
            },
          },
        ],
      };
    if (cmd instanceof DescribeAlarmsCommand)
      return {
        MetricAlarms: Object.entries(opts.alarms ?? {}).map(([AlarmName, StateValue]) => ({ AlarmName, StateValue })),
      };
    throw new Error(`unexpected command ${cmd.constructor.name}`);
  };
  return { clients: { lambda: { send }, codeDeploy: { send }, cloudWatch: { send } } as never, sent };
}

describe('cutover view from AWS (fake SDK clients)', () => {
  it('shows a canary in progress: alias weights, blue and green, lifecycle events, alarm states', async () => {
    const { clients, sent } = fakeClients({
      weights: { '8': 0.1 },
      deployments: [
        { id: 'd-OLD', status: 'Succeeded', created: '2026-11-30T09:00:00Z' },
        { id: 'd-NEW', status: 'InProgress', created: '2026-12-01T10:00:00Z' },
      ],
      target: {
        current: '7',
        target: '8',
        events: [
          ['BeforeAllowTraffic', 'Succeeded'],
          ['AllowTraffic', 'InProgress'],
        ],
      },
      alarms: { 'router-v8-error-rate': 'OK', 'router-v8-fallback-rate': 'INSUFFICIENT_DATA' },
    });
    const view = await createAwsCutoverStatus(TARGET, clients, () => NOW).read();
    expect(view).toEqual({
      state: 'in_progress',
      blue: '7',
      green: '8',
      weights: { '7': 90, '8': 10 },
      alarms: [
        { id: 'router-v8-error-rate', state: 'OK' },
        { id: 'router-v8-fallback-rate', state: 'INSUFFICIENT_DATA' },
        { id: 'authorizer-v3-errors', state: 'UNKNOWN' },
      ],
      events: [
        'deployment d-NEW: InProgress (started 2026-12-01T10:00:00.000Z)',
        'BeforeAllowTraffic: Succeeded',
        'AllowTraffic: InProgress',
      ],
      updatedAt: new Date(NOW).toISOString(),
    });
    // Exactly the configured resources were asked about.
    const input = (name: string) => sent.find((s) => s.command === name)?.input;
    expect(input('GetAliasCommand')).toEqual({ FunctionName: TARGET.functionName, Name: 'live' });
    expect(input('ListDeploymentsCommand')).toEqual({
      applicationName: TARGET.applicationName,
      deploymentGroupName: TARGET.deploymentGroupName,
    });
    expect(input('ListDeploymentTargetsCommand')).toEqual({ deploymentId: 'd-NEW' });
    expect(input('DescribeAlarmsCommand')).toEqual({ AlarmNames: TARGET.alarmNames });
  });

  it('shows a version refused by the pre-traffic check, and a rollback after an alarm', async () => {
    const refused = fakeClients({
      deployments: [{ id: 'd-1', status: 'Failed', created: '2026-12-01T10:00:00Z', error: 'hook failed' }],
      target: { current: '7', target: '8', events: [['BeforeAllowTraffic', 'Failed']] },
    });
    const r = await createAwsCutoverStatus(TARGET, refused.clients, () => NOW).read();
    expect(r).toMatchObject({ state: 'refused', weights: { '7': 100 } });
    expect(r!.events).toContain('error: hook failed');

    const rolledBack = fakeClients({
      deployments: [{ id: 'd-2', status: 'Stopped', created: '2026-12-01T10:00:00Z' }],
      target: {
        current: '7',
        target: '8',
        events: [
          ['BeforeAllowTraffic', 'Succeeded'],
          ['AllowTraffic', 'Failed'],
        ],
      },
      alarms: { 'router-v8-error-rate': 'ALARM' },
    });
    const b = await createAwsCutoverStatus(TARGET, rolledBack.clients, () => NOW).read();
    expect(b).toMatchObject({ state: 'rolled_back', blue: '7', green: '8' });
    expect(b!.alarms[0]).toEqual({ id: 'router-v8-error-rate', state: 'ALARM' });
  });

  it('has nothing to show before the first deployment', async () => {
    const { clients, sent } = fakeClients({});
    expect(await createAwsCutoverStatus(TARGET, clients, () => NOW).read()).toBeUndefined();
    expect(sent.map((s) => s.command)).not.toContain('BatchGetDeploymentsCommand');
  });

  it('maps CodeDeploy states and alias weights', () => {
    const d = (status: string, events: Array<[string, string]> = []): DeploymentFacts => ({
      id: 'd',
      status,
      lifecycleEvents: events.map(([name, s]) => ({ name, status: s })),
    });
    for (const s of ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'])
      expect(deploymentState(d(s))).toBe('in_progress');
    expect(deploymentState(d('Succeeded'))).toBe('completed');
    expect(deploymentState(d('Failed', [['BeforeAllowTraffic', 'Failed']]))).toBe('refused');
    expect(deploymentState(d('Failed', [['BeforeAllowTraffic', 'Succeeded']]))).toBe('rolled_back');
    expect(deploymentState(d('Stopped'))).toBe('rolled_back');
    expect(aliasPercentages({ version: '3', additionalWeights: {} })).toEqual({ '3': 100 });
    expect(aliasPercentages({ version: '3', additionalWeights: { '4': 0.333 } })).toEqual({ '3': 66.7, '4': 33.3 });
  });

  it('reads its target from the environment the stack sets, and refuses a malformed one', () => {
    expect(cutoverTargetFrom({ [CUTOVER_TARGET_ENV]: JSON.stringify(TARGET) })).toEqual(TARGET);
    expect(cutoverTargetFrom({})).toBeUndefined();
    expect(cutoverTargetFrom({ [CUTOVER_TARGET_ENV]: '{"functionName":""}' })).toBeUndefined();
    expect(cutoverTargetFrom({ [CUTOVER_TARGET_ENV]: 'not json' })).toBeUndefined();
  });
});

describe('GET /v1/admin/cutover on the admin function', () => {
  const event = (admin: boolean): APIGatewayProxyEvent =>
    ({
      httpMethod: 'GET',
      path: '/v1/admin/cutover',
      headers: {},
      multiValueHeaders: {},
      body: null,
      isBase64Encoded: false,
      queryStringParameters: null,
      requestContext: {
        requestId: 'req-cutover',
        authorizer: { keyId: 'key_0123456789abcdef', keyName: 'ops', admin: String(admin) },
      },
    }) as unknown as APIGatewayProxyEvent;

  function app(clients: CutoverStatusClients, logs: string[] = []) {
    const log = (_level: string, msg: string, fields?: Record<string, unknown>) =>
      void logs.push(`${msg} ${JSON.stringify(fields ?? {})}`);
    const status = unavailableOnError(
      createAwsCutoverStatus(TARGET, clients, () => NOW),
      log,
    );
    return createAdminApp({ admin: { cutover: () => status.read() }, log, now: () => NOW });
  }

  it('answers the live view to an admin key and 403 to any other key', async () => {
    const { clients } = fakeClients({
      weights: { '8': 0.5 },
      deployments: [{ id: 'd-9', status: 'InProgress', created: '2026-12-01T10:00:00Z' }],
      target: { current: '7', target: '8', events: [] },
    });
    const ok = await app(clients)(event(true), {});
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body as string)).toMatchObject({ state: 'in_progress', weights: { '7': 50, '8': 50 } });
    const refused = await app(clients)(event(false), {});
    expect(refused.statusCode).toBe(403);
    expect(JSON.parse(refused.body as string).error.code).toBe('admin_required');
  });

  it('answers idle before any deployment', async () => {
    const res = await app(fakeClients({}).clients)(event(true), {});
    expect(JSON.parse(res.body as string)).toMatchObject({ state: 'idle' });
  });

  it('answers 503 in the API error shape when AWS refuses, logging only the error name', async () => {
    const logs: string[] = [];
    const { clients } = fakeClients({ fail: 'ListDeploymentsCommand' });
    const res = await app(clients, logs)(event(true), {});
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body as string).error).toMatchObject({
      type: 'api_error',
      code: 'cutover_status_unavailable',
    });
    expect(res.body).not.toContain('arn:aws');
    expect(logs.join('\n')).toContain('AccessDeniedException');
    expect(logs.join('\n')).not.toContain('arn:aws');
  });
});
