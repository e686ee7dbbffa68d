/**
 * The local cutover end to end: blue (config/switchyard.json) and green (config/green.json, which
 * replaces gpt-4.1 with gpt-4.1-turbo) behind the emulator's weighted alias, real HTTP clients, the
 * pre-traffic check, the time-scaled canary and the alarm rules on what the versions emit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLoad, type LoadReport } from '../../local/cutover/load';
import { runCutover, type CutoverResult } from '../../local/cutover/run-cutover';
import type { LocalGateway } from '../../local/gateway';
import { eventually, get, post, startTestGateway } from '../helpers/local-gateway';

const GREEN = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'green.json'), 'utf8'));
/** One schedule minute: the 5-minute canary takes 2 s, an alarm period 0.4 s. */
const MINUTE_MS = 400;
const NEW_MODEL = 'gpt-4.1-turbo';

interface Run {
  gw: LocalGateway;
  result: CutoverResult;
  clients: LoadReport;
  /** /health of whatever the alias serves after the decision. */
  servingVersion: string;
  upstream: Array<{ model: string; status: number }>;
  /** What the console's cutover view showed once the rehearsal had decided. */
  consoleView: any;
}

const savedExtra = process.env.SWITCHYARD_SIM_EXTRA_MODELS;
afterEach(() => {
  if (savedExtra === undefined) delete process.env.SWITCHYARD_SIM_EXTRA_MODELS;
  else process.env.SWITCHYARD_SIM_EXTRA_MODELS = savedExtra;
});

async function cutover(opts: {
  upstreamKnowsNewModel: boolean;
  failAfterCheck?: number;
  /** Once traffic shifts, this model fails for blue and green alike (a provider incident). */
  sharedOutage?: { model: string; status: number };
  /** The route clients call (default `auto`, whose first choice is the model under cutover). */
  route?: string;
  /** Applied to both configs. */
  edit?: (cfg: any) => void;
  /**
   * Green's canary share. The alarm tests raise it from 10%: a time-scaled minute holds a few dozen
   * requests, and judging green needs some of them in most periods whatever the machine's speed.
   */
  canaryPercent?: number;
  minuteMs?: number;
  concurrency?: number;
}): Promise<Run> {
  if (opts.upstreamKnowsNewModel) process.env.SWITCHYARD_SIM_EXTRA_MODELS = NEW_MODEL;
  else delete process.env.SWITCHYARD_SIM_EXTRA_MODELS;
  const gw = await startTestGateway(opts.edit);
  const green = structuredClone(GREEN);
  opts.edit?.(green);
  if (opts.canaryPercent) green.cutover = { ...green.cutover, percent: opts.canaryPercent };
  const load = startLoad({
    url: gw.url,
    apiKey: gw.demoKey,
    concurrency: opts.concurrency ?? 6,
    bodies: [{ model: opts.route ?? 'auto', messages: [{ role: 'user', content: 'hi' }] }],
  });
  try {
    const result = await runCutover({
      gateway: gw,
      greenConfig: green,
      minuteMs: opts.minuteMs ?? MINUTE_MS,
      beforeFirstShift: () => {
        if (opts.failAfterCheck) gw.providers!.setFault({ model: NEW_MODEL, status: opts.failAfterCheck });
        if (opts.sharedOutage) gw.providers!.setFault(opts.sharedOutage);
      },
    });
    await sleep(100);
    const clients = await load.stop();
    const servingVersion = (await get(gw, '/health/deep')).json.version as string;
    const upstream = gw.providers!.requests().map((r) => ({ model: r.model, status: r.status }));
    const consoleView = (await get(gw, '/v1/admin/cutover')).json;
    return { gw, result, clients, servingVersion, upstream, consoleView };
  } finally {
    await load.stop();
    await gw.close();
  }
}

/** Retries without backoff: a failing request takes milliseconds, not seconds, on a loaded machine. */
const fastRetries = (cfg: any) => {
  cfg.retry = { ...cfg.retry, baseDelayMs: 1, maxDelayMs: 1 };
};

const types = (r: CutoverResult) => r.events.map((e) => e.type).filter((t) => t !== 'period');

