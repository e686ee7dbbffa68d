/**
 * The fault matrix for Bedrock endpoints: one row per Bedrock exception (and the transport faults),
 * through the local runtime and the Bedrock simulator. For each: with a fallback the client gets a
 * 200 from the fallback model (another provider kind) and the failed attempts; without, the
 * documented status and OpenAI-shaped error. Then the ledger: nothing left held, failed attempts cost 0.
 */
import { costMicros } from '../../functions/core/pricing';
import type { Reply } from '../helpers/local-gateway';
import {
  backoff,
  CLIENT_KEY_ID,
  expectOpenAIError,
  expectSleeps,
  type FaultGateway,
  leaks,
  MESSAGES,
  type PairRun,
  rateLimited,
  runPair,
  type Sleeps,
  startUpstreamFaultGateway,
  upstreamError,
  upstreamTimeout,
} from './upstream-gateway';

let f: FaultGateway;
beforeAll(async () => {
  f = await startUpstreamFaultGateway();
});
afterAll(() => f?.close());

const MODEL = 'nova-pro';
const UPSTREAM = 'amazon.nova-pro-v1:0';
const FALLBACK = 'gemini-2.5-flash';
const KEY = `key#${CLIENT_KEY_ID}`;
const twice = (outcome: string) => `${MODEL}:${outcome},${MODEL}:${outcome}`;

interface BedrockCase {
  name: string;
  fault: Record<string, unknown>;
  attempts: string;
  sleeps: Sleeps;
  off: { status: number; type: string; code: string; retryAfter?: string | null; message?: RegExp };
}

const CASES: BedrockCase[] = [
  {
    name: 'ThrottlingException',
    fault: { bedrockException: 'ThrottlingException' },
    attempts: twice('429'),
    sleeps: backoff,
    off: { ...rateLimited, retryAfter: null },
  },
  {
    name: 'ServiceQuotaExceededException',
    fault: { bedrockException: 'ServiceQuotaExceededException' },
    attempts: twice('429'),
    sleeps: backoff,
    off: { ...rateLimited, retryAfter: null },
  },
  {
    name: 'ServiceUnavailableException',
    fault: { bedrockException: 'ServiceUnavailableException' },
    attempts: twice('503'),
    sleeps: backoff,
    off: { ...upstreamError, message: /HTTP 503\)/ },
  },
  {
    name: 'ModelNotReadyException',
    fault: { bedrockException: 'ModelNotReadyException' },
    attempts: twice('503'),
    sleeps: backoff,
    off: { ...upstreamError, message: /HTTP 503\)/ },
  },
  {
    name: 'InternalServerException',
    fault: { bedrockException: 'InternalServerException' },
    attempts: twice('500'),
    sleeps: backoff,
    off: { ...upstreamError, message: /HTTP 500/ },
  },
  {
    name: 'ModelErrorException',
    fault: { bedrockException: 'ModelErrorException' },
    attempts: twice('502'),
    sleeps: backoff,
    off: { ...upstreamError, message: /HTTP 502\)/ },
  },
  {
    name: 'ModelTimeoutException',
    fault: { bedrockException: 'ModelTimeoutException' },
    attempts: twice('408'),
    sleeps: backoff,
    off: { ...upstreamTimeout, message: /ModelTimeoutException/ },
  },
  {
    name: 'ValidationException (the request, not the endpoint: no retry)',
    fault: { bedrockException: 'ValidationException' },
    attempts: `${MODEL}:400`,
    sleeps: [],
    off: { status: 400, type: 'invalid_request_error', code: 'upstream_rejected', message: /ValidationException/ },
  },
  {
    name: 'AccessDeniedException',
    fault: { bedrockException: 'AccessDeniedException' },
    attempts: `${MODEL}:403`,
    sleeps: [],
    off: {
      ...upstreamError,
      code: 'upstream_auth_failed',
      message: /provider 'bedrock' rejected the gateway's credentials/,
    },
  },
  {
    name: 'ResourceNotFoundException',
    fault: { bedrockException: 'ResourceNotFoundException' },
    attempts: `${MODEL}:404`,
    sleeps: [],
    off: { ...upstreamError, code: 'upstream_model_not_found', message: /does not exist/ },
  },
  {
    name: 'no response headers (hang)',
    fault: { hang: true },
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
];

