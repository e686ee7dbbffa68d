/**
 * GET /v1/stats when the shared store does not answer: a retryable 503 in OpenAI's error shape,
 * never a 500 (the console polls it; an overloaded table must not look like a gateway bug).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createRouterApp } from '../../functions/router/app';
import { chatEvent } from '../../local/in-memory/proxy-event';
import { stubDeps } from '../../local/in-memory/stub-deps';

function statsEvent(): APIGatewayProxyEvent {
  const e = chatEvent(null);
  return {
    ...e,
    httpMethod: 'GET',
    path: '/v1/stats',
    resource: '/v1/stats',
    requestContext: { requestId: 'stats', authorizer: { keyId: 'key_admin', admin: 'true' } } as never,
  };
}

function app(usage: () => Promise<never[]>, budgets: () => Promise<never[]> = async () => []) {
  return createRouterApp(
    stubDeps({
      report: { usage, budgets, recent: async () => [], periodBudgets: async () => [], slotsHeld: async () => 0 },
    }),
  );
}

describe('GET /v1/stats with an unreadable store', () => {
  it('answers 503 stats_unavailable with Retry-After when the usage counters time out', async () => {
    const timeout = Object.assign(new Error('Query timed out'), { name: 'TimeoutError' });
    const r = await app(() => Promise.reject(timeout))(statsEvent(), {});
    expect(r.statusCode).toBe(503);
    expect(r.headers?.['retry-after']).toBe('2');
    const body = JSON.parse(String(r.body));
    expect(body.error).toMatchObject({ type: 'service_unavailable', code: 'stats_unavailable' });
    expect(body.error.message).not.toMatch(/timed out/);
  });

  it('still answers 200 with the usage rows when only the budget ledgers fail', async () => {
    const r = await app(
      async () => [],
      () => Promise.reject(new Error('throttled')),
    )(statsEvent(), {});
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(String(r.body)).days.length).toBeGreaterThan(0);
  });
});
