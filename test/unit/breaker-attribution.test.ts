/**
 * Every breaker failure the router records names the caller's key, on both paths that record one:
 * a failed attempt (executor) and a stream that breaks after it was committed (settlement). Without
 * the key the store could not tell one tenant's failures from everyone's.
 */
import { Readable } from 'node:stream';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { failingKeyOf } from '../../functions/core/resilience/breaker';
import type { UpstreamResponse } from '../../functions/ports/upstream';
import { createRouterApp } from '../../functions/router/app';
import type { RouterDeps } from '../../functions/router/deps';
import { chatEvent } from '../../local/in-memory/proxy-event';
import { stubDeps } from '../../local/in-memory/stub-deps';

const messages = [{ role: 'user', content: 'hi' }];
const OFF = { 'x-switchyard-fallback': 'off' };

function eventFor(body: unknown, keyId?: string): APIGatewayProxyEvent {
  const event = chatEvent(JSON.stringify(body), OFF, 'req-attr');
  if (keyId)
    event.requestContext = {
      ...event.requestContext,
      authorizer: { keyId, keyName: 'tenant', admin: 'false' },
    } as APIGatewayProxyEvent['requestContext'];
  return event;
}

function answer(status: number, body: string): UpstreamResponse {
  return { status, headers: {}, body: Readable.from([body]), text: async () => body, discard: () => undefined };
}

function recordingBreakers(): { calls: Array<[string, boolean, string]>; breakers: RouterDeps['breakers'] } {
  const calls: Array<[string, boolean, string]> = [];
  const base = stubDeps().breakers;
  return {
    calls,
    breakers: {
      ...base,
      onFailure: async (id, probe, keyId) => {
        calls.push([id, probe, keyId]);
        return false;
      },
    },
  };
}

async function drain(res: Awaited<ReturnType<ReturnType<typeof createRouterApp>>>): Promise<string> {
  let text = '';
  if (res.body instanceof Readable) for await (const c of res.body) text += Buffer.from(c).toString('utf8');
  await res.afterResponse?.();
  return text;
}

describe('breaker failures are attributed to the caller', () => {
  it("names the caller's key for every failed attempt", async () => {
    const { calls, breakers } = recordingBreakers();
    const app = createRouterApp(
      stubDeps({ breakers, upstream: { send: async () => answer(503, '{"error":{"message":"down"}}') } }),
    );
    const res = await app(eventFor({ model: 'gpt-4.1', messages }, 'key_tenant_a'), {});
    await drain(res);
    expect(res.statusCode).toBe(502);
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) expect(c).toEqual(['openai-gpt-4.1', false, 'key_tenant_a']);
  });

  it("names the caller's key when a committed stream breaks", async () => {
    const { calls, breakers } = recordingBreakers();
    const chunk = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Hello' } }] })}\n\n`;
    const app = createRouterApp(stubDeps({ breakers, upstream: { send: async () => answer(200, chunk) } }));
    const res = await app(eventFor({ model: 'gpt-4.1', messages, stream: true }, 'key_tenant_b'), {});
    const text = await drain(res);
    expect(text).toContain('stream_interrupted');
    expect(calls).toEqual([['openai-gpt-4.1', false, 'key_tenant_b']]);
  });

  it('puts calls without a key under one shared tag', async () => {
    const { calls, breakers } = recordingBreakers();
    const app = createRouterApp(
      stubDeps({ breakers, upstream: { send: async () => answer(500, '{"error":{"message":"x"}}') } }),
    );
    await drain(await app(eventFor({ model: 'gpt-4.1', messages }), {}));
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) expect(c[2]).toBe(failingKeyOf(undefined));
  });
});