const usageCost = (model: string, r: Reply) =>
  costMicros(f.deps.config.models.get(model)!.prices, {
    promptTokens: r.json.usage.prompt_tokens,
    completionTokens: r.json.usage.completion_tokens,
  });

describe.each(CASES)('Bedrock $name', (c) => {
  let run: PairRun<Reply>;
  beforeAll(async () => {
    run = await runPair(f, { provider: 'bedrock', model: UPSTREAM, ...c.fault }, (headers) =>
      f.chat({ model: MODEL, messages: MESSAGES }, headers),
    );
  });

  it('with a fallback: 200 from the fallback model of another provider kind', () => {
    const r = run.fallback;
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-model')).toBe(FALLBACK);
    expect(r.headers.get('x-switchyard-attempts')).toBe(`${c.attempts},${FALLBACK}:200`);
  });

  it(`without a fallback: ${c.off.status} ${c.off.code}`, async () => {
    const r = run.off;
    expectOpenAIError(r, c.off);
    if (c.off.retryAfter !== undefined) expect(r.headers.get('retry-after')).toBe(c.off.retryAfter);
    expect(r.headers.get('x-switchyard-attempts')).toBe(c.attempts);
    expect(await f.requestLog(r.headers.get('x-request-id')!)).toMatchObject({
      status: c.off.status,
      errorCode: c.off.code,
      costMicros: 0,
    });
  });

  it('retried as documented, and the ledger charges only the answer', () => {
    const waits = Array.isArray(c.sleeps) ? [...c.sleeps, ...c.sleeps] : { backoffs: c.sleeps.backoffs * 2 };
    expectSleeps(run.sleeps, waits);
    expect(run.upstream.filter((q) => q.model === UPSTREAM)).toHaveLength(c.attempts.split(',').length * 2);
    const cost = usageCost(FALLBACK, run.fallback);
    expect(run.settled.spentDelta).toBe(cost);
    expect(run.settled.usageCostDelta).toEqual({ [`model#${FALLBACK}`]: cost, [KEY]: cost });
    expect(run.settled.usageErrorsDelta).toEqual({ [`model#${MODEL}`]: 1, [KEY]: 1 });
  });
});

describe('Bedrock streams', () => {
  it.each([
    ['an exception frame', { exceptionAfterChunks: 2, bedrockException: 'ThrottlingException' }, /ThrottlingException/],
    ['a malformed frame (bad CRC)', { malformedAfterChunks: 2 }, /could not be decoded/],
  ])('after content, %s ends the stream with an explicit error event and no [DONE]', async (_n, fault, message) => {
    f.sim.setFault({ provider: 'bedrock', model: UPSTREAM, ...fault });
    const r = await f.stream({ model: MODEL, messages: MESSAGES });
    f.sim.clearFaults();
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-attempts')).toBe(`${MODEL}:200`);
    expect(r.done).toBe(false);
    expect(r.chunks.filter((x) => x.choices?.[0]?.delta?.content)).toHaveLength(2);
    expect(r.error).toMatchObject({ code: 'upstream_stream_error', message });
  });

  it('a stall after content ends the stream as stalled (the idle timeout)', async () => {
    f.sim.setFault({ provider: 'bedrock', model: UPSTREAM, stallAfterChunks: 2 });
    const r = await f.stream({ model: MODEL, messages: MESSAGES });
    f.sim.clearFaults();
    expect(r.done).toBe(false);
    expect(r.error).toMatchObject({ code: 'stream_stalled' });
  });

  it('an exception frame before any content fails over to the fallback', async () => {
    f.sim.setFault({
      provider: 'bedrock',
      model: UPSTREAM,
      exceptionAfterChunks: 0,
      bedrockException: 'ThrottlingException',
    });
    const r = await f.stream({ model: MODEL, messages: MESSAGES });
    f.sim.clearFaults();
    expect(r.done).toBe(true);
    expect(r.headers.get('x-switchyard-attempts')).toBe(`${MODEL}:stream_error,${FALLBACK}:200`);
  });
});

describe('secrets under the Bedrock fault matrix', () => {
  it('no key (or its hash) appears in any log line, body or header', () => {
    expect(leaks(f.logLines())).toEqual([]);
    expect(leaks(f.replies.map((r) => r.text + JSON.stringify([...r.headers.entries()])))).toEqual([]);
  });
});
