/**
 * Telemetry without mocks: the pure metric plan (core), and the Powertools adapter writing real EMF
 * and JSON log lines into a capturing sink.
 */
import { createPowertoolsTelemetry } from '../../functions/adapters/telemetry/powertools-telemetry';
import { captureTelemetry } from '../../functions/adapters/telemetry/sinks';
import { errorClassOf, metricDocuments } from '../../functions/core/telemetry/metric-documents';
import {
  DIMENSIONS,
  METRICS,
  METRIC_NAMESPACE,
  REQUEST_METRICS,
  ROUTER_DIMENSION_SETS,
} from '../../functions/core/telemetry/metric-names';
import { redact, REDACTED, scrubSecrets } from '../../functions/core/telemetry/redact';
import type { RequestSummary } from '../../functions/core/telemetry/request-summary';

const KEY = 'sk-sy-demo-local-only-0000000000000000';

function summary(over: Partial<RequestSummary> = {}): RequestSummary {
  return {
    requestId: 'req-1',
    functionVersion: '7',
    keyId: 'key_0123456789abcdef',
    route: 'auto',
    intent: 'general',
    variant: null,
    model: 'deepseek-v3.2',
    endpoint: 'deepseek-v3.2',
    stream: true,
    status: 200,
    attempts: [
      { model: 'gpt-4.1', endpoint: 'openai-gpt-4.1', outcome: 503, ms: 20 },
      { model: 'gpt-4.1', endpoint: 'openai-gpt-4.1', outcome: 'timeout', ms: 30 },
      { model: 'claude-sonnet-4.5', endpoint: 'anthropic-claude-sonnet-4.5', outcome: 'skipped_open', ms: 0 },
      { model: 'deepseek-v3.2', endpoint: 'deepseek-v3.2', outcome: 200, ms: 40 },
    ],
    fallbacks: 2,
    totalMs: 130,
    upstreamMs: 90,
    overheadMs: 12,
    ttftMs: 70,
    promptTokens: 11,
    completionTokens: 29,
    costMicros: 16,
    breakersOpened: ['openai-gpt-4.1'],
    ...over,
  };
}

/** Metric name -> value for each EMF document, with its dimension sets (sorted for comparison). */
function decode(doc: Record<string, any>) {
  const cw = doc._aws.CloudWatchMetrics[0];
  return {
    namespace: cw.Namespace as string,
    sets: (cw.Dimensions as string[][]).map((s) => [...s].sort()),
    names: (cw.Metrics as Array<{ Name: string }>).map((m) => m.Name),
    units: Object.fromEntries((cw.Metrics as Array<{ Name: string; Unit: string }>).map((m) => [m.Name, m.Unit])),
    value: (name: string) => doc[name],
  };
}

const sorted = (sets: ReadonlyArray<ReadonlyArray<string>>) => sets.map((s) => [...s].sort());

describe('errorClassOf', () => {
  it.each([
    [200, null],
    [429, '429'],
    [503, '5xx'],
    [500, '5xx'],
    [408, 'timeout'],
    [401, 'auth'],
    [404, 'not_found'],
    [400, '4xx'],
    ['timeout', 'timeout'],
    ['connection', 'connection'],
    ['rate_limited', '429'],
    ['server_error', '5xx'],
    ['stream_error', 'stream'],
    ['aborted', null],
    ['skipped_open', null],
    ['skipped_budget', null],
  ] as const)('%s -> %s', (outcome, cls) => {
    expect(errorClassOf(outcome)).toBe(cls);
  });
});

