/**
 * Model health and SLOs through a started local gateway: requests over HTTP, upstream faults at the
 * simulated providers, then GET /v1/stats and GET /health/deep checked field by field against what
 * the traffic must have produced (counts and rates computed from the faults injected, breaker
 * states from the breaker rules, verdicts from latencies the faults impose).
 *
 * The breaker window is set to 10 minutes so a test never straddles more than the two aligned
 * windows the failure rate covers.
 */
import { latencyBucket, meanMs, quantileMs } from '../../functions/core/latency-histogram';
import type { LiveEndpoint } from '../../functions/core/stats/endpoint-health';
import type { ScopeStats, StatsReport } from '../../functions/core/stats/stats-report';
import { parseTableRow, renderStatsTable } from '../../bin/lib/stats-table';
import { utcDay } from '../../functions/core/time';
import type { LocalGateway } from '../../local/gateway';
import { eventually, get, hi, post, startTestGateway } from '../helpers/local-gateway';

const GPT_ENDPOINT = 'openai-gpt-4.1';
const DEEPSEEK_ENDPOINT = 'deepseek-v3.2';

const stats = async (gw: LocalGateway): Promise<StatsReport> => {
  const r = await get(gw, '/v1/stats?days=1');
  expect(r.status).toBe(200);
  return r.json;
};
const scope = (s: StatsReport, name: string): ScopeStats | undefined =>
  [...s.days[0].models, ...s.days[0].scopes].find((x) => x.scope === name);
const live = (s: StatsReport, id: string): LiveEndpoint => s.endpoints!.find((e) => e.id === id)!;

