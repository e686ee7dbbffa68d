import { fromItem, toItem, type HealthRecord } from '../../functions/adapters/dynamo/health-item';
import { healthMetricData } from '../../functions/adapters/telemetry/cloudwatch-health-metrics';
import { describeFailure, probeEndpoint } from '../../functions/health-check/probe';
import type { CompiledEndpoint } from '../../functions/core/config/compile';
import type { UpstreamClient } from '../../functions/ports/upstream';
import { UpstreamFailure } from '../../functions/ports/upstream';
import { DIMENSIONS, METRICS } from '../../functions/core/telemetry/metric-names';

const record: HealthRecord = {
  status: 'down',
  consecutiveFailures: 3,
  consecutiveSuccesses: 0,
  latencyEwmaMs: 123.6,
  lastLatencyMs: 98,
  lastError: 'HTTP 503',
  probedAt: 1_767_225_600_000,
  changedAt: 1_767_225_590_000,
  version: 7,
};

describe('health item codec', () => {
  it('stores the item at endpoint#<id> / health and reads back what it wrote', () => {
    const item = toItem('openai-us', record);
    expect(item.pk).toEqual({ S: 'endpoint#openai-us' });
    expect(item.sk).toEqual({ S: 'health' });
    expect(Number(item.expiresAt.N)).toBeGreaterThan(record.probedAt / 1000);
    expect(fromItem(item)).toEqual({ ...record, latencyEwmaMs: 124 });
  });

  it('keeps the count of rounds down, and reads items without it as not counted', () => {
    expect(fromItem(toItem('x', { ...record, downRounds: 4 }))?.downRounds).toBe(4);
    expect(fromItem(toItem('x', record))).not.toHaveProperty('downRounds');
  });

  it('leaves optional fields out and reads them back as undefined', () => {
    const item = toItem('x', { ...record, latencyEwmaMs: undefined, lastLatencyMs: undefined, lastError: undefined });
    expect(Object.keys(item)).not.toEqual(expect.arrayContaining(['latencyEwmaMs']));
    expect(fromItem(item)).toMatchObject({ latencyEwmaMs: undefined, lastError: undefined });
  });

  it.each([
    ['no item', undefined],
    ['an unknown status', { ...toItem('x', record), status: { S: 'sideways' } }],
    [
      'no probe time',
      (() => {
        const i = toItem('x', record);
        delete i.probedAt;
        return i;
      })(),
    ],
  ])('reads %s as unknown', (_, item) => {
    expect(fromItem(item)).toBeUndefined();
  });
});

