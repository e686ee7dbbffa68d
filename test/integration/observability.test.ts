/**
 * Observability end to end through the local runtime (emulator -> authorizer -> router -> simulated
 * upstreams, dynalite): the EMF and JSON logs a real request produces, the overhead header, that
 * logs never hold a key or a prompt, and that GET /v1/stats and `npm run report` show the usage
 * counters exactly.
 */
import { captureTelemetry, type CapturedTelemetry } from '../../functions/adapters/telemetry/sinks';
import { METRICS, REQUEST_METRICS } from '../../functions/core/telemetry/metric-names';
import { parseTableRow } from '../../bin/lib/stats-table';
import type { DayStats, ScopeStats, StatsReport } from '../../functions/core/stats/stats-report';
import { utcDay } from '../../functions/core/time';
import { fetchStats, report } from '../../bin/report';
import type { LocalGateway } from '../../local/gateway';
import { eventually, get, hi, post, startTestGateway } from '../helpers/local-gateway';
import { integerHeader } from '../helpers/headers';

const usdToMicros = (usd: string | null) => Math.round(Number(usd) * 1e6);

/** The request's EMF documents, found by the request id the router put in the request document. */
function emfOf(cap: CapturedTelemetry, requestId: string) {
  const docs = cap.emf();
  const request = docs.find((d) => d.requestId === requestId);
  return { request, docs };
}