describe('local blue-green cutover', () => {
  it('a healthy green passes the pre-traffic check, takes the canary share, then all traffic', async () => {
    const { result, clients, servingVersion, consoleView } = await cutover({ upstreamKnowsNewModel: true });
    expect(result.outcome).toBe('completed');
    // The console's cutover view followed the rehearsal.
    expect(consoleView).toMatchObject({ state: 'completed', blue: '1', green: '2', weights: { '2': 100 } });
    expect(consoleView.alarms.length).toBeGreaterThan(0);
    expect(consoleView.events.join('\n')).toContain('complete');
    expect(result.preTraffic?.ok).toBe(true);
    expect(result.preTraffic?.outcomes).toContainEqual(
      expect.objectContaining({ kind: 'model', name: NEW_MODEL, ok: true, servedBy: NEW_MODEL }),
    );
    expect(types(result)).toEqual(['start', 'pre_traffic', 'shift', 'complete']);
    expect(result.events.find((e) => e.type === 'shift')).toMatchObject({ atMinute: 0, weights: { '1': 90, '2': 10 } });
    expect(result.events.find((e) => e.type === 'complete')).toMatchObject({ atMinute: 5, weights: { '2': 100 } });
    const periods = result.events.filter((e) => e.type === 'period');
    expect(periods).toHaveLength(5);
    for (const p of periods)
      if (p.type === 'period') for (const a of Object.values(p.period.alarms)) expect(a.state).not.toBe('ALARM');
    expect(result.alias.invocations('2')).toBeGreaterThan(0);
    expect(servingVersion).toBe('2');
    expect(clients.errors).toBe(0);
    expect(clients.ok).toBeGreaterThan(0);
  }, 30_000);

  it('a green whose new model starts failing is rolled back by the alarms, and clients see no error', async () => {
    // An alarm needs two periods in a row with green requests in them: with 10% of the traffic, a
    // 0.4 s period on a loaded CI machine can see none. Longer periods and more clients make the
    // sample, not the machine's speed, decide the outcome.
    const { result, clients, servingVersion, upstream, consoleView } = await cutover({
      upstreamKnowsNewModel: true,
      failAfterCheck: 500,
      // Half the traffic on green and no retry backoff: two periods out of three with green requests
      // finishing in them, however slow the machine is (a period needs only one: the time-scaled
      // minimum sample is 1).
      canaryPercent: 50,
      edit: fastRetries,
      minuteMs: 1500,
      concurrency: 12,
    });
    expect(result.preTraffic?.ok).toBe(true);
    expect(result.outcome).toBe('rolled_back');
    expect(types(result)).toEqual(['start', 'pre_traffic', 'shift', 'rollback']);
    expect(result.alarms!.some((a) => a === 'ErrorRate' || a === 'FallbackRate')).toBe(true);
    const rollback = result.events.find((e) => e.type === 'rollback')!;
    expect(rollback).toMatchObject({ weights: { '1': 100 } });
    // It never reached the full shift: rolled back during the canary, at the latest on the period
    // that ends at minute 5, which is evaluated before the step to 100% (a slow machine gets there).
    expect(rollback.type === 'rollback' && rollback.atMinute).toBeLessThanOrEqual(5);
    expect(servingVersion).toBe('1');
    expect(consoleView).toMatchObject({ state: 'rolled_back', weights: { '1': 100 } });
    // Green did take canary traffic, its new model failed upstream, and every request still succeeded:
    // inside each request the chain moved on (to the next candidate, ending with the replaced gpt-4.1).
    expect(result.alias.invocations('2')).toBeGreaterThan(0);
    expect(upstream).toContainEqual({ model: NEW_MODEL, status: 500 });
    expect(clients.errors).toBe(0);
    expect(clients.ok).toBeGreaterThan(0);
  }, 30_000);

  it('a provider outage that hurts blue and green alike during the canary does not roll back', async () => {
    // Clients call chat-default, whose first choice (gemini-2.5-flash) both versions share; it answers
    // 500 from the first shift on. Breakers stay closed (a threshold no run reaches), so every request
    // of either version fails the same way: two attempts on gemini, then deepseek answers. Absolute
    // rates are far above every threshold (200 failed attempts and 100 fallbacks per 100 requests);
    // the difference from blue is 0, and the cutover completes.
    const { result, clients, servingVersion, upstream } = await cutover({
      upstreamKnowsNewModel: true,
      route: 'chat-default',
      sharedOutage: { model: 'gemini-2.5-flash', status: 500 },
      edit: (cfg) => {
        fastRetries(cfg);
        cfg.breaker = { ...cfg.breaker, failureThreshold: 1_000_000 };
      },
      canaryPercent: 30,
      minuteMs: 1000,
      concurrency: 12,
    });
    expect(result.preTraffic?.ok).toBe(true);
    expect(upstream).toContainEqual({ model: 'gemini-2.5-flash', status: 500 });
    const periods = result.events.flatMap((e) => (e.type === 'period' ? [e.period] : []));
    // The outage was visible to the alarms: periods where green had requests, all with fallbacks.
    const judged = periods.filter((p) => p.requests.green > 0 && p.requests.blue > 0);
    expect(judged.length).toBeGreaterThan(0);
    // No period alarms: the shared outage hurts both versions, so the relative alarms stay below
    // their thresholds. (The two versions' rates are no longer identical to the request: blue and
    // green instances hold quota slices and slots differently, and a period can differ by a few
    // requests; the alarms' M-of-N evaluation is what must not trip.)
    for (const p of periods) {
      for (const a of Object.values(p.alarms)) expect(a.state).not.toBe('ALARM');
    }
    expect(result.outcome).toBe('completed');
    expect(types(result)).toEqual(['start', 'pre_traffic', 'shift', 'complete']);
    expect(servingVersion).toBe('2');
    expect(clients.errors).toBe(0);
  }, 30_000);

  it('a green whose new model does not exist upstream is refused before any traffic', async () => {
    const { result, clients, servingVersion } = await cutover({ upstreamKnowsNewModel: false });
    expect(result.outcome).toBe('refused');
    expect(types(result)).toEqual(['start', 'pre_traffic']);
    const failed = result.preTraffic!.outcomes.filter((o) => !o.ok);
    expect(failed).toEqual([
      expect.objectContaining({
        kind: 'model',
        name: NEW_MODEL,
        status: 502,
        tries: 1,
        detail: expect.stringMatching(/upstream_model_not_found.*does not exist/),
      }),
    ]);
    expect(result.alias.invocations('2')).toBe(0);
    expect(result.alias.invocations('1')).toBeGreaterThan(0);
    expect(servingVersion).toBe('1');
    expect(clients.errors).toBe(0);
  }, 30_000);
});

