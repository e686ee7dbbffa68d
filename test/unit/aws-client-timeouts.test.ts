/**
 * Every AWS SDK client gives up on a stuck socket: connection and request timeouts, and the request
 * timeout is an error, not the SDK's default warning.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { join } from 'node:path';
import { AWS_CLIENT_TIMEOUTS, requestHandlerWith } from '../../functions/adapters/aws/client-options';
import { createDynamoClient } from '../../functions/adapters/dynamo/client';

async function handlerConfig(client: { config: { requestHandler: unknown } }) {
  return (await (client.config.requestHandler as { configProvider: Promise<Record<string, unknown>> })
    .configProvider) as Record<string, unknown>;
}

describe('AWS SDK client timeouts', () => {
  it('the DynamoDB client the functions build has connection and request timeouts that throw', async () => {
    const cfg = await handlerConfig(createDynamoClient({ AWS_REGION: 'us-east-1' }));
    expect(cfg).toMatchObject({
      connectionTimeout: AWS_CLIENT_TIMEOUTS.dynamodb.connectionTimeout,
      requestTimeout: AWS_CLIENT_TIMEOUTS.dynamodb.requestTimeout,
      throwOnRequestTimeout: true,
    });
    // Against local dynalite the bound is the machine's load, not the network: looser, still finite.
    const local = await handlerConfig(
      createDynamoClient({ AWS_REGION: 'us-east-1', SWITCHYARD_DYNAMODB_ENDPOINT: 'http://127.0.0.1:1' }),
    );
    expect(local).toMatchObject({ ...AWS_CLIENT_TIMEOUTS.localDynamodb, throwOnRequestTimeout: true });
  });

  it('every service has both timeouts, the hot-path DynamoDB ones the shortest', () => {
    for (const t of Object.values(AWS_CLIENT_TIMEOUTS)) {
      expect(t.connectionTimeout).toBeGreaterThan(0);
      expect(t.requestTimeout).toBeGreaterThan(t.connectionTimeout);
    }
    const others = Object.entries(AWS_CLIENT_TIMEOUTS).filter(([k]) => k !== 'dynamodb' && k !== 'localDynamodb');
    for (const [, t] of others) expect(t.requestTimeout).toBeGreaterThan(AWS_CLIENT_TIMEOUTS.dynamodb.requestTimeout);
  });

  it('every AWS SDK client the functions construct is given a request handler with timeouts', () => {
    const root = join(__dirname, '..', '..', 'functions');
    const built: { file: string; client: string; args: string }[] = [];
    for (const rel of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
      if (!rel.endsWith('.ts')) continue;
      const src = readFileSync(join(root, rel), 'utf8');
      // Every `new <Name>Client(` (the SDK's naming; the preflight loads its client from the Lambda runtime,
      // not through an import), plus the STS client fromTemporaryCredentials builds.
      const ctor = /(new [A-Z]\w*Client|fromTemporaryCredentials)\(/g;
      for (const m of src.matchAll(ctor)) {
        built.push({ file: rel, client: m[1].replace('new ', ''), args: balancedArgs(src, m.index + m[0].length) });
      }
    }
    // The scan itself must keep finding the clients the functions are known to build.
    expect(new Set(built.map((b) => b.client))).toEqual(
      new Set([
        'DynamoDBClient',
        'SecretsManagerClient',
        'CloudWatchClient',
        'LambdaClient',
        'CodeDeployClient',
        'BedrockRuntimeClient',
        'APIGatewayClient',
        'fromTemporaryCredentials',
      ]),
    );
    const withoutTimeouts = built.filter((b) => !/requestHandlerWith\(|requestHandler:/.test(b.args));
    expect(withoutTimeouts).toEqual([]);
  });

  describe('against a server that accepts the connection and never answers', () => {
    let server: Server;
    let port: number;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      // Holds every socket open and says nothing.
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    });

    it('fails the call with a TimeoutError instead of waiting forever', async () => {
      const client = new DynamoDBClient({
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${port}`,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
        ...requestHandlerWith({ connectionTimeout: 200, requestTimeout: 300 }),
      });
      try {
        await expect(
          client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' }, sk: { S: 'b' } } })),
        ).rejects.toMatchObject({ name: 'TimeoutError' });
      } finally {
        client.destroy();
      }
    }, 10_000);
  });
});

/** The text between an opening parenthesis (just before `from`) and its matching close. */
function balancedArgs(src: string, from: number): string {
  let depth = 1;
  for (let i = from; i < src.length; i++) {
    if (src[i] === '(') depth++;
    else if (src[i] === ')' && --depth === 0) return src.slice(from, i);
  }
  return src.slice(from);
}
