/**
 * What each strategy does across instances (docs/architecture/balancing.md): on Lambda every
 * instance is a fresh picker that serves one request at a time, so a strategy is judged by the
 * first picks of many new pickers, not by one picker's long run.
 */
import defaultConfig from '../../config/switchyard.json';
import { compileConfig, type CompiledModel } from '../../functions/core/config/compile';
import {
  createHealthAwareEndpointPicker,
  ROUND_ROBIN_START_SPAN,
} from '../../functions/router/health-aware-endpoint-picker';
import type { StateSnapshot } from '../../functions/ports/state-snapshot';
import { seeded } from '../../local/seeded-random';

const POOL = ['e0', 'e1', 'e2', 'e3'];

function pool(balancing: string, weights = [1, 1, 1, 1]) {
  const cfg = structuredClone(defaultConfig) as any;
  const m = cfg.models.find((x: any) => x.id === 'gpt-4.1');
  m.balancing = balancing;
  m.endpoints = POOL.map((id, i) => ({ id, provider: 'openai', upstreamModel: 'gpt-4.1', weight: weights[i] }));
  const config = compileConfig(cfg);
  return { config, model: config.models.get('gpt-4.1') as CompiledModel };
}

// No health data: every endpoint counts as usable.
const noHealth: StateSnapshot = {
  breaker: () => undefined,
  health: () => undefined,
  ensureFresh: async () => undefined,
  refresh: async () => undefined,
  loadedAt: () => 0,
};

const firstPicks = (balancing: string, instances: number, extra: Record<string, unknown> = {}) => {
  const { config, model } = pool(balancing);
  const random = seeded(11);
  const counts: Record<string, number> = Object.fromEntries(POOL.map((id) => [id, 0]));
  for (let i = 0; i < instances; i++) {
    const picker = createHealthAwareEndpointPicker({ config, snapshot: noHealth, random, ...extra });
    counts[picker.pick(model, { exclude: new Set() })!.id]++;
  }
  return counts;
};

describe('balancing across instances', () => {
  it('round robin: new instances start at a random endpoint, so cold starts spread over the pool', () => {
    const counts = firstPicks('round_robin', 400);
    // Each endpoint gets a quarter of the first picks within 7 points; with a fixed start it would be 400/0/0/0.
    for (const id of POOL) expect(Math.abs(counts[id] / 400 - 0.25)).toBeLessThan(0.07);
  });

  it('round robin: one instance still cycles through every endpoint in order from its start', () => {
    const { config, model } = pool('round_robin');
    const picker = createHealthAwareEndpointPicker({ config, snapshot: noHealth, random: () => 0.6 });
    const order = Array.from({ length: 8 }, () => picker.pick(model, { exclude: new Set() })!.id);
    const start = Math.floor(0.6 * ROUND_ROBIN_START_SPAN) % POOL.length;
    expect(order).toEqual(Array.from({ length: 8 }, (_, i) => POOL[(start + i) % POOL.length]));
  });

  it('round robin: the start span divides evenly by every pool size up to 16', () => {
    for (let n = 1; n <= 16; n++) expect(ROUND_ROBIN_START_SPAN % n).toBe(0);
  });

  it('least in-flight without a shared source: every instance sees a tie, so picks follow the weights', () => {
    const counts = firstPicks('least_inflight', 400);
    for (const id of POOL) expect(Math.abs(counts[id] / 400 - 0.25)).toBeLessThan(0.07);
  });

  it('least in-flight with a shared source: every new instance picks the least loaded endpoint', () => {
    const shared: Record<string, number> = { e0: 7, e1: 3, e2: 9, e3: 4 };
    const counts = firstPicks('least_inflight', 50, { inflightSource: (id: string) => shared[id] });
    expect(counts).toEqual({ e0: 0, e1: 50, e2: 0, e3: 0 });
  });

  it('least in-flight with a shared source ignores the instance-local count', () => {
    const { config, model } = pool('least_inflight');
    const picker = createHealthAwareEndpointPicker({
      config,
      snapshot: noHealth,
      random: seeded(3),
      inflightSource: (id) => (id === 'e2' ? 0 : 5),
    });
    picker.started('e2');
    picker.started('e2');
    expect(picker.pick(model, { exclude: new Set() })!.id).toBe('e2');
  });

  it("least in-flight on Lambda: the fleet's call times share out new instances' picks by Little's law", () => {
    // e0 answers in 100 ms, e1 in 300 ms, e2 unmeasured (the median, 300 ms), e3 in 900 ms: equal
    // in-flight per endpoint means rates in proportion to 1 / call time, i.e. 9 : 3 : 3 : 1.
    const callMs: Record<string, number | undefined> = { e0: 100, e1: 300, e2: undefined, e3: 900 };
    const snapshot: StateSnapshot = {
      ...noHealth,
      health: (id) =>
        callMs[id] === undefined
          ? undefined
          : {
              status: 'healthy',
              consecutiveFailures: 0,
              consecutiveSuccesses: 3,
              probedAt: Date.now(),
              changedAt: Date.now(),
              fleetCallMs: callMs[id],
            },
    };
    const counts = firstPicks('least_inflight', 1600, { snapshot });
    const share = (id: string) => counts[id] / 1600;
    expect(Math.abs(share('e0') - 9 / 16)).toBeLessThan(0.05);
    expect(Math.abs(share('e1') - 3 / 16)).toBeLessThan(0.04);
    expect(Math.abs(share('e2') - 3 / 16)).toBeLessThan(0.04);
    expect(Math.abs(share('e3') - 1 / 16)).toBeLessThan(0.03);
  });

  it("least in-flight: an instance's own counts, when it has any, still decide over the fleet's call times", () => {
    const { config, model } = pool('least_inflight');
    const snapshot: StateSnapshot = {
      ...noHealth,
      health: (id) => ({
        status: 'healthy',
        consecutiveFailures: 0,
        consecutiveSuccesses: 3,
        probedAt: Date.now(),
        changedAt: Date.now(),
        fleetCallMs: id === 'e3' ? 10 : 1000,
      }),
    };
    const picker = createHealthAwareEndpointPicker({ config, snapshot, random: seeded(5) });
    for (const id of ['e0', 'e1', 'e3']) picker.started(id);
    expect(picker.pick(model, { exclude: new Set() })!.id).toBe('e2');
  });
});