describe('endpoint health in /v1/stats and /health/deep', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway((cfg) => {
      // One key drives every failure here: let it open the shared breaker alone.
      cfg.breaker = { failureThreshold: 5, windowMs: 600_000, cooldownMs: 600_000, minDistinctKeys: 1 };
    });
  });
  afterAll(() => gw.close());

  it('counts calls, failures and the breaker per endpoint as the faults drive them', async () => {
    // 3 good calls to gpt-4.1.
    for (let i = 0; i < 3; i++) expect((await post(gw, '/v1/chat/completions', hi('gpt-4.1'))).status).toBe(200);
    // Then 4 failures: two requests, each tries gpt-4.1 twice (retry) and falls back to deepseek.
    gw.providers!.setFault({ model: 'gpt-4.1', status: 503, times: 4 });
    for (let i = 0; i < 2; i++) {
      const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'));
      expect(r.status).toBe(200);
      expect(r.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:503,gpt-4.1:503,deepseek-v3.2:200');
    }

    // 7 calls, 4 failures: the breaker counts 4 of its 5 and stays closed.
    let s = await eventually(async () => {
      const got = await stats(gw);
      expect(live(got, GPT_ENDPOINT).window?.calls).toBe(7);
      return got;
    });
    expect(live(s, GPT_ENDPOINT)).toMatchObject({
      model: 'gpt-4.1',
      breaker: {
        state: 'closed',
        failuresInWindow: 4,
        failureThreshold: 5,
        failingKeys: 1,
        minDistinctKeys: 1,
        windowMs: 600_000,
        retryInMs: null,
      },
      window: { calls: 7, failures: 4, failureRate: Number((4 / 7).toFixed(4)) },
      inFlight: 0,
    });

    // One more failing request: its first attempt is the 5th failure and opens the breaker, so
    // its retry is skipped, not sent.
    gw.providers!.setFault({ model: 'gpt-4.1', status: 503, times: 1 });
    const opened = await post(gw, '/v1/chat/completions', hi('gpt-4.1'));
    expect(opened.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:503,gpt-4.1:open,deepseek-v3.2:200');
    s = await eventually(async () => {
      const got = await stats(gw);
      expect(live(got, GPT_ENDPOINT).window?.calls).toBe(8);
      return got;
    });
    const gpt = live(s, GPT_ENDPOINT);
    expect(gpt.breaker).toMatchObject({ state: 'open', failuresInWindow: 5 });
    expect(gpt.breaker.retryInMs).toBeGreaterThan(0);
    expect(gpt.breaker.retryInMs).toBeLessThanOrEqual(600_000);
    expect(gpt.window).toMatchObject({ calls: 8, failures: 5, failureRate: 0.625 });
    // deepseek answered the three fallbacks without a failure.
    expect(live(s, DEEPSEEK_ENDPOINT)).toMatchObject({
      breaker: { state: 'closed', failuresInWindow: 0 },
      window: { calls: 3, failures: 0, failureRate: 0 },
    });

    // The day's per-endpoint rows: one per upstream call, success rate from the same calls.
    expect(scope(s, `endpoint#${GPT_ENDPOINT}`)).toMatchObject({
      kind: 'endpoint',
      requests: 8,
      successes: 3,
      errors: 5,
      successRate: 0.375,
    });
    expect(scope(s, `endpoint#${DEEPSEEK_ENDPOINT}`)).toMatchObject({
      requests: 3,
      successes: 3,
      errors: 0,
      successRate: 1,
    });
    // The model row counts requests, not calls: 6 requests named gpt-4.1, 3 answered by it.
    expect(scope(s, 'model#gpt-4.1')).toMatchObject({ requests: 3, successes: 3 });
    expect(scope(s, 'model#deepseek-v3.2')).toMatchObject({ requests: 3, successes: 3 });

    // Endpoint rows count calls only; the mean call time is over the breaker window.
    const rows = await gw.deps.report.usage(utcDay(Date.now()));
    const row = rows.find((r) => r.scope === `endpoint#${GPT_ENDPOINT}`)!;
    expect(row).toMatchObject({ requests: 8, successes: 3, errors: 5, costMicros: 0, latency: {} });
    expect(gpt.window!.avgMs).toBeGreaterThan(0);
    // The model row has the latency: its average and percentiles from one histogram.
    const modelRow = rows.find((r) => r.scope === 'model#gpt-4.1')!;
    expect(scope(s, 'model#gpt-4.1')).toMatchObject({
      avgMs: meanMs(modelRow.latency),
      p95Ms: quantileMs(modelRow.latency, 0.95),
    });

    // /health/deep: the same breaker and window per endpoint, and the model view.
    const health = await get(gw, '/health/deep');
    expect(health.status).toBe(200);
    const entry = health.json.endpoints.list.find((e: { id: string }) => e.id === GPT_ENDPOINT);
    expect(entry).toMatchObject({
      model: 'gpt-4.1',
      breaker: { state: 'open', failuresInWindow: 5 },
      window: { calls: 8, failures: 5, failureRate: 0.625 },
      inFlight: 0,
      today: { requests: 8, successes: 3, errors: 5, successRate: 0.375 },
    });
    const model = health.json.modelHealth.find((m: { id: string }) => m.id === 'gpt-4.1');
    expect(model).toMatchObject({
      breakers: { closed: 0, open: 1, halfOpen: 0 },
      window: { calls: 8, failures: 5, failureRate: 0.625 },
      today: {
        requests: 3,
        successRate: 1,
        avgMs: meanMs(modelRow.latency),
        p95Ms: quantileMs(modelRow.latency, 0.95),
      },
    });
    // The breaker open routes gpt-4.1 traffic to its fallback without calling it.
    const skipped = await post(gw, '/v1/chat/completions', hi('gpt-4.1'));
    expect(skipped.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:open,deepseek-v3.2:200');

    // npm run report prints the endpoints' live table with the same values.
    const table = renderStatsTable(await stats(gw));
    const line = table.split('\n').find((l) => parseTableRow(l)[0] === GPT_ENDPOINT)!;
    expect(parseTableRow(line)).toEqual([GPT_ENDPOINT, 'unknown', 'open', '8', '5', '62.5%', '0']);
  });

  it('shows a call in flight while it runs, and 0 once it is done', async () => {
    gw.providers!.setFault({ model: 'deepseek-chat', latencyMs: 1_500, times: 1 });
    const pending = post(gw, '/v1/chat/completions', hi('deepseek-v3.2'));
    await eventually(async () => {
      expect(live(await stats(gw), DEEPSEEK_ENDPOINT).inFlight).toBe(1);
    }, 5_000);
    expect((await pending).status).toBe(200);
    const after = await eventually(async () => {
      const got = live(await stats(gw), DEEPSEEK_ENDPOINT);
      expect(got.window?.avgInFlight).toBeGreaterThan(0);
      return got;
    });
    expect(after.inFlight).toBe(0);
    // 1.5 s of a call over at most two 10-minute windows.
    expect(after.window!.avgInFlight).toBeLessThan(0.01);
  });
});

describe('SLO verdicts in /v1/stats', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway((cfg) => {
      const model = (id: string) => cfg.models.find((m: { id: string }) => m.id === id);
      // Met whatever the machine's load: a minute to the first token.
      model('gemini-2.5-flash').slo = { ttftMs: 60_000 };
      // Missed by construction: every call below takes at least 400 ms.
      model('deepseek-v3.2').slo = { tier: 'fast', totalMs: 600_000 };
      // Streams: the first token is judged apart from the whole stream.
      model('gpt-4.1').slo = { ttftMs: 60_000, totalMs: 1_000, percentile: 'p50' };
      model('nova-pro').slo = null;
      cfg.routes['chat-default'].variants = [
        { model: 'gemini-2.5-flash', weight: 1 },
        { model: 'deepseek-v3.2', weight: 1 },
      ];
    });
  });
  afterAll(() => gw.close());

  it('says which model met its objective today, from the same histograms the usage rows hold', async () => {
    for (let i = 0; i < 3; i++)
      expect((await post(gw, '/v1/chat/completions', hi('gemini-2.5-flash'))).status).toBe(200);
    gw.providers!.setFault({ model: 'deepseek-chat', latencyMs: 400 });
    for (let i = 0; i < 2; i++) expect((await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'))).status).toBe(200);
    const stream = await post(gw, '/v1/chat/completions', hi('deepseek-v3.2', { stream: true }));
    expect(stream.status).toBe(200);
    gw.providers!.clearFaults();
    // A stream whose content trickles in: 300 ms between chunks.
    gw.providers!.setFault({ model: 'gpt-4.1', chunkDelayMs: 300 });
    expect((await post(gw, '/v1/chat/completions', hi('gpt-4.1', { stream: true, max_tokens: 12 }))).status).toBe(200);
    gw.providers!.clearFaults();
    expect((await post(gw, '/v1/chat/completions', hi('nova-pro'))).status).toBe(200);

    const s = await eventually(async () => {
      const got = await stats(gw);
      expect(got.days[0].total.requests).toBe(8);
      return got;
    });
    const model = (id: string) => scope(s, `model#${id}`)!;

    expect(model('gemini-2.5-flash').slo).toMatchObject({ tier: null, percentile: 'p95', met: true, total: null });
    expect(model('gemini-2.5-flash').slo!.ttft).toMatchObject({ targetMs: 60_000, met: true });

    const ds = model('deepseek-v3.2').slo!;
    expect(ds).toMatchObject({ tier: 'fast', percentile: 'p95', met: false });
    expect(ds.ttft).toMatchObject({ targetMs: 200, met: false });
    expect(ds.ttft!.observedMs).toBeGreaterThanOrEqual(400);
    // The whole-request objective is generous and met: only the first-token one fails the day.
    expect(ds.total).toMatchObject({ targetMs: 600_000, met: true });

    // The stream (~6 chunks 300 ms apart): first token long before the end; the whole stream over its 1 s objective.
    const gpt = model('gpt-4.1').slo!;
    expect(gpt.ttft!.met).toBe(true);
    expect(gpt.total!.met).toBe(false);
    expect(gpt.total!.observedMs).toBeGreaterThanOrEqual(1_000);
    expect(gpt.ttft!.observedMs).toBeLessThanOrEqual(gpt.total!.observedMs! - 600);
    expect(gpt.met).toBe(false);

    expect(model('nova-pro').slo).toBeNull();

    // The verdict reads the histograms the usage rows hold: same percentile, same bucket.
    const rows = await gw.deps.report.usage(utcDay(Date.now()));
    const dsRow = rows.find((r) => r.scope === 'model#deepseek-v3.2')!;
    expect(Object.values(dsRow.firstToken!).reduce((a, b) => a + b, 0)).toBe(3);
    expect(ds.ttft!.observedMs).toBe(quantileMs(dsRow.firstToken!, 0.95));
    const gptRow = rows.find((r) => r.scope === 'model#gpt-4.1')!;
    expect(Object.keys(gptRow.firstToken!)).not.toEqual(Object.keys(gptRow.latency));
    expect(Number(Object.keys(gptRow.firstToken!)[0])).toBeLessThan(latencyBucket(gpt.total!.observedMs!));

    // The report prints the verdicts.
    const table = renderStatsTable(s).split('\n');
    const cells = (label: string) => parseTableRow(table.find((l) => l.startsWith(`${label} `))!);
    expect(cells('slo deepseek-v3.2')).toEqual([
      'slo deepseek-v3.2',
      'fast',
      'p95',
      '200',
      String(ds.ttft!.observedMs),
      '600000',
      String(ds.total!.observedMs),
      'no',
    ]);
    expect(cells('slo gemini-2.5-flash').at(-1)).toBe('yes');
    expect(table.some((l) => l.startsWith('slo nova-pro'))).toBe(false);
  });

  it('gives the A/B variant rows their average latency (from the histogram) and cost per request', async () => {
    const before = (await stats(gw)).days[0].total.requests;
    const n = 12;
    for (let i = 0; i < n; i++) {
      const r = await post(gw, '/v1/chat/completions', {
        model: 'chat-default',
        messages: [{ role: 'user', content: `variant ${i}` }],
      });
      expect(r.status).toBe(200);
    }
    const s = await eventually(async () => {
      const got = await stats(gw);
      expect(got.days[0].total.requests).toBe(before + n);
      return got;
    });
    const variants = s.days[0].scopes.filter((x) => x.kind === 'variant');
    expect(variants.reduce((sum, v) => sum + v.requests, 0)).toBe(n);
    const rows = await gw.deps.report.usage(utcDay(Date.now()));
    for (const v of variants) {
      const row = rows.find((r) => r.scope === v.scope)!;
      expect(v.avgMs).toBe(meanMs(row.latency));
      expect(v.costMicros).toBeGreaterThan(0);
      expect(v.costPerRequestMicros).toBe(Math.round(v.costMicros / v.requests));
      expect(v.costPerRequestUsd).toBe((Math.round(v.costMicros / v.requests) / 1e6).toFixed(6));
      expect(v.successRate).toBe(1);
    }
  });
});
