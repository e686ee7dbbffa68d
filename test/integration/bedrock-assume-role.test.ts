/**
 * A Bedrock provider with `roleArn` reaches Bedrock with the assumed role's credentials, asking STS
 * once and reusing them across calls; one without it signs with the ambient credentials. STS and
 * Bedrock are one loopback fake here (reached through AWS_ENDPOINT_URL_STS and `endpointUrl`).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBedrockProvider } from '../../functions/adapters/providers/bedrock/bedrock-provider';
import type { BedrockProviderConfig } from '../../functions/core/config/schema';

const ROLE = 'arn:aws:iam::210987654321:role/switchyard-bedrock';
const ENV = ['AWS_ENDPOINT_URL_STS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'];

let server: Server;
let url: string;
const assumed: string[] = [];
const signedWith: Array<{ key: string | undefined; token: string | undefined }> = [];
const saved: Record<string, string | undefined> = {};

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => resolve(text));
  });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const text = await body(req);
    if (req.url === '/' && text.includes('Action=AssumeRole')) {
      assumed.push(decodeURIComponent(/RoleArn=([^&]+)/.exec(text)?.[1] ?? ''));
      const expires = new Date(Date.now() + 3600_000).toISOString();
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>` +
          `<AccessKeyId>ASIAASSUMEDROLE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>` +
          `<SessionToken>session-token-1</SessionToken><Expiration>${expires}</Expiration></Credentials>` +
          `<AssumedRoleUser><AssumedRoleId>AROA:switchyard</AssumedRoleId><Arn>${ROLE}/switchyard</Arn></AssumedRoleUser>` +
          `</AssumeRoleResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      );
      return;
    }
    // Converse: which access key signed it (SigV4 `Credential=<key>/<date>/...`), and the session token.
    signedWith.push({
      key: /Credential=([^/]+)\//.exec(String(req.headers.authorization))?.[1],
      token: req.headers['x-amz-security-token'] as string | undefined,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'req-1' });
    res.end(
      JSON.stringify({
        output: { message: { role: 'assistant', content: [{ text: 'hello' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 },
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const k of ENV) saved[k] = process.env[k];
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  process.env.AWS_ENDPOINT_URL_STS = url;
  process.env.AWS_ACCESS_KEY_ID = 'AKIDAMBIENT';
  process.env.AWS_SECRET_ACCESS_KEY = 'ambient-secret';
});

afterAll(async () => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await new Promise((r) => server.close(r));
});

async function chat(provider: BedrockProviderConfig): Promise<number> {
  const client = createBedrockProvider({ connectTimeoutMs: 2000 });
  let status = 0;
  for (let i = 0; i < 2; i++) {
    const res = await client.send({
      provider,
      upstreamModel: 'amazon.nova-pro-v1:0',
      operation: 'chat',
      body: JSON.stringify({ model: 'amazon.nova-pro-v1:0', messages: [{ role: 'user', content: 'hi' }] }),
      headersTimeoutMs: 5000,
      bodyIdleTimeoutMs: 5000,
    });
    status = res.status;
    expect(JSON.parse(await res.text()).choices[0].message.content).toBe('hello');
  }
  return status;
}

it('assumes the configured role once and signs every call with its temporary credentials', async () => {
  assumed.length = 0;
  signedWith.length = 0;
  expect(await chat({ kind: 'bedrock', region: 'us-east-1', roleArn: ROLE, endpointUrl: url })).toBe(200);
  expect(assumed).toEqual([ROLE]);
  expect(signedWith).toEqual([
    { key: 'ASIAASSUMEDROLE', token: 'session-token-1' },
    { key: 'ASIAASSUMEDROLE', token: 'session-token-1' },
  ]);
});

it('without roleArn, signs with the ambient credentials and asks STS nothing', async () => {
  assumed.length = 0;
  signedWith.length = 0;
  expect(await chat({ kind: 'bedrock', region: 'us-east-1', endpointUrl: url })).toBe(200);
  expect(assumed).toEqual([]);
  expect(signedWith.map((s) => s.key)).toEqual(['AKIDAMBIENT', 'AKIDAMBIENT']);
});
