/**
 * Upstream fault matrix, non-stream requests, through the local runtime. For every fault, two
 * requests at once: with a fallback the client gets a 200 from the fallback model and
 * `x-switchyard-attempts` names the failed attempts; without (`x-switchyard-fallback: off`) it gets
 * the documented status and OpenAI-shaped error. Then the ledger: no reservation or lease left, and
 * the spend equals the cost of the real usage of the attempt that answered (failed attempts cost 0).
 */
import { costMicros, microsToUsd } from '../../functions/core/pricing';
import type { FaultSpec } from '../../local/providers';
import type { Reply } from '../helpers/local-gateway';
import { expectSettled, readLedger } from './ledger-check';
import {
  BUDGETED_MODELS,
  CLIENT_KEY_ID,
  MESSAGES,
  OFF,
  UPSTREAM_KEYS,
  expectOpenAIError,
  expectSleeps,
  leaks,
  runPair,
  startUpstreamFaultGateway,
  type FaultGateway,
  type PairRun,
  type Sleeps,
  backoff,
  rateLimited,
  twice,
  upstreamError,
  upstreamTimeout,
  type FaultCase,
} from './upstream-gateway';

let f: FaultGateway;
beforeAll(async () => {
  f = await startUpstreamFaultGateway();
});
afterAll(() => f?.close());

const FALLBACK = 'deepseek-v3.2';
const KEY = `key#${CLIENT_KEY_ID}`;

const CASES: FaultCase[] = [
  {
    name: 'upstream 500',
    fault: { status: 500 },
    attempts: twice('500'),
    sleeps: backoff,
    off: { ...upstreamError, message: /HTTP 500/ },
  },
  {
    name: 'upstream 502',
    fault: { status: 502 },
    attempts: twice('502'),
    sleeps: backoff,
    off: { ...upstreamError, message: /HTTP 502/ },
  },
  {
    name: 'upstream 503',
    fault: { status: 503 },
    attempts: twice('503'),
    sleeps: backoff,
    off: { ...upstreamError, message: /HTTP 503/ },
  },
  {
    name: 'upstream 429 without Retry-After',
    fault: { status: 429 },
    attempts: twice('429'),
    sleeps: backoff,
    off: { ...rateLimited, retryAfter: null },
  },
  {
    name: 'upstream 429 with Retry-After: 1',
    fault: { status: 429, retryAfter: '1' },
    attempts: twice('429'),
    sleeps: [1000],
    off: { ...rateLimited, retryAfter: '1' },
  },
  {
    name: 'upstream 429 with a Retry-After past the deadline (no wait, next candidate)',
    fault: { status: 429, retryAfter: '3600' },
    attempts: 'gpt-4.1:429',
    sleeps: [],
    off: { ...rateLimited, retryAfter: '3600' },
  },
  {
    name: 'upstream 401 (bad provider key)',
    fault: { status: 401 },
    attempts: 'gpt-4.1:401',
    sleeps: [],
    off: {
      status: 502,
      type: 'upstream_error',
      code: 'upstream_auth_failed',
      message: /provider 'openai' rejected the gateway's credentials/,
    },
  },
  {
    name: 'connect timeout',
    model: 'gpt-4.1-unreachable',
    attempts: twice('timeout', 'gpt-4.1-unreachable'),
    sleeps: backoff,
    off: { ...upstreamTimeout, message: /timed out connecting/ },
  },
  {
    name: 'slow headers',
    fault: { latencyMs: 5_000 },
    attempts: twice('timeout'),
    sleeps: backoff,
    off: { ...upstreamTimeout, message: /waiting for response headers/ },
  },
  {
    name: 'connection reset before the response',
    fault: { reset: true },
    attempts: twice('connection'),
    sleeps: backoff,
    off: { ...upstreamError, message: /connection to .* failed/ },
  },
  {
    name: 'slow body (stalls past the idle timeout)',
    fault: { slowBodyMs: 5_000 },
    attempts: twice('timeout'),
    sleeps: backoff,
    off: { ...upstreamTimeout, message: /response body stalled/ },
  },
  {
    name: 'body cut mid-way',
    fault: { bodyCut: true },
    attempts: twice('connection'),
    sleeps: backoff,
    off: { ...upstreamError, message: /cut off/ },
  },
  {
    name: 'malformed JSON body',
    fault: { malformedBody: true },
    attempts: twice('server_error'),
    sleeps: backoff,
    off: { ...upstreamError, message: /not JSON/ },
  },
  {
    name: 'wrong content-type (200 text/html)',
    fault: { contentType: 'text/html; charset=utf-8' },
    attempts: twice('server_error'),
    sleeps: backoff,
    off: { ...upstreamError, message: /not JSON/ },
  },
];