describe('health metrics', () => {
  it('sends EndpointUp and EndpointLatency per endpoint, HealthyEndpoints per model, BreakerOpen per endpoint', () => {
    const data = healthMetricData(
      {
        at: 1_000,
        endpoints: [
          { endpointId: 'e1', model: 'm', up: true, latencyMs: 42 },
          { endpointId: 'e2', model: 'm', up: false },
        ],
        models: [{ model: 'm', healthyEndpoints: 1 }],
        breakers: [{ endpointId: 'e1', model: 'm', open: true }],
      },
      'Switchyard-prod',
    );
    const find = (name: string, dims: Record<string, string>) =>
      data.filter(
        (d) =>
          d.MetricName === name &&
          d.Dimensions!.length === Object.keys(dims).length &&
          d.Dimensions!.every((x) => dims[x.Name!] === x.Value),
      );
    const stack = { [DIMENSIONS.stack]: 'Switchyard-prod' };
    const both = (endpoint: string) => ({ ...stack, [DIMENSIONS.endpoint]: endpoint, [DIMENSIONS.model]: 'm' });
    expect(find(METRICS.endpointUp, both('e1'))).toEqual([expect.objectContaining({ Value: 1 })]);
    expect(find(METRICS.endpointUp, both('e2'))).toEqual([expect.objectContaining({ Value: 0 })]);
    expect(find(METRICS.endpointLatency, both('e1'))).toEqual([
      expect.objectContaining({ Value: 42, Unit: 'Milliseconds' }),
    ]);
    expect(find(METRICS.endpointLatency, both('e2'))).toEqual([]);
    expect(find(METRICS.breakerOpen, { ...stack, [DIMENSIONS.endpoint]: 'e1' }).map((d) => d.Value)).toEqual([1]);
    // Every datum carries this stack's name: another stack's health never feeds these alarms.
    for (const d of data) expect(d.Dimensions).toContainEqual({ Name: 'Stack', Value: 'Switchyard-prod' });
    expect(find(METRICS.healthyEndpoints, { ...stack, [DIMENSIONS.model]: 'm' })).toEqual([
      expect.objectContaining({ Value: 1, Unit: 'Count' }),
    ]);
    for (const d of data) expect(d.Timestamp).toEqual(new Date(1_000));
    // The region gauge Route 53 fails over on: models with a healthy endpoint.
    expect(find(METRICS.availableModels, stack).map((d) => d.Value)).toEqual([1]);
    // Rounds down per endpoint, for the "down for N rounds" alarm: 0 while up.
    expect(find(METRICS.endpointDownRounds, both('e1')).map((d) => d.Value)).toEqual([0]);
    const down = healthMetricData(
      {
        at: 2_000,
        endpoints: [{ endpointId: 'e2', model: 'm', up: false, downRounds: 3 }],
        models: [],
        breakers: [],
      },
      'Switchyard-prod',
    );
    expect(down.filter((d) => d.MetricName === METRICS.endpointDownRounds)).toEqual([
      {
        MetricName: 'EndpointDownRounds',
        Dimensions: [
          { Name: 'Stack', Value: 'Switchyard-prod' },
          { Name: 'Model', Value: 'm' },
          { Name: 'Endpoint', Value: 'e2' },
        ],
        Value: 3,
        Unit: 'Count',
        Timestamp: new Date(2_000),
      },
    ]);
    const allDown = healthMetricData(
      {
        at: 1,
        endpoints: [],
        models: [
          { model: 'm', healthyEndpoints: 0 },
          { model: 'n', healthyEndpoints: 0 },
        ],
        breakers: [],
      },
      'Switchyard-prod',
    );
    expect(allDown.filter((d) => d.MetricName === METRICS.availableModels).map((d) => d.Value)).toEqual([0]);
  });
});

describe('probe failure reasons', () => {
  it('keep the kind and error code, never the host or URL', () => {
    expect(
      describeFailure(new UpstreamFailure('connection', 'connection to api.example.com failed (ECONNREFUSED)')),
    ).toBe('connection failed (ECONNREFUSED)');
    expect(describeFailure(new UpstreamFailure('timeout', 'timed out connecting to api.example.com'))).toBe('timeout');
    expect(describeFailure(new Error('https://api.example.com/v1?key=sk-secret'))).toBe('probe failed');
  });
});

describe('probe deadline', () => {
  const endpoint = {
    id: 'e1',
    model: 'm',
    providerName: 'p',
    provider: { baseUrl: 'https://p.example/v1', apiKeyRef: 'P_KEY' },
    upstreamModel: 'm',
    weight: 1,
  } as CompiledEndpoint;
  const upstream: UpstreamClient = { send: jest.fn(async () => ({ status: 200, text: async () => '{}' }) as never) };

  // A key read that never returns would hold this test until jest's timeout: the probe's own 60 ms ends it.
  it('covers reading the provider key: a hung Secrets Manager call fails the probe at its timeout', async () => {
    const result = await probeEndpoint(endpoint, 'models', 60, {
      upstream,
      bedrock: { send: jest.fn() },
      secrets: { providerKey: () => new Promise(() => undefined) },
      now: Date.now,
    });
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^timeout after 60 ms/) });
    expect(upstream.send).not.toHaveBeenCalled();
  });

  it('still says when the key cannot be read at all', async () => {
    const result = await probeEndpoint(endpoint, 'models', 1_000, {
      upstream,
      bedrock: { send: jest.fn() },
      secrets: { providerKey: async () => Promise.reject(new Error('AccessDenied')) },
      now: Date.now,
    });
    expect(result).toMatchObject({ ok: false, error: 'provider key unavailable' });
  });
});
