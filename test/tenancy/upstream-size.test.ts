/**
 * Finding 7: an upstream cannot make the gateway buffer an unbounded body. A 400 MB answer (made by
 * the simulator as it is sent, never held in its memory) is refused with 502
 * `upstream_response_too_large` once `gateway.maxUpstreamBodyBytes` (default 32 MiB) is passed, and
 * the gateway's resident memory stays far below the body's size.
 */
import type { LocalGateway } from '../../local/gateway';
import { hi, post, startTestGateway } from '../helpers/local-gateway';

const BODY = 400 * 1024 * 1024;
/** Before the cap, one such reply took the gateway from ~157 MB to 2.1 GB. */
const MAX_GROWTH = 250 * 1024 * 1024;

/** Runs `work` while sampling RSS; resolves with its result and the peak growth over the start. */
async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ value: T; growth: number }> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, growth: peak - start };
  } finally {
    clearInterval(timer);
  }
}

describe('upstream response size cap', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      c.retry = { maxAttemptsPerModel: 1, baseDelayMs: 0, maxDelayMs: 0 };
    });
  });
  afterAll(() => gw.close());

  it('a 400 MB JSON body is refused with 502 and RSS stays bounded', async () => {
    gw.providers!.setFault({ model: 'gpt-4.1', hugeBodyBytes: BODY, times: 1 });
    const { value: r, growth } = await peakRssGrowth(() =>
      post(gw, '/v1/chat/completions', hi('gpt-4.1'), { 'x-switchyard-fallback': 'off' }),
    );
    expect(r.status).toBe(502);
    expect(r.json.error).toMatchObject({ type: 'upstream_error', code: 'upstream_response_too_large' });
    expect(growth).toBeLessThan(MAX_GROWTH);
  });

  it('a 400 MB stream is cut at the cap with an explicit error event, RSS bounded', async () => {
    gw.providers!.setFault({ model: 'gpt-4.1', hugeBodyBytes: BODY, times: 1 });
    const { value, growth } = await peakRssGrowth(async () => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.demoKey}`, 'x-switchyard-fallback': 'off' },
        body: JSON.stringify(hi('gpt-4.1', { stream: true })),
      });
      // Read as it arrives, keeping only the tail: the client is not what is measured.
      let tail = '';
      let bytes = 0;
      for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += part.length;
        tail = (tail + Buffer.from(part).toString('utf8')).slice(-2_000);
      }
      return { status: res.status, tail, bytes };
    });
    expect(value.status).toBe(200);
    const last = value.tail.trim().split('\n\n').at(-1)!;
    expect(JSON.parse(last.replace(/^data: /, '')).error.code).toBe('upstream_response_too_large');
    expect(value.bytes).toBeLessThan(40 * 1024 * 1024);
    expect(growth).toBeLessThan(MAX_GROWTH);
  });

  it('with a fallback, the next model answers', async () => {
    gw.providers!.setFault({ model: 'gpt-4.1', hugeBodyBytes: BODY, times: 1 });
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:too_large,deepseek-v3.2:200');
  });
});
