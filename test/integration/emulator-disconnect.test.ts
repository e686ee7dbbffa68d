/**
 * A client that hangs up before the function has started its response (while the router is still
 * waiting for its upstream, say) must not take the local runtime down. It once did: the emulator
 * destroyed the function's response stream with an error nobody listened to yet, an uncaught
 * 'error' event that load tests hit at the end of every run.
 */
import { request } from 'node:http';
import { startApiGatewayEmulator, type Emulator } from '../../local/apigw-emulator';
import { installAwsLambdaGlobal } from '../../local/lambda-streaming';

describe('API Gateway emulator: client disconnects', () => {
  let emulator: Emulator;
  let finished = 0;

  beforeAll(async () => {
    installAwsLambdaGlobal();
    const handler = awslambda.streamifyResponse(async (event: { path: string }, stream) => {
      // A slow upstream: nothing written (and no listener on the stream) for a while.
      if (event.path !== '/v1/models') await new Promise((r) => setTimeout(r, 200));
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

  const hangUpEarly = () =>
    new Promise<void>((resolve) => {
      const req = request(`${emulator.url}/v1/chat/completions`, { method: 'POST' });
      req.on('error', () => resolve());
      req.end('{}');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 30);
    });

  it('keeps serving, and lets the invocation finish, after clients hang up before the response starts', async () => {
    await Promise.all(Array.from({ length: 5 }, hangUpEarly));
    await new Promise((r) => setTimeout(r, 300));
    expect(finished).toBe(5);
    const res = await fetch(`${emulator.url}/v1/models`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });
});