describe('metricDocuments (pure)', () => {
  it('counts the request per version, model and route; failures per model and class; spend without version', () => {
    const docs = metricDocuments(summary(), 'Switchyard-prod');
    const [request, totals, ...rest] = docs;
    // Every set starts with Stack; [Stack] alone is the stack total over all versions.
    expect(request.dimensionSets).toEqual([
      ['Stack'],
      ['Stack', 'FunctionVersion'],
      ['Stack', 'Model', 'FunctionVersion'],
      ['Stack', 'Route', 'FunctionVersion'],
    ]);
    expect(request.dimensions).toEqual({
      Stack: 'Switchyard-prod',
      FunctionVersion: '7',
      Model: 'deepseek-v3.2',
      Route: 'auto',
    });
    expect(Object.fromEntries(request.metrics.map((m) => [m.name, m.value]))).toEqual({
      Requests: 1,
      ServerErrors: 0,
      ClientErrors: 0,
      Fallbacks: 1,
      Latency: 130,
      Overhead: 12,
      TimeToFirstToken: 70,
      InputTokens: 11,
      OutputTokens: 29,
      CostMicroUsd: 16,
    });
    expect(totals).toMatchObject({
      dimensionSets: [['Stack'], ['Stack', 'FunctionVersion']],
      metrics: [
        { name: 'UpstreamErrors', value: 2 },
        { name: 'BreakerOpened', value: 1 },
      ],
    });
    const byClass = rest.filter((d) => d.dimensionSets[0].includes('ErrorClass'));
    expect(byClass.map((d) => [d.dimensions.Model, d.dimensions.ErrorClass, d.metrics[0].value])).toEqual([
      ['gpt-4.1', '5xx', 1],
      ['gpt-4.1', 'timeout', 1],
    ]);
    const breaker = rest.find((d) => d.dimensionSets[0].includes('Endpoint'))!;
    expect(breaker.dimensions).toEqual({ Stack: 'Switchyard-prod', Endpoint: 'openai-gpt-4.1', FunctionVersion: '7' });
    const spend = rest.find((d) => d.metrics.some((m) => m.name === 'CostMicroUsd'));
    expect(spend).toEqual({
      dimensions: { Stack: 'Switchyard-prod', Model: 'deepseek-v3.2' },
      dimensionSets: [['Stack'], ['Stack', 'Model']],
      metrics: [{ name: 'CostMicroUsd', unit: 'None', value: 16 }],
    });
  });

  it('publishes latency and time to first token per model without the version (the SLO alarms)', () => {
    const latency = (s: ReturnType<typeof summary>) =>
      metricDocuments(s, 'Switchyard-prod').find((d) => d.metrics.some((m) => m.name === 'FirstTokenLatency'));
    expect(latency(summary())).toEqual({
      dimensions: { Stack: 'Switchyard-prod', Model: 'deepseek-v3.2' },
      dimensionSets: [['Stack', 'Model']],
      metrics: [
        { name: 'Latency', unit: 'Milliseconds', value: 130 },
        { name: 'FirstTokenLatency', unit: 'Milliseconds', value: 70 },
      ],
    });
    // Not streamed: the first token came with the whole answer.
    expect(latency(summary({ stream: false, ttftMs: undefined, totalMs: 480 }))?.metrics).toEqual([
      { name: 'Latency', unit: 'Milliseconds', value: 480 },
      { name: 'FirstTokenLatency', unit: 'Milliseconds', value: 480 },
    ]);
    // Refused before any model: no model to judge.
    expect(latency(summary({ model: null }))).toBeUndefined();
  });

  it('uses only the dimension sets declared in metric-names.ts', () => {
    const declared = Object.values(ROUTER_DIMENSION_SETS).flatMap((sets) => sorted(sets).map((s) => s.join(',')));
    for (const doc of metricDocuments(summary())) {
      for (const set of doc.dimensionSets) expect(declared).toContain([...set].sort().join(','));
      for (const m of doc.metrics) expect(Object.values(METRICS)).toContain(m.name);
    }
    expect(metricDocuments(summary())[0].metrics.map((m) => m.name)).toEqual([...REQUEST_METRICS]);
  });

  it('a direct request routes as "direct"; a non-stream has no TTFT; a 502 counts as a server error with zeros elsewhere', () => {
    const [request, totals] = metricDocuments(
      summary({
        route: null,
        stream: false,
        ttftMs: undefined,
        status: 502,
        attempts: [{ model: 'gpt-4.1', endpoint: 'e', outcome: 'connection', ms: 5 }],
        fallbacks: 0,
        breakersOpened: [],
        model: 'gpt-4.1',
      }),
    );
    expect(request.dimensions.Route).toBe('direct');
    const values = Object.fromEntries(request.metrics.map((m) => [m.name, m.value]));
    expect(values).toMatchObject({ ServerErrors: 1, ClientErrors: 0, Fallbacks: 0 });
    expect(values.TimeToFirstToken).toBeUndefined();
    expect(totals.metrics).toEqual([
      { name: 'UpstreamErrors', unit: 'Count', value: 1 },
      { name: 'BreakerOpened', unit: 'Count', value: 0 },
    ]);
  });

  it('a stream that broke after its 200 head is a server error; a client that left is not', () => {
    const serverErrors = (over: Partial<RequestSummary>) =>
      metricDocuments(summary(over))[0].metrics.find((m) => m.name === 'ServerErrors')!.value;
    expect(serverErrors({ status: 200, errorCode: 'upstream_stream_error' })).toBe(1);
    expect(serverErrors({ status: 200, errorCode: 'client_disconnected' })).toBe(0);
    expect(serverErrors({ status: 429, errorCode: 'upstream_rate_limited' })).toBe(0);
    expect(serverErrors({ status: 504, errorCode: 'upstream_timeout' })).toBe(1);
  });

  it('a request with no model emits only the stack and version sets and no spend', () => {
    const docs = metricDocuments(
      summary({ model: null, route: null, status: 503, attempts: [], breakersOpened: [], costMicros: 0 }),
    );
    expect(docs[0].dimensionSets).toEqual([['Stack'], ['Stack', 'FunctionVersion']]);
    expect(docs.some((d) => d.metrics.some((m) => m.name === 'CostMicroUsd') && d !== docs[0])).toBe(false);
  });

  it('never emits a set without the Stack dimension, and takes the stack from the caller (default local)', () => {
    for (const stack of [undefined, 'Switchyard-dev']) {
      for (const doc of metricDocuments(summary(), stack)) {
        expect(doc.dimensions.Stack).toBe(stack ?? 'local');
        for (const set of doc.dimensionSets) expect(set[0]).toBe('Stack');
      }
    }
  });

  it('drops values CloudWatch would reject', () => {
    const [request] = metricDocuments(summary({ totalMs: Number.NaN, overheadMs: -3 }));
    expect(request.metrics.map((m) => m.name)).not.toEqual(expect.arrayContaining(['Latency', 'Overhead']));
  });
});

