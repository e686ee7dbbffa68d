/**
 * The fault matrix for the translated client APIs (Anthropic Messages, OpenAI Responses): one row per
 * API for a failure before the first byte (falls back exactly like chat completions, or, with fallback
 * off, an error in the API's own shape) and one after it (an error event in the API's own shape,
 * never a clean end). Then the ledger, as for every row of the matrix: nothing reserved or leased,
 * the spend equals the usage rows.
 */
import { costMicros } from '../../functions/core/pricing';
import { countTokens, estimatePromptTokens } from '../../functions/core/routing/token-estimate';
import {
  CLIENT_KEY,
  CLIENT_KEY_ID,
  leaks,
  MESSAGES,
  runPair,
  startUpstreamFaultGateway,
  type FaultGateway,
} from './upstream-gateway';

let f: FaultGateway;
beforeAll(async () => {
  f = await startUpstreamFaultGateway();
});
afterAll(() => f?.close());

interface ApiReply {
  status: number;
  headers: Headers;
  text: string;
  /** [event name, data] of an SSE body. */
  events: Array<[string, any]>;
  json?: any;
}

async function send(path: string, body: Record<string, unknown>, headers: Record<string, string>): Promise<ApiReply> {
  const res = await fetch(`${f.gw.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  f.replies.push({ text, headers: res.headers });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const events = text
    .split('\n\n')
    .filter((b) => b.includes('data: '))
    .map((b): [string, any] => {
      const lines = b.split('\n');
      const name = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? '';
      return [name, JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6))];
    });
  return { status: res.status, headers: res.headers, text, events, json };
}

const PROMPT = MESSAGES[0].content;
const KEY = `key#${CLIENT_KEY_ID}`;
const price = (model: string) => f.deps.config.models.get(model)!.prices;

const APIS = [
  {
    api: 'messages',
    path: '/v1/messages',
    body: (stream: boolean) => ({
      model: 'gpt-4.1',
      max_tokens: 300,
      stream,
      messages: [{ role: 'user', content: PROMPT }],
    }),
    textOf: (r: ApiReply) =>
      r.json
        ? r.json.content.map((b: any) => b.text).join('')
        : r.events
            .filter(([e, d]) => e === 'content_block_delta' && d.delta.type === 'text_delta')
            .map(([, d]) => d.delta.text)
            .join(''),
    completeEnd: ['message_delta', 'message_stop'],
    usageOf: (r: ApiReply) => {
      const u = r.json ? r.json.usage : r.events.find(([e]) => e === 'message_delta')![1].usage;
      return { promptTokens: u.input_tokens + u.cache_read_input_tokens, completionTokens: u.output_tokens };
    },
    /** All upstreams failed (502) is Anthropic's 500 api_error. */
    expectOffError: (r: ApiReply) => {
      expect(r.status).toBe(500);
      expect(r.json).toEqual({
        type: 'error',
        error: { type: 'api_error', message: expect.stringMatching(/HTTP 503/) },
      });
    },
    expectCutEnd: (r: ApiReply) => {
      expect(r.events.at(-1)).toEqual([
        'error',
        { type: 'error', error: { type: 'api_error', message: expect.stringMatching(/stream_interrupted/) } },
      ]);
      expect(r.events.map(([e]) => e)).not.toContain('message_stop');
    },
  },
  {
    api: 'responses',
    path: '/v1/responses',
    body: (stream: boolean) => ({ model: 'gpt-4.1', stream, input: PROMPT }),
    textOf: (r: ApiReply) =>
      r.json
        ? r.json.output.flatMap((o: any) => o.content.map((c: any) => c.text)).join('')
        : r.events
            .filter(([e]) => e === 'response.output_text.delta')
            .map(([, d]) => d.delta)
            .join(''),
    completeEnd: ['response.output_item.done', 'response.completed'],
    usageOf: (r: ApiReply) => {
      const u = r.json ? r.json.usage : r.events.find(([e]) => e === 'response.completed')![1].response.usage;
      return { promptTokens: u.input_tokens, completionTokens: u.output_tokens };
    },
    expectOffError: (r: ApiReply) => {
      expect(r.status).toBe(502);
      expect(r.json).toEqual({
        error: {
          message: expect.stringMatching(/HTTP 503/),
          type: 'upstream_error',
          param: null,
          code: 'upstream_error',
        },
      });
    },
    expectCutEnd: (r: ApiReply) => {
      const names = r.events.map(([e]) => e);
      expect(names.slice(-2)).toEqual(['error', 'response.failed']);
      expect(r.events.at(-2)![1]).toMatchObject({ code: 'stream_interrupted' });
      expect(r.events.at(-1)![1].response).toMatchObject({ status: 'failed', error: { code: 'stream_interrupted' } });
      expect(names).not.toContain('response.completed');
    },
  },
];

describe.each(APIS)('$api', (a) => {
  describe.each([false, true])('before the first byte (upstream 503, stream: %s)', (stream) => {
    let run: Awaited<ReturnType<typeof runPair<ApiReply>>>;
    beforeAll(async () => {
      run = await runPair(f, { model: 'gpt-4.1', status: 503 }, (headers) => send(a.path, a.body(stream), headers));
    });

    it('with a fallback: a whole answer from the fallback, the failed attempts listed', () => {
      const r = run.fallback;
      expect(r.status).toBe(200);
      expect(r.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:503,gpt-4.1:503,deepseek-v3.2:200');
      expect(r.headers.get('x-switchyard-model')).toBe('deepseek-v3.2');
      expect(a.textOf(r)).toMatch(/^\[deepseek-chat\] You asked: "Tell me about switchyards"/);
      if (stream) expect(r.events.slice(-2).map(([e]) => e)).toEqual(a.completeEnd);
    });

    it("without a fallback: the API's own error shape and status", () => {
      a.expectOffError(run.off);
      expect(run.off.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:503,gpt-4.1:503');
    });

    it('the ledger: the spend is the fallback answer; the failed attempts cost 0', () => {
      const cost = costMicros(price('deepseek-v3.2'), a.usageOf(run.fallback));
      expect(cost).toBeGreaterThan(0);
      expect(run.settled.spentDelta).toBe(cost);
      expect(run.settled.usageCostDelta).toEqual({ 'model#deepseek-v3.2': cost, [KEY]: cost });
      expect(run.settled.usageErrorsDelta).toEqual({ 'model#gpt-4.1': 1, [KEY]: 1 });
    });
  });

  describe('after the first byte (connection cut after 3 chunks)', () => {
    let run: Awaited<ReturnType<typeof runPair<ApiReply>>>;
    beforeAll(async () => {
      run = await runPair(f, { model: 'gpt-4.1', streamCutAfterChunks: 3 }, (headers) =>
        send(a.path, a.body(true), headers),
      );
    });

    it.each(['fallback', 'off'] as const)("%s: 200, the text so far, then the API's error event", (which) => {
      const r = run[which];
      expect(r.status).toBe(200);
      expect(r.headers.get('x-switchyard-model')).toBe('gpt-4.1');
      expect(a.textOf(r).length).toBeGreaterThan(0);
      a.expectCutEnd(r);
    });

    it('the ledger: each stream is charged for what it delivered (prompt estimate + relayed tokens)', () => {
      const delivered = (r: ApiReply) =>
        costMicros(price('gpt-4.1'), {
          promptTokens: estimatePromptTokens(MESSAGES),
          completionTokens: countTokens(a.textOf(r)),
        });
      const cost = delivered(run.fallback) + delivered(run.off);
      expect(run.settled.spentDelta).toBe(cost);
      expect(run.settled.usageCostDelta).toEqual({ 'model#gpt-4.1': cost, [KEY]: cost });
      expect(run.settled.usageErrorsDelta).toEqual({ 'model#gpt-4.1': 2, [KEY]: 2 });
    });
  });
});

describe('secrets under the client-API fault rows', () => {
  it('no key (or its hash) appears in any log line, body or header', () => {
    expect(leaks(f.logLines())).toEqual([]);
    expect(leaks(f.replies.map((r) => r.text + JSON.stringify([...r.headers.entries()])))).toEqual([]);
  });
});
