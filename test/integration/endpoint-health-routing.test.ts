/**
 * Health drives routing in the local runtime: gpt-4.1 served by two endpoints (two simulated
 * providers), health-check rounds driven by the test, traffic observed at the providers.
 */
import type { LocalGateway } from '../../local/gateway';
import { get, hi, post, startTestGateway } from '../helpers/local-gateway';

function twoEndpoints(balancing: string) {
  return (c: any) => {
    c.providers['openai-us'] = { baseUrl: 'https://api.openai.com/v1', region: 'us-east-1' };
    c.providers['openai-eu'] = { baseUrl: 'https://eu.api.openai.com/v1', region: 'eu-west-1' };
    const gpt = c.models.find((m: any) => m.id === 'gpt-4.1');
    gpt.endpoints = [
      { id: 'gpt-us', provider: 'openai-us', upstreamModel: 'gpt-4.1', region: 'us-east-1' },
      { id: 'gpt-eu', provider: 'openai-eu', upstreamModel: 'gpt-4.1', region: 'eu-west-1' },
    ];
    gpt.balancing = balancing;
    gpt.fallbacks = [];
    c.health = { ...(c.health ?? {}), probeTimeoutMs: 500 };
  };
}

const chatsTo = (gw: LocalGateway, provider: string) =>
  gw.providers!.requests().filter((r) => r.provider === provider && r.path.endsWith('/chat/completions')).length;

async function send(gw: LocalGateway, n: number, headers: Record<string, string> = {}) {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await post(gw, '/v1/chat/completions', hi('gpt-4.1'), headers)).status);
  return statuses;
}

async function rounds(gw: LocalGateway, n: number) {
  for (let i = 0; i < n; i++) await gw.runHealthRound();
}

describe('endpoint health drives routing (local runtime)', () => {
  describe('round robin over two endpoints', () => {
    let gw: LocalGateway;
    beforeAll(async () => {
      gw = await startTestGateway(twoEndpoints('round_robin'));
    });
    afterAll(() => gw.close());
    beforeEach(() => {
      gw.providers!.clearFaults();
      gw.providers!.resetRequests();
    });

    it('takes a failing endpoint out after 3 rounds and back in after 2', async () => {
      await rounds(gw, 1);
      await send(gw, 4);
      expect(chatsTo(gw, 'openai-eu')).toBeGreaterThan(0);

      gw.providers!.setFault({ provider: 'openai-eu', status: 503 });
      await rounds(gw, 2);
      let health = (await get(gw, '/health/deep')).json;
      expect(health.endpoints).toMatchObject({ down: 0 });

      await rounds(gw, 1);
      health = (await get(gw, '/health/deep')).json;
      expect(health.status).toBe('degraded');
      expect(health.endpoints).toMatchObject({ down: 1 });
      expect(health.endpoints.list.find((e: any) => e.id === 'gpt-eu')).toMatchObject({
        status: 'down',
        lastError: 'HTTP 503',
      });
      expect(JSON.stringify(health)).not.toMatch(/127\.0\.0\.1|https?:\/\//);

      gw.providers!.resetRequests();
      expect(await send(gw, 6)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(chatsTo(gw, 'openai-eu')).toBe(0);
      expect(chatsTo(gw, 'openai-us')).toBe(6);

      gw.providers!.clearFaults();
      await rounds(gw, 1);
      gw.providers!.resetRequests();
      await send(gw, 4);
      expect(chatsTo(gw, 'openai-eu')).toBe(0);

      await rounds(gw, 1);
      expect((await get(gw, '/health/deep')).json.endpoints).toMatchObject({ down: 0 });
      gw.providers!.resetRequests();
      await send(gw, 4);
      expect(chatsTo(gw, 'openai-eu')).toBe(2);
      expect(chatsTo(gw, 'openai-us')).toBe(2);
    });

    it('answers 503 "No healthy backend" with Retry-After when every endpoint is down', async () => {
      gw.providers!.setFault({ provider: 'openai-eu', status: 503 });
      gw.providers!.setFault({ provider: 'openai-us', status: 500 });
      await rounds(gw, 3);
      gw.providers!.resetRequests();
      const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'));
      expect(r.status).toBe(503);
      expect(r.json.error.message).toContain('No healthy backend available for model gpt-4.1');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(chatsTo(gw, 'openai-eu') + chatsTo(gw, 'openai-us')).toBe(0);
      const health = await get(gw, '/health/deep');
      expect(health.status).toBe(200); // the other models still serve
      expect(health.json.modelsDown).toEqual(['gpt-4.1']);

      gw.providers!.clearFaults();
      await rounds(gw, 2);
      expect((await post(gw, '/v1/chat/completions', hi('gpt-4.1'))).status).toBe(200);
    });
  });

  describe('latency routing', () => {
    let gw: LocalGateway;
    beforeAll(async () => {
      gw = await startTestGateway(twoEndpoints('latency'));
    });
    afterAll(() => gw.close());

    it('sends traffic to the faster endpoint, or to the caller region named by the edge', async () => {
      gw.providers!.setFault({ provider: 'openai-eu', latencyMs: 300 });
      await rounds(gw, 2);
      gw.providers!.resetRequests();
      await send(gw, 3);
      expect(chatsTo(gw, 'openai-us')).toBe(3);
      expect(chatsTo(gw, 'openai-eu')).toBe(0);

      gw.providers!.resetRequests();
      await send(gw, 2, { 'x-switchyard-region': 'eu-west-1' });
      expect(chatsTo(gw, 'openai-eu')).toBe(2);
    });
  });
});