describe('Powertools telemetry adapter', () => {
  it('writes EMF documents with the expected names, units, dimension sets and values', () => {
    const cap = captureTelemetry();
    const { telemetry } = createPowertoolsTelemetry({
      sink: cap.sink,
      env: { SWITCHYARD_STACK_NAME: 'Switchyard-prod' },
    });
    telemetry.requestDone(summary());
    const docs = cap.emf().map(decode);
    expect(docs.every((d) => d.namespace === METRIC_NAMESPACE)).toBe(true);

    const request = docs.find((d) => d.names.includes(METRICS.requests))!;
    expect(request.sets).toEqual(sorted(ROUTER_DIMENSION_SETS.request));
    expect(request.names).toEqual([...REQUEST_METRICS]);
    expect(request.units).toMatchObject({
      Requests: 'Count',
      Latency: 'Milliseconds',
      TimeToFirstToken: 'Milliseconds',
      CostMicroUsd: 'None',
    });
    expect(request.value(DIMENSIONS.version)).toBe('7');
    expect(request.value(DIMENSIONS.stack)).toBe('Switchyard-prod');
    expect(request.value(DIMENSIONS.model)).toBe('deepseek-v3.2');
    expect(request.value(DIMENSIONS.route)).toBe('auto');
    expect([
      request.value('Requests'),
      request.value('Latency'),
      request.value('TimeToFirstToken'),
      request.value('Overhead'),
    ]).toEqual([1, 130, 70, 12]);
    expect([
      request.value('InputTokens'),
      request.value('OutputTokens'),
      request.value('CostMicroUsd'),
      request.value('Fallbacks'),
    ]).toEqual([11, 29, 16, 1]);
    // Powertools' default `service` dimension would change every metric's identity: it must be gone.
    expect(JSON.stringify(cap.metrics)).not.toContain('"service"');

    const totals = docs.find((d) => d.names.includes(METRICS.upstreamErrors) && d.sets.length === 2)!;
    expect(totals.sets).toEqual([['Stack'], ['FunctionVersion', 'Stack']]);
    expect(totals.value('UpstreamErrors')).toBe(2);
    expect(totals.value('BreakerOpened')).toBe(1);

    const classes = docs.filter((d) => d.sets[0]?.includes('ErrorClass'));
    expect(classes.map((d) => d.sets)).toEqual([
      [['ErrorClass', 'FunctionVersion', 'Model', 'Stack']],
      [['ErrorClass', 'FunctionVersion', 'Model', 'Stack']],
    ]);
    expect(classes.map((d) => `${d.value('Model')}/${d.value('ErrorClass')}=${d.value('UpstreamErrors')}`)).toEqual([
      'gpt-4.1/5xx=1',
      'gpt-4.1/timeout=1',
    ]);

    const spend = docs.find((d) => d.names.length === 1 && d.names[0] === METRICS.costMicros)!;
    expect(spend.sets).toEqual([['Stack'], ['Model', 'Stack']]);
    expect(spend.value('CostMicroUsd')).toBe(16);
    expect(spend.value('FunctionVersion')).toBeUndefined();

    // The request log line carries the decision, not the secrets.
    const line = JSON.parse(cap.logs.find((l) => l.line.includes('"message":"request"'))!.line);
    expect(line).toMatchObject({
      level: 'INFO',
      requestId: 'req-1',
      route: 'auto',
      model: 'deepseek-v3.2',
      status: 200,
      totalMs: 130,
      costUsd: '0.000016',
    });
    expect(line.attempts).toHaveLength(4);
    // No warnings from Powertools (dimension collisions, invalid values).
    expect(cap.logs.filter((l) => l.level !== 'info')).toEqual([]);
  });

  it('keeps state per call: two requests with different models never share dimensions', () => {
    const cap = captureTelemetry();
    const { telemetry } = createPowertoolsTelemetry({ sink: cap.sink, env: {} });
    telemetry.requestDone(summary({ model: 'gpt-4.1', route: null, attempts: [], breakersOpened: [] }));
    telemetry.requestDone(
      summary({ model: 'gemini-2.5-flash', functionVersion: '8', attempts: [], breakersOpened: [] }),
    );
    const requests = cap.emf().filter((d) => 'Requests' in d);
    expect(requests.map((d) => [d.Model, d.Route, d.FunctionVersion, d.Requests])).toEqual([
      ['gpt-4.1', 'direct', '7', 1],
      ['gemini-2.5-flash', 'auto', '8', 1],
    ]);
  });

  it('deps.log redacts keys, Authorization headers and prompt text unless SWITCHYARD_LOG_PROMPTS=true', () => {
    const fields = {
      requestId: 'r',
      headers: { Authorization: `Bearer ${KEY}`, 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'my secret plan' }] }),
      messages: [{ role: 'user', content: 'my secret plan' }],
      error: new Error(`upstream said: bad key ${KEY}`),
      promptTokens: 12,
    };
    const quiet = captureTelemetry();
    createPowertoolsTelemetry({ sink: quiet.sink, env: {} }).log('warn', `failed for Bearer ${KEY}`, fields);
    expect(quiet.text()).not.toContain(KEY);
    expect(quiet.text()).not.toContain('my secret plan');
    const parsed = JSON.parse(quiet.logs[0].line);
    expect(parsed).toMatchObject({
      level: 'WARN',
      requestId: 'r',
      promptTokens: 12,
      headers: { Authorization: REDACTED, 'x-api-key': REDACTED, 'content-type': 'application/json' },
    });

    const debug = captureTelemetry();
    createPowertoolsTelemetry({ sink: debug.sink, env: { SWITCHYARD_LOG_PROMPTS: 'true' } }).log('debug', 'x', fields);
    // Debug lines are dropped at the default INFO level; at warn the prompt shows and the key still does not.
    createPowertoolsTelemetry({ sink: debug.sink, env: { SWITCHYARD_LOG_PROMPTS: 'true' } }).log('warn', 'x', fields);
    expect(debug.text()).toContain('my secret plan');
    expect(debug.text()).not.toContain(KEY);
  });
});