describe('A/B variants inside a route', () => {
  it('reports each variant of a weighted split in /v1/stats: requests, successes, latency, tokens, cost', async () => {
    const gw = await startTestGateway((cfg) => {
      cfg.routes['chat-default'].variants = [
        { model: 'gemini-2.5-flash', weight: 1 },
        { model: 'deepseek-v3.2', weight: 1 },
      ];
    });
    try {
      const n = 30;
      for (let i = 0; i < n; i++) {
        const r = await post(gw, '/v1/chat/completions', {
          model: 'chat-default',
          messages: [{ role: 'user', content: `hello ${i}` }],
        });
        expect(r.status).toBe(200);
        expect(['gemini-2.5-flash', 'deepseek-v3.2']).toContain(r.headers.get('x-switchyard-variant'));
      }
      const variants = await eventually(async () => {
        const stats = await get(gw, '/v1/stats');
        expect(stats.status).toBe(200);
        const rows = stats.json.days[0].scopes.filter((s: { kind: string }) => s.kind === 'variant');
        expect(rows.reduce((sum: number, r: { requests: number }) => sum + r.requests, 0)).toBe(n);
        return rows;
      });
      expect(variants.map((v: { name: string }) => v.name).sort()).toEqual([
        'chat-default:deepseek-v3.2',
        'chat-default:gemini-2.5-flash',
      ]);
      for (const v of variants) {
        expect(v.successes).toBe(v.requests);
        expect(v.errors).toBe(0);
        expect(v.p50Ms).toEqual(expect.any(Number));
        expect(v.p99Ms).toEqual(expect.any(Number));
        expect(v.inputTokens).toBeGreaterThan(0);
        expect(v.outputTokens).toBeGreaterThan(0);
        expect(v.costMicros).toBeGreaterThan(0);
      }
    } finally {
      await gw.close();
    }
  }, 30_000);
});