describe('observability: EMF, logs and the overhead header of real requests', () => {
  let gw: LocalGateway;
  const cap = captureTelemetry();
  beforeAll(async () => {
    gw = await startTestGateway(undefined, { telemetry: cap.sink });
  });
  afterAll(() => gw.close());
  afterEach(() => gw.providers!.clearFaults());

  it('a request refused before any upstream call still gets its metrics (ClientErrors)', async () => {
    const r = await post(gw, '/v1/chat/completions', hi('gpt-9'));
    expect(r.status).toBe(404);
    const { request } = await eventually(async () => {
      const found = emfOf(cap, r.headers.get('x-request-id')!);
      expect(found.request).toBeDefined();
      return found;
    });
    expect(request).toMatchObject({ Requests: 1, ClientErrors: 1, ServerErrors: 0 });
  });

  it('a served request writes EMF with its model, route, version, tokens and cost', async () => {
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'));
    expect(r.status).toBe(200);
    const requestId = r.headers.get('x-request-id')!;
    const { request, docs } = await eventually(async () => {
      const found = emfOf(cap, requestId);
      expect(found.request).toBeDefined();
      return found;
    });
    expect(request!._aws.CloudWatchMetrics[0].Namespace).toBe('Switchyard');
    expect(request!._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name)).toEqual(
      REQUEST_METRICS.filter((n) => n !== METRICS.timeToFirstToken),
    );
    expect(request).toMatchObject({
      Stack: 'local',
      FunctionVersion: '1',
      Model: 'gpt-4.1',
      Route: 'direct',
      Requests: 1,
      ServerErrors: 0,
      Fallbacks: 0,
      InputTokens: r.json.usage.prompt_tokens,
      OutputTokens: r.json.usage.completion_tokens,
      CostMicroUsd: usdToMicros(r.headers.get('x-switchyard-cost-usd')),
    });
    // The metric and the header carry the same measurement.
    expect(request!.Overhead).toBe(integerHeader(r.headers, 'x-switchyard-overhead-ms'));
    expect(request!.Latency).toBeGreaterThanOrEqual(request!.Overhead);
    // Spend without the version, for budget alarms.
    expect(
      docs.some(
        (d) => d.CostMicroUsd === request!.CostMicroUsd && d.Model === 'gpt-4.1' && d.FunctionVersion === undefined,
      ),
    ).toBe(true);
  });

  it('a fallback counts the upstream errors per model and class, and the fallback', async () => {
    gw.providers!.setFault({ model: 'gpt-4.1', status: 503 });
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'));
    expect(r.status).toBe(200);
    const answeredBy = r.headers.get('x-switchyard-model')!;
    expect(answeredBy).not.toBe('gpt-4.1');
    const failed = r.headers
      .get('x-switchyard-attempts')!
      .split(',')
      .filter((a) => a === 'gpt-4.1:503').length;
    expect(failed).toBeGreaterThan(0);
    const { request, docs } = await eventually(async () => {
      const found = emfOf(cap, r.headers.get('x-request-id')!);
      expect(found.request).toBeDefined();
      return found;
    });
    expect(request).toMatchObject({ Model: answeredBy, Fallbacks: 1, ServerErrors: 0 });
    const perClass = docs.filter((d) => d.ErrorClass === '5xx' && d.Model === 'gpt-4.1');
    expect(perClass.length).toBeGreaterThan(0);
    expect(perClass[perClass.length - 1].UpstreamErrors).toBe(failed);
    expect(perClass[perClass.length - 1]._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['Stack', 'Model', 'ErrorClass', 'FunctionVersion'],
    ]);
  });

  describe('x-switchyard-overhead-ms is present and smaller than the total time', () => {
    const timed = async <T>(f: () => Promise<T>) => {
      const t0 = performance.now();
      const out = await f();
      return { out, ms: performance.now() - t0 };
    };

    it('on a JSON answer', async () => {
      const { out, ms } = await timed(() => post(gw, '/v1/chat/completions', hi('deepseek-v3.2')));
      expect(out.status).toBe(200);
      expect(integerHeader(out.headers, 'x-switchyard-overhead-ms')).toBeLessThan(ms);
    });

    it('on a stream (in the headers, before the first byte)', async () => {
      const t0 = performance.now();
      const res = await fetch(gw.url + '/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.demoKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(hi('gemini-2.5-flash', { stream: true })),
      });
      const overhead = integerHeader(res.headers, 'x-switchyard-overhead-ms');
      const body = await res.text();
      const ms = performance.now() - t0;
      expect(res.status).toBe(200);
      expect(body).toContain('data: [DONE]');
      expect(overhead).toBeLessThan(ms);
    });

    it('on an upstream failure and on an error before any upstream call', async () => {
      gw.providers!.setFault({ status: 500 });
      const { out, ms } = await timed(() => post(gw, '/v1/chat/completions', hi('gpt-4.1')));
      expect(out.status).toBeGreaterThanOrEqual(500);
      expect(integerHeader(out.headers, 'x-switchyard-overhead-ms')).toBeLessThan(ms);
      gw.providers!.clearFaults();

      const bad = await timed(() => post(gw, '/v1/chat/completions', '{"model":'));
      expect(bad.out.status).toBe(400);
      expect(integerHeader(bad.out.headers, 'x-switchyard-overhead-ms')).toBeLessThan(bad.ms);
    });
  });

  it('logs of a request with a key and a prompt contain neither (and do contain the request)', async () => {
    const prompt = 'the launch code is PURPLE-OTTER-7731, keep it secret';
    cap.clear();
    gw.providers!.setFault({ model: 'gpt-4.1', status: 503, times: 1 });
    const r = await post(gw, '/v1/chat/completions', {
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: prompt }],
    });
    expect(r.status).toBe(200);
    const s = await post(gw, '/v1/chat/completions', {
      model: 'gemini-2.5-flash',
      stream: true,
      messages: [{ role: 'user', content: prompt }],
    });
    expect(s.status).toBe(200);
    const requestLogs = () => cap.logs.filter((l) => l.line.includes('"message":"request"'));
    await eventually(async () => expect(requestLogs().length).toBe(2));
    const line = JSON.parse(requestLogs().find((l) => l.line.includes(r.headers.get('x-request-id')!))!.line);
    expect(line).toMatchObject({
      model: r.headers.get('x-switchyard-model'),
      status: 200,
      keyId: expect.stringMatching(/^key_/),
    });
    const everything = cap.text();
    expect(everything).not.toContain(gw.demoKey);
    expect(everything).not.toContain('PURPLE-OTTER-7731');
    expect(everything).not.toMatch(/Bearer\s+sk-/);
  });
});