describe('redact (pure)', () => {
  it('scrubs bearer tokens and sk- keys inside any string', () => {
    expect(scrubSecrets(`auth: Bearer abc.def, key ${KEY} end`)).toBe(
      `auth: Bearer ${REDACTED}, key sk-${REDACTED} end`,
    );
  });

  it('redacts secret-named fields at any depth, keeps counters and the caller key record', () => {
    const out = redact({
      a: { b: { apiKey: 'x', OPENAI_API_KEY: 'y', password: 'p', set_cookie: 'c' } },
      key: { keyId: 'key_1', keyName: 'ci', admin: false },
      promptTokens: 3,
      completionTokens: 4,
    }) as any;
    expect(out.a.b).toEqual({ apiKey: REDACTED, OPENAI_API_KEY: REDACTED, password: REDACTED, set_cookie: REDACTED });
    expect(out.key).toEqual({ keyId: 'key_1', keyName: 'ci', admin: false });
    expect([out.promptTokens, out.completionTokens]).toEqual([3, 4]);
  });

  it('survives cycles and deep objects', () => {
    const a: any = { name: 'a' };
    a.self = a;
    let deep: any = {};
    const root = deep;
    for (let i = 0; i < 20; i++) deep = deep.next = {};
    expect(() => redact({ a, root })).not.toThrow();
    expect((redact(a) as any).self).toBe('[circular]');
  });
});
