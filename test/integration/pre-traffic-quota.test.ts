/**
 * The pre-traffic check against a real router (in-process, simulated providers, local DynamoDB)
 * whose day's budget is spent (a full model's concurrency_limit is covered in test/unit/pre-traffic).
 * The check is not a
 * client: whether the router lets its marked invocations through (the bypass) or refuses them for
 * quota reasons, the version under test passes, because neither says anything about the version.
 */
import { checkVersion } from '../../functions/pre-traffic/check-version';
import { localVersionInvoker } from '../../local/cutover/invoke-local';
import type { StreamingHandler } from '../../local/lambda-streaming';
import { post, startTestGateway } from '../helpers/local-gateway';

describe('pre-traffic check while quotas are exhausted', () => {
  it('passes a healthy version while the daily budget is spent', async () => {
    const gw = await startTestGateway((cfg) => {
      // One request spends the whole global budget.
      cfg.budgets = { ...cfg.budgets, globalDailyUsd: 0.000001 };
    });
    try {
      // Spend the budget through the API like a client.
      const spent = await post(gw, '/v1/chat/completions', {
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect([200, 429]).toContain(spent.status);
      const refused = await post(gw, '/v1/chat/completions', {
        model: 'deepseek-v3.2',
        messages: [{ role: 'user', content: 'hi' }],
      });
      // A client is refused now: the budget is spent.
      expect(refused.status).toBe(429);
      expect(refused.json.error.code).toBe('insufficient_quota');

      const green = gw.newRouterInstance();
      const report = await checkVersion(
        green.deps.config,
        localVersionInvoker(green.handler as unknown as StreamingHandler, '2'),
        { requestTimeoutMs: 20_000, retryDelayMs: 10 },
      );
      expect(report.ok).toBe(true);
      // The router lets the marked invocations through the spent budget (the bypass): every check
      // was answered, none retried as if the version were flaky.
      for (const o of report.outcomes) {
        expect({ name: o.name, status: o.status }).toEqual({ name: o.name, status: 200 });
        expect(o.tries).toBe(1);
      }
    } finally {
      await gw.close();
    }
  }, 60_000);
});
