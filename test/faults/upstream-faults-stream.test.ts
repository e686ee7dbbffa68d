/**
 * Upstream fault matrix, streamed requests, through the local runtime.
 *
 * Before the first event reaches the client a failure falls back exactly like a JSON request (the
 * client sees a normal stream from the fallback, or, with fallback off, an OpenAI error response);
 * after it, the stream ends with an explicit `data: {"error":...}` event and no `[DONE]`. Then the
 * ledger: nothing reserved or leased, and the spend equals the cost of what the answering attempt
 * really used: its usage chunk when the stream completed, an estimate from the delivered text (the
 * prompt estimate plus the tokens of the relayed content) when it was cut.
 */
import { costMicros } from '../../functions/core/pricing';
import { countTokens, estimatePromptTokens } from '../../functions/core/routing/token-estimate';
import { expectedReply, type FaultSpec } from '../../local/providers';
import {
  CLIENT_KEY_ID,
  MESSAGES,
  expectOpenAIError,
  expectSleeps,
  leaks,
  runPair,
  startUpstreamFaultGateway,
  type FaultGateway,
  type PairRun,
  type StreamReply,
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
const BODY = { messages: MESSAGES, stream_options: { include_usage: true } };

const price = (model: string) => f.deps.config.models.get(model)!.prices;

/** A stream that completed: role chunk, content, finish, usage chunk, `[DONE]`. */
function expectCompleteStream(r: StreamReply, upstreamModel: string): void {
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(r.done).toBe(true);
  expect(r.error).toBeUndefined();
  expect(r.content).toBe(expectedReply(upstreamModel, MESSAGES));
  expect(r.usage?.completion_tokens).toBeGreaterThan(0);
}

const usageCost = (model: string, r: StreamReply) =>
  costMicros(price(model), { promptTokens: r.usage!.prompt_tokens, completionTokens: r.usage!.completion_tokens });

describe('before the first byte: the stream falls back', () => {
  // Faults before the response headers take the same path for streams as for JSON requests
  // (upstream-faults-json.test.ts has them all, the connect timeout and 502 included); the ones here
  // are the common ones plus every fault between the headers and the first event.
  const CASES: FaultCase[] = [
    {
      name: 'upstream 500',
      fault: { status: 500 },
      attempts: twice('500'),
      sleeps: backoff,
      off: { ...upstreamError, message: /HTTP 500/ },
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
      name: 'connection cut after the headers, before any event',
      fault: { bodyCut: true },
      attempts: twice('connection'),
      sleeps: backoff,
      off: upstreamError,
    },
    {
      name: 'stalled after the headers, before any event',
      fault: { slowBodyMs: 5_000 },
      attempts: twice('timeout'),
      sleeps: backoff,
      off: { ...upstreamTimeout, message: /idle timeout/ },
    },
    {
      name: 'malformed first event',
      fault: { malformedBody: true },
      attempts: 'gpt-4.1:stream_error',
      sleeps: [],
      off: { ...upstreamError, message: /malformed stream event/ },
    },
    {
      name: 'wrong content-type (200 text/html)',
      fault: { contentType: 'text/html; charset=utf-8' },
      attempts: twice('server_error'),
      sleeps: backoff,
      off: { ...upstreamError, message: /not an event stream/ },
    },
    {
      name: 'wrong content-type (200 application/json: stream ignored)',
      fault: { contentType: 'application/json' },
      attempts: twice('server_error'),
      sleeps: backoff,
      off: { ...upstreamError, message: /not an event stream/ },
    },
  ];

  describe.each(CASES)('$name', (c) => {
    const model = c.model ?? 'gpt-4.1';
    let run: PairRun<StreamReply>;
    beforeAll(async () => {
      run = await runPair(f, c.fault && { model: 'gpt-4.1', ...c.fault }, (headers) =>
        f.stream({ model, ...BODY }, headers),
      );
    });

    it('with a fallback: a complete stream from the fallback model, the failed attempts listed', async () => {
      const r = run.fallback;
      expectCompleteStream(r, 'deepseek-chat');
      expect(r.headers.get('x-switchyard-model')).toBe(FALLBACK);
      expect(r.headers.get('x-switchyard-attempts')).toBe(`${c.attempts},${FALLBACK}:200`);
      expect(await f.requestLog(r.headers.get('x-request-id')!)).toMatchObject({
        status: 200,
        model: FALLBACK,
        costMicros: usageCost(FALLBACK, r),
        usageEstimated: false,
      });
    });

    it(`without a fallback: ${c.off.status} ${c.off.code} (a JSON error: nothing was streamed yet)`, async () => {
      const r = run.off;
      expectOpenAIError(r, c.off);
      if (c.off.retryAfter !== undefined) expect(r.headers.get('retry-after')).toBe(c.off.retryAfter);
      expect(r.headers.get('x-switchyard-attempts')).toBe(c.attempts);
      expect(await f.requestLog(r.headers.get('x-request-id')!)).toMatchObject({
        status: c.off.status,
        errorCode: c.off.code,
        costMicros: 0,
        stream: true,
      });
    });

    it('retried as documented', () => {
      expectSleeps(
        run.sleeps,
        Array.isArray(c.sleeps) ? [...c.sleeps, ...c.sleeps] : { backoffs: c.sleeps.backoffs * 2 },
      );
      if (model === 'gpt-4.1')
        expect(run.upstream.filter((q) => q.model === 'gpt-4.1')).toHaveLength(c.attempts.split(',').length * 2);
    });

    it('the ledger: spend is the fallback stream usage; the failed attempts cost 0', () => {
      const cost = usageCost(FALLBACK, run.fallback);
      expect(cost).toBeGreaterThan(0);
      expect(run.settled.spentDelta).toBe(cost);
      expect(run.settled.usageCostDelta).toEqual({ [`model#${FALLBACK}`]: cost, [KEY]: cost });
      expect(run.settled.usageErrorsDelta).toEqual({ [`model#${model}`]: 1, [KEY]: 1 });
    });
  });
});

describe('after the first byte: an explicit error event, never [DONE]', () => {
  const CASES: Array<{ name: string; fault: FaultSpec; code: string }> = [
    { name: 'connection cut after 3 chunks', fault: { streamCutAfterChunks: 3 }, code: 'stream_interrupted' },
    { name: 'stalled after 3 chunks', fault: { stallAfterChunks: 3 }, code: 'stream_stalled' },
    { name: 'malformed event after 3 chunks', fault: { malformedAfterChunks: 3 }, code: 'stream_malformed' },
  ];

  describe.each(CASES)('$name', (c) => {
    let run: PairRun<StreamReply>;
    beforeAll(async () => {
      run = await runPair(f, { model: 'gpt-4.1', ...c.fault }, (headers) =>
        f.stream({ model: 'gpt-4.1', ...BODY }, headers),
      );
    });

    it.each(['fallback', 'off'] as const)(
      `%s: 200, the 3 chunks, then data: {"error":{..."code":"${c.code}"}} and the end`,
      async (which) => {
        const r = run[which];
        expect(r.status).toBe(200);
        // No fallback once the client has bytes, whether fallback was allowed or not.
        expect(r.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:200');
        expect(r.done).toBe(false);
        expect(r.events).not.toContain('[DONE]');
        expect(r.error).toEqual({ message: expect.any(String), type: 'upstream_error', param: null, code: c.code });
        // role chunk + 3 content chunks + the error event: what was relayed is exactly a prefix of the reply.
        expect(r.chunks.filter((x) => x.choices?.[0]?.delta?.content)).toHaveLength(3);
        expect(r.content.length).toBeGreaterThan(0);
        expect(expectedReply('gpt-4.1', MESSAGES).startsWith(r.content)).toBe(true);
        expect(r.usage).toBeUndefined();
        expect(await f.requestLog(r.headers.get('x-request-id')!)).toMatchObject({
          status: 200,
          errorCode: c.code,
          usageEstimated: true,
          costMicros: deliveredCost(r),
        });
      },
    );

    it('the ledger: each stream is charged for what it delivered (prompt estimate + relayed tokens)', () => {
      const cost = deliveredCost(run.fallback) + deliveredCost(run.off);
      expect(deliveredCost(run.off)).toBeGreaterThan(0);
      expect(run.settled.spentDelta).toBe(cost);
      expect(run.settled.usageCostDelta).toEqual({ 'model#gpt-4.1': cost, [KEY]: cost });
      // A stream that ended in an error counts as an error for its model, not a success.
      expect(run.settled.usageErrorsDelta).toEqual({ 'model#gpt-4.1': 2, [KEY]: 2 });
    });
  });

  /** What the gateway settles for a cut stream: no usage chunk arrived, so it estimates from what it relayed. */
  function deliveredCost(r: StreamReply): number {
    return costMicros(price('gpt-4.1'), {
      promptTokens: estimatePromptTokens(MESSAGES),
      completionTokens: countTokens(r.content),
    });
  }
});

describe('secrets under the fault matrix', () => {
  it('no key (or its hash) appears in any log line, body or header', () => {
    const lines = f.logLines();
    expect(lines.some((l) => l.includes('"message":"request"'))).toBe(true);
    expect(lines.some((l) => l.includes('stream_interrupted'))).toBe(true);
    expect(leaks(lines)).toEqual([]);
    expect(leaks(f.replies.map((r) => r.text + JSON.stringify([...r.headers.entries()])))).toEqual([]);
  });
});
