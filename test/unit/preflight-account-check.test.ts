/**
 * The deploy-time check for API Gateway's account logging role (functions/preflight): a clear
 * failure with both ways out when the role is unset, never a blocked deploy when the check itself
 * cannot run, and always an answer to CloudFormation.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import {
  type AccountLoggingCheckDeps,
  type CustomResourceResponse,
  runAccountLoggingCheck,
} from '../../functions/preflight/account-logging-check';
import { handler } from '../../functions/preflight/handler';

function event(
  RequestType: 'Create' | 'Update' | 'Delete',
  ResponseURL = 'https://cfn.example/response',
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:check',
    ResponseURL,
    StackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/Switchyard/1',
    RequestId: 'req-1',
    LogicalResourceId: 'HttpAccountLoggingCheck',
    ResourceType: 'Custom::ApiGatewayAccountLogging',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:check' },
  };
  if (RequestType === 'Create') return { ...common, RequestType };
  if (RequestType === 'Update')
    return { ...common, RequestType, PhysicalResourceId: 'phys-1', OldResourceProperties: common.ResourceProperties };
  return { ...common, RequestType, PhysicalResourceId: 'phys-1' };
}

function deps(roleArn: () => Promise<string | undefined>) {
  const sent: { url: string; body: CustomResourceResponse }[] = [];
  const logs: { level: string; message: string }[] = [];
  const calls = { roleArn: 0 };
  const d: AccountLoggingCheckDeps = {
    region: 'eu-west-1',
    cloudWatchRoleArn: () => {
      calls.roleArn++;
      return roleArn();
    },
    respond: async (url, body) => void sent.push({ url, body: JSON.parse(body) }),
    log: (level, message) => void logs.push({ level, message }),
  };
  return { d, sent, logs, calls };
}

describe('API Gateway account logging check', () => {
  it.each([undefined, ''])('fails a create when the role is unset (%p), saying how to fix it', async (unset) => {
    const { d, sent } = deps(async () => unset);
    await runAccountLoggingCheck(event('Create'), d);
    expect(sent).toHaveLength(1);
    expect(sent[0].url).toBe('https://cfn.example/response');
    expect(sent[0].body).toMatchObject({
      Status: 'FAILED',
      StackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/Switchyard/1',
      RequestId: 'req-1',
      LogicalResourceId: 'HttpAccountLoggingCheck',
      PhysicalResourceId: 'api-gateway-account-logging-eu-west-1',
    });
    expect(sent[0].body.Reason).toContain('API Gateway in eu-west-1 has no CloudWatch Logs role');
    expect(sent[0].body.Reason).toContain('docs/operations/deploy.md');
    expect(sent[0].body.Reason).toContain('-c switchyard:apiGatewayAccountRole=true');
  });

  it('passes when the role is set, keeping the physical id on update', async () => {
    const arn = 'arn:aws:iam::111122223333:role/ApiGatewayCloudWatchLogs';
    const { d, sent } = deps(async () => arn);
    await runAccountLoggingCheck(event('Update'), d);
    expect(sent[0].body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'phys-1',
      Data: { Checked: 'true', CloudWatchRoleArn: arn },
    });
  });

  it('answers a delete at once without reading anything', async () => {
    const { d, sent, calls } = deps(async () => undefined);
    await runAccountLoggingCheck(event('Delete'), d);
    expect(calls.roleArn).toBe(0);
    expect(sent[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'phys-1' });
  });

  it('does not block the deploy when the account settings cannot be read', async () => {
    const { d, sent, logs } = deps(async () => {
      throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    });
    await runAccountLoggingCheck(event('Create'), d);
    expect(sent[0].body).toMatchObject({ Status: 'SUCCESS', Data: { Checked: 'false' } });
    expect(logs.some((l) => l.level === 'error' && /not blocking/.test(l.message))).toBe(true);
  });

  it('logs and rethrows when the answer cannot be sent', async () => {
    const { d, logs } = deps(async () => undefined);
    d.respond = async () => {
      throw new Error('socket hang up');
    };
    await expect(runAccountLoggingCheck(event('Create'), d)).rejects.toThrow('socket hang up');
    expect(logs.some((l) => l.level === 'error' && /could not send/.test(l.message))).toBe(true);
  });
});

describe('the Lambda handler', () => {
  let server: Server;
  let url: string;
  const received: { method?: string; headers: IncomingHttpHeaders; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ method: req.method, headers: req.headers, body });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/signed?X-Amz-Signature=abc`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('PUTs the response document to the pre-signed URL without a content type', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      // Outside Lambda the runtime's API Gateway client is absent: the check cannot run, so it passes.
      await handler(event('Create', url));
      await handler(event('Delete', url));
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
    expect(received.map((r) => r.method)).toEqual(['PUT', 'PUT']);
    expect(received.map((r) => r.headers['content-type'] ?? '')).toEqual(['', '']);
    expect(received.map((r) => JSON.parse(r.body).Status)).toEqual(['SUCCESS', 'SUCCESS']);
    expect(JSON.parse(received[0].body).Data).toEqual({ Checked: 'false' });
  });
});
