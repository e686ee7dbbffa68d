/** The Messages and Responses routes in-process: rejections reported once, answers through the one chat route. */
import type { RequestSummary } from '../../functions/core/telemetry/request-summary';
import { createRouterApp } from '../../functions/router/app';
import { chatEvent } from '../../local/in-memory/proxy-event';
import { stubDeps } from '../../local/in-memory/stub-deps';

function run(path: string, body: unknown) {
  const done: RequestSummary[] = [];
  const app = createRouterApp(stubDeps({ telemetry: { requestDone: (s: RequestSummary) => done.push(s) } }));
  const event = { ...chatEvent(JSON.stringify(body)), path, resource: path };
  return app(event, {}).then((r) => ({ r, done }));
}

describe('client API routes report each request once', () => {
  it.each([
    ['/v1/messages', { model: 'gpt-4.1', messages: [{ role: 'user', content: 'x' }] }, 400],
    ['/v1/messages', { model: 'gpt-9', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, 404],
    ['/v1/responses', { model: 'gpt-4.1', input: 'x', store: true }, 400],
    ['/v1/responses', { model: 'gpt-9', input: 'x' }, 404],
  ])('%s %j: one rejected request with its status', async (path, body, status) => {
    const { r, done } = await run(path, body);
    expect(r.statusCode).toBe(status);
    expect(done.map((s) => s.status)).toEqual([status]);
  });

  it('count_tokens calls no model and reports nothing', async () => {
    const { r, done } = await run('/v1/messages/count_tokens', { model: 'gpt-9', messages: [] });
    expect(r.statusCode).toBe(400);
    expect(done).toEqual([]);
  });
});