const price = (model: string) => f.deps.config.models.get(model)!.prices;
const usageCost = (model: string, r: Reply) =>
  costMicros(price(model), {
    promptTokens: r.json.usage.prompt_tokens,
    completionTokens: r.json.usage.completion_tokens,
  });

describe.each(CASES)('$name', (c) => {
  const model = c.model ?? 'gpt-4.1';
  let run: PairRun<Reply>;
  beforeAll(async () => {
    run = await runPair(f, c.fault && { model: 'gpt-4.1', ...c.fault }, (headers) =>
      f.chat({ model, messages: MESSAGES }, headers),
    );
  });

  it('with a fallback: 200 from the fallback model, the failed attempts listed', async () => {
    const r = run.fallback;
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-model')).toBe(FALLBACK);
    expect(r.headers.get('x-switchyard-attempts')).toBe(`${c.attempts},${FALLBACK}:200`);
    expect(r.json).toMatchObject({ object: 'chat.completion', model: 'deepseek-chat' });
    expect(r.headers.get('x-switchyard-cost-usd')).toBe(microsToUsd(usageCost(FALLBACK, r)));
    expect(await f.requestLog(r.headers.get('x-request-id')!)).toMatchObject({
      status: 200,
      model: FALLBACK,
      costMicros: usageCost(FALLBACK, r),
      usageEstimated: false,
      fallbacks: 1,
    });
  });

  it(`without a fallback: ${c.off.status} ${c.off.code}`, async () => {
    const r = run.off;
    expectOpenAIError(r, c.off);
    if (c.off.retryAfter !== undefined) expect(r.headers.get('retry-after')).toBe(c.off.retryAfter);
    expect(r.headers.get('x-switchyard-attempts')).toBe(c.attempts);
    expect(r.headers.get('x-switchyard-cost-usd')).toBeNull();
    expect(await f.requestLog(r.headers.get('x-request-id')!)).toMatchObject({
      status: c.off.status,
      errorCode: c.off.code,
      costMicros: 0,
    });
  });

  it('retried as documented: the waits asked for, and the upstream calls made', () => {
    const waits = Array.isArray(c.sleeps) ? [...c.sleeps, ...c.sleeps] : { backoffs: c.sleeps.backoffs * 2 };
    expectSleeps(run.sleeps, waits);
    const failedPerRequest = c.attempts.split(',').length;
    if (model === 'gpt-4.1')
      expect(run.upstream.filter((q) => q.model === 'gpt-4.1')).toHaveLength(failedPerRequest * 2);
    expect(run.upstream.filter((q) => q.model === 'deepseek-chat')).toHaveLength(1);
  });

  it('the ledger: settled spend is the fallback answer real cost; the failed attempts cost 0', () => {
    const cost = usageCost(FALLBACK, run.fallback);
    expect(cost).toBeGreaterThan(0);
    expect(run.settled.spentDelta).toBe(cost);
    expect(run.settled.usageCostDelta).toEqual({ [`model#${FALLBACK}`]: cost, [KEY]: cost });
    expect(run.settled.usageRequestsDelta).toEqual({ [`model#${FALLBACK}`]: 1, [`model#${model}`]: 1, [KEY]: 2 });
    expect(run.settled.usageErrorsDelta).toEqual({ [`model#${model}`]: 1, [KEY]: 1 });
    // The endpoint rows count upstream calls: every failed attempt of both requests, and the answer.
    const failedPerRequest = c.attempts.split(',').length;
    const endpointOf = (id: string) => f.gw.deps.config.models.get(id)!.endpoints.map((e) => `endpoint#${e.id}`);
    const failedOn = endpointOf(model);
    const callsOn = (rows: Record<string, number>, ids: string[]) => ids.reduce((n, id) => n + (rows[id] ?? 0), 0);
    expect(callsOn(run.settled.endpointErrorsDelta, failedOn)).toBe(failedPerRequest * 2);
    expect(callsOn(run.settled.endpointCallsDelta, failedOn)).toBe(failedPerRequest * 2);
    expect(callsOn(run.settled.endpointCallsDelta, endpointOf(FALLBACK))).toBe(1);
    expect(callsOn(run.settled.endpointErrorsDelta, endpointOf(FALLBACK))).toBe(0);
  });
});

