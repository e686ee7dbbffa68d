/**
 * The picker reads health through the StateSnapshot port only: records in domain terms in, an
 * endpoint out. Down endpoints are skipped, stale records count as unknown (usable), and a pool with
 * every endpoint down reports `down`.
 */
import defaultConfig from '../../config/switchyard.json';
import { compileConfig, type CompiledModel } from '../../functions/core/config/compile';
import type { EndpointHealth, HealthStatus } from '../../functions/core/health/endpoint-health';
import type { StateSnapshot } from '../../functions/ports/state-snapshot';
import { createHealthAwareEndpointPicker } from '../../functions/router/health-aware-endpoint-picker';
import { seeded } from '../../local/seeded-random';

const NOW = 10_000_000;
const POOL = ['e0', 'e1', 'e2'];

function pool() {
  const cfg = structuredClone(defaultConfig) as any;
  const m = cfg.models.find((x: any) => x.id === 'gpt-4.1');
  m.balancing = 'weighted';
  m.endpoints = POOL.map((id) => ({ id, provider: 'openai', upstreamModel: 'gpt-4.1', weight: 1 }));
  const config = compileConfig(cfg);
  return { config, model: config.models.get('gpt-4.1') as CompiledModel };
}

const record = (status: HealthStatus, probedAt = NOW - 1_000, extra: Partial<EndpointHealth> = {}): EndpointHealth => ({
  status,
  consecutiveFailures: status === 'down' ? 3 : 0,
  consecutiveSuccesses: status === 'down' ? 0 : 5,
  probedAt,
  changedAt: probedAt,
  ...extra,
});

function snapshotWith(health: Record<string, EndpointHealth>): StateSnapshot {
  return {
    breaker: () => undefined,
    health: (id) => health[id],
    ensureFresh: async () => undefined,
    refresh: async () => undefined,
    loadedAt: () => NOW,
  };
}

function pickerFor(health: Record<string, EndpointHealth>) {
  const { config, model } = pool();
  const picker = createHealthAwareEndpointPicker({
    config,
    snapshot: snapshotWith(health),
    random: seeded(3),
    now: () => NOW,
  });
  const picks = new Set<string>();
  for (let i = 0; i < 200; i++) picks.add(picker.pick(model, { exclude: new Set() })?.id ?? 'none');
  return { picker, model, picks };
}

test('endpoints the snapshot reports down are never picked', () => {
  const { picks } = pickerFor({ e0: record('down'), e1: record('healthy'), e2: record('healthy') });
  expect([...picks].sort()).toEqual(['e1', 'e2']);
});

test('a stale record counts as unknown, so the endpoint is used again', () => {
  const { picker, picks } = pickerFor({ e0: record('down', 0), e1: record('down'), e2: record('down') });
  expect(picker.view('e0')).toEqual({ status: 'unknown' });
  expect([...picks]).toEqual(['e0']);
});

test('the view carries the record: status, latency and last error', () => {
  const { picker } = pickerFor({ e1: record('degraded', NOW - 500, { latencyEwmaMs: 2_500, lastError: 'HTTP 503' }) });
  expect(picker.view('e1')).toEqual({ status: 'degraded', latencyEwmaMs: 2_500, lastError: 'HTTP 503' });
  expect(picker.view('e2')).toEqual({ status: 'unknown' });
});

test('every endpoint down: nothing to pick and the pool reports down', () => {
  const { picker, model, picks } = pickerFor({ e0: record('down'), e1: record('down'), e2: record('down') });
  expect([...picks]).toEqual(['none']);
  expect(picker.modelStatus(model)).toBe('down');
});
