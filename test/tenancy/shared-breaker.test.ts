/**
 * Finding 3's breaker case, against the local runtime: three long requests from one key used to open
 * gpt-4.1's shared breaker for every key for the whole cooldown. Now a closed breaker opens only on
 * failures from at least two keys in the window (docs/architecture/breakers.md).
 */
import type { LocalGateway } from '../../local/gateway';
import { get, hi, post, startTestGateway } from '../helpers/local-gateway';
import { bearer, tenantKey } from './tenant-helpers';

const OFF = { 'x-switchyard-fallback': 'off' };
const ENDPOINT = 'openai-gpt-4.1';

/** Threshold 3: three failures are enough, so only the keys rule keeps the breaker closed. */
function startGateway(): Promise<LocalGateway> {
  return startTestGateway((c) => {
    c.breaker = { ...c.breaker, failureThreshold: 3, minDistinctKeys: 2, cooldownMs: 30_000 };
    c.retry = { maxAttemptsPerModel: 1, baseDelayMs: 0, maxDelayMs: 0 };
    // A "long request": the upstream takes longer than the request may last (a deadline that a
    // healthy answer meets easily on a loaded machine, and a fault far beyond it).
    c.gateway.requestDeadlineMs = 2_000;
  });
}

async function breaker(gw: LocalGateway): Promise<{ phase: string; failures: number }> {
  const state = await get(gw, '/v1/admin/state');
  const model = state.json.models.find((m: { id: string }) => m.id === 'gpt-4.1');
  return model.endpoints.find((e: { id: string }) => e.id === ENDPOINT).breaker;
}

const chat = (gw: LocalGateway, key: string) =>
  post(gw, '/v1/chat/completions', hi('gpt-4.1'), { ...bearer(key), ...OFF });

describe('the shared breaker and one key', () => {
  let gw: LocalGateway;
  beforeEach(async () => {
    gw = await startGateway();
  });
  afterEach(() => gw.close());

  it("does not open on one key's three long requests; another key is still served by the model", async () => {
    const hostile = await tenantKey(gw, { name: 'hostile' });
    const other = await tenantKey(gw, { name: 'other' });
    gw.providers!.setFault({ model: 'gpt-4.1', latencyMs: 30_000, times: 3 });
    for (let i = 0; i < 3; i++) expect((await chat(gw, hostile.key)).status).toBe(504);
    expect(await breaker(gw)).toEqual(expect.objectContaining({ phase: 'closed', failures: 3 }));

    gw.providers!.resetRequests();
    const served = await chat(gw, other.key);
    expect(served.status).toBe(200);
    expect(served.headers.get('x-switchyard-model')).toBe('gpt-4.1');
    expect(gw.providers!.requests().filter((q) => q.model === 'gpt-4.1')).toHaveLength(1);
  });

  it('opens once a second key fails in the same window, and then refuses a third key', async () => {
    const [first, second, third] = await Promise.all(
      ['first', 'second', 'third'].map((name) => tenantKey(gw, { name })),
    );
    gw.providers!.setFault({ model: 'gpt-4.1', status: 500 });
    for (let i = 0; i < 5; i++) expect((await chat(gw, first.key)).status).toBe(502);
    expect(await breaker(gw)).toEqual(expect.objectContaining({ phase: 'closed', failures: 5 }));

    expect((await chat(gw, second.key)).status).toBe(502);
    expect((await breaker(gw)).phase).toBe('open');

    gw.providers!.resetRequests();
    const refused = await chat(gw, third.key);
    expect([refused.status, refused.json.error.code]).toEqual([503, 'circuit_open']);
    expect(gw.providers!.requests().filter((q) => q.model === 'gpt-4.1')).toHaveLength(0);
  });
});
