/**
 * A client that hangs up before the function has started its response (while the router is still
 * waiting for its upstream, say) must not take the local runtime down. It once did: the emulator
 * destroyed the function's response stream with an error nobody listened to yet, an uncaught
 * 'error' event that load tests hit at the end of every run.
 */
import { request } from 'node:http';
import { startApiGatewayEmulator, type Emulator } from '../../local/apigw-emulator';
import { installAwsLambdaGlobal } from '../../local/lambda-streaming';
import { eventually } from '../helpers/local-gateway';

describe('API Gateway emulator: client disconnects', () => {
  let emulator: Emulator;
  let invoked = 0;
  let finished = 0;

  beforeAll(async () => {
    installAwsLambdaGlobal();
    const handler = awslambda.streamifyResponse(async (event: { path: string }, stream) => {
      if (event.path !== '/v1/models') {
        // A slow upstream: nothing written (and no 'error' listener on the stream) until the client
        // has gone and the emulator has destroyed the stream, however long that takes.
        invoked++;
        await new Promise((resolve) => stream.once('close', resolve));
      }
      const out = awslambda.HttpResponseStream.from(stream, {
        statusCode: 200,
        headers: { 'content-type': 'text/plain' },
      });
      out.on('error', () => undefined);
      out.end('ok');
      finished++;
    });
    emulator = await startApiGatewayEmulator({ port: 0, selectTarget: () => ({ handler, version: '1' }) });
  });
  afterAll(() => emulator.close());

  it('keeps serving, and lets the invocation finish, after clients hang up before the response starts', async () => {
    const requests = Array.from({ length: 5 }, () => {
      const req = request(`${emulator.url}/v1/chat/completions`, { method: 'POST' });
      req.on('error', () => undefined);
      req.end('{}');
      return req;
    });
    await eventually(async () => expect(invoked).toBe(5), 20_000);
    for (const req of requests) req.destroy();
    await eventually(async () => expect(finished).toBe(5), 20_000);
    const res = await fetch(`${emulator.url}/v1/models`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });
});