describe('a retry on the same model that succeeds', () => {
  it.each([
    ['429 with Retry-After: 1 waits exactly the Retry-After', { status: 429, retryAfter: '1', times: 1 }, [1000]],
    ['429 without Retry-After waits one full-jitter backoff', { status: 429, times: 1 }, backoff],
    ['503 once waits one full-jitter backoff', { status: 503, times: 1 }, backoff],
    ['a connection reset once', { reset: true, times: 1 }, backoff],
    ['a malformed body once', { malformedBody: true, times: 1 }, backoff],
  ] as Array<[string, FaultSpec, Sleeps]>)('%s', async (_name, fault, sleeps) => {
    f.sleeps.length = 0;
    f.sim.resetRequests();
    f.sim.setFault({ model: 'gpt-4.1', ...fault });
    const before = await readLedger(f.gw);
    const r = await f.chat({ model: 'gpt-4.1', messages: MESSAGES }, OFF);

    expect(r.status).toBe(200);
    const failed = fault.status ? String(fault.status) : fault.reset ? 'connection' : 'server_error';
    expect(r.headers.get('x-switchyard-attempts')).toBe(`gpt-4.1:${failed},gpt-4.1:200`);
    expectSleeps(f.sleeps, sleeps);
    const calls = f.sim.requests().filter((q) => q.model === 'gpt-4.1');
    expect(calls).toHaveLength(2);
    // A lower bound only: the second call cannot have started before the Retry-After passed.
    if (Array.isArray(sleeps)) expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(sleeps[0] - 10);

    const cost = usageCost('gpt-4.1', r);
    const settled = await expectSettled(f.gw, before, { requests: 1, modelsWithBudget: BUDGETED_MODELS });
    expect(settled.spentDelta).toBe(cost);
    expect(settled.usageCostDelta).toEqual({ 'model#gpt-4.1': cost, [KEY]: cost });
  });
});

describe('slow but within the timeouts', () => {
  it.each([
    ['slow headers (150 ms; timeout 400 ms)', { latencyMs: 150 }],
    ['a slow body (150 ms gap; idle timeout 400 ms)', { slowBodyMs: 150 }],
  ] as Array<[string, FaultSpec]>)('%s: answered by the model asked for, no retry', async (_name, fault) => {
    f.sim.setFault({ model: 'gpt-4.1', ...fault });
    const before = await readLedger(f.gw);
    const r = await f.chat({ model: 'gpt-4.1', messages: MESSAGES });
    f.sim.clearFaults();
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:200');
    expect((await expectSettled(f.gw, before, { requests: 1, modelsWithBudget: BUDGETED_MODELS })).spentDelta).toBe(
      usageCost('gpt-4.1', r),
    );
  });
});

describe('secrets under the fault matrix', () => {
  it('sent the provider keys upstream, and no key (or its hash) appears in any log line, body or header', async () => {
    f.sim.resetRequests();
    for (const model of ['gpt-4.1', 'deepseek-v3.2'])
      expect((await f.chat({ model, messages: MESSAGES }, OFF)).status).toBe(200);
    expect(f.sim.requests().map((r) => r.authorization)).toEqual([
      `Bearer ${UPSTREAM_KEYS.OPENAI_API_KEY}`,
      `Bearer ${UPSTREAM_KEYS.DEEPSEEK_API_KEY}`,
    ]);

    const lines = f.logLines();
    expect(lines.some((l) => l.includes('"message":"request"'))).toBe(true); // logs were captured at all
    expect(lines.some((l) => l.includes('upstream_auth_failed'))).toBe(true); // the 401 case's among them
    expect(leaks(lines)).toEqual([]);
    expect(leaks(f.replies.map((r) => r.text + JSON.stringify([...r.headers.entries()])))).toEqual([]);
  });
});