describe('GET /v1/stats and npm run report', () => {
  let gw: LocalGateway;
  const today = () => utcDay(Date.now());
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  const statsOf = async (days?: number): Promise<StatsReport> => {
    const r = await get(gw, `/v1/stats${days ? `?days=${days}` : ''}`);
    expect(r.status).toBe(200);
    return r.json;
  };

  it('matches the usage counters and the ledger after some requests, and the table prints the same numbers', async () => {
    const replies = [
      await post(gw, '/v1/chat/completions', hi('gpt-4.1')),
      await post(gw, '/v1/chat/completions', hi('deepseek-v3.2')),
      await post(gw, '/v1/chat/completions', hi('deepseek-v3.2', { stream: true })),
      await post(gw, '/v1/chat/completions', hi('chat-default')),
    ];
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const knownCost = replies
      .filter((r) => r.headers.get('x-switchyard-cost-usd'))
      .reduce((s, r) => s + usdToMicros(r.headers.get('x-switchyard-cost-usd')), 0);

    // Counters are written after the response: wait until all four requests are in.
    const stats = await eventually(async () => {
      const s = await statsOf();
      expect(s.days[0].total.requests).toBe(4);
      expect(s.days[0].budgets.find((b) => b.scope === 'global')?.spentMicros).toBe(s.days[0].total.costMicros);
      return s;
    });
    expect(stats.object).toBe('switchyard.stats');
    expect(stats.days.map((d) => d.day)).toEqual([today(), utcDay(Date.now() - 86_400_000)]);
    const d = stats.days[0];
    expect(d.total.successes).toBe(4);
    // The configured limit, not the ledger's sum over the shards this traffic happened to touch.
    expect(d.budgets.find((b) => b.scope === 'global')!.limitMicros).toBe(100_000_000);
    expect(stats.days[1].budgets.map((b) => [b.scope, b.spentMicros])).toEqual([['global', 0]]);
    expect(d.total.costMicros).toBeGreaterThanOrEqual(knownCost); // the stream's cost is not in a header
    expect(d.total.costUsd).toBe((d.total.costMicros / 1e6).toFixed(6));

    // Stats equal the usage counters row by row.
    const rows = await gw.deps.report.usage(today());
    for (const row of rows) {
      const shown = [...d.models, ...d.scopes].find((x) => x.scope === row.scope)!;
      expect(shown).toMatchObject({
        requests: row.requests,
        successes: row.successes,
        errors: row.errors,
        inputTokens: row.promptTokens,
        outputTokens: row.completionTokens,
        costMicros: row.costMicros,
      });
    }
    expect(d.models.map((m) => m.scope).sort()).toEqual(
      rows
        .filter((r) => r.scope.startsWith('model#'))
        .map((r) => r.scope)
        .sort(),
    );
    expect(d.scopes.map((s) => s.scope)).toContain('route#chat-default');
    expect(d.models.find((m) => m.name === 'deepseek-v3.2')!.requests).toBe(2);

    // The report prints what /v1/stats says, cell by cell.
    const table = await report({ url: gw.url, apiKey: gw.demoKey, days: 2 });
    const again = await fetchStats({ url: `${gw.baseUrl}/`, apiKey: gw.demoKey, days: 2 });
    expect(again.days[0].total).toEqual(d.total);
    expectTablePrints(table, again.days[0]);
  });

  it('takes days=1..31, rejects other values, and is for admin keys only', async () => {
    expect((await statsOf(7)).days).toHaveLength(7);
    expect((await statsOf(1)).days.map((d) => d.day)).toEqual([today()]);
    const bad = await get(gw, '/v1/stats?days=32');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'invalid_value', param: 'days' });

    const userKey = 'sk-sy-observability-test-user-key-000000';
    await gw.keys.create(userKey, { name: 'not an admin', admin: false });
    const denied = await get(gw, '/v1/stats', { authorization: `Bearer ${userKey}` });
    expect(denied.status).toBe(403);
    await expect(report({ url: gw.url, apiKey: userKey, days: 2 })).rejects.toThrow(/403/);
  });
});

function expectTablePrints(table: string, day: DayStats): void {
  const lines = table.split('\n');
  const start = lines.findIndex((l) => l.startsWith(day.day));
  expect(start).toBeGreaterThanOrEqual(0);
  const next = lines.findIndex((l, i) => i > start && /^\d{4}-\d{2}-\d{2}/.test(l));
  const section = lines.slice(start, next === -1 ? undefined : next);
  const cellsOf = (label: string) => {
    const line = section.find((l) => parseTableRow(l)[0] === label);
    expect(line).toBeDefined();
    return parseTableRow(line!);
  };
  const expected = (s: ScopeStats) => [
    String(s.requests),
    String(s.successes),
    String(s.errors),
    String(s.inputTokens),
    String(s.outputTokens),
    s.costUsd,
    s.costPerRequestUsd ?? '-',
    String(s.avgMs ?? '-'),
    String(s.p50Ms ?? '-'),
    String(s.p95Ms ?? '-'),
    String(s.p99Ms ?? '-'),
  ];
  expect(cellsOf('total').slice(1)).toEqual(expected(day.total));
  for (const m of day.models) expect(cellsOf(`model ${m.name}`).slice(1)).toEqual(expected(m));
  for (const s of day.scopes) expect(cellsOf(`${s.kind} ${s.name}`).slice(1)).toEqual(expected(s));
  for (const b of day.budgets) {
    expect(cellsOf(b.scope).slice(1)).toEqual([
      b.limitUsd,
      b.spentUsd,
      b.reservedUsd,
      b.usedPercent === null ? '-' : `${b.usedPercent.toFixed(1)}%`,
    ]);
  }
}
