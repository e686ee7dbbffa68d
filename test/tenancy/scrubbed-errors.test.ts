/**
 * Finding 5: upstream error text reaches neither clients nor logs unscrubbed. An upstream that
 * echoes the request headers (the gateway's provider key among them), its URL and addresses must
 * not put any of them in a reply or a log line, whatever the status and the key's format; timeouts
 * and connection failures do not name the upstream's host or port.
 */
import { captureTelemetry } from '../../functions/adapters/telemetry/sinks';
import type { LocalGateway } from '../../local/gateway';
import { hi, post, startTestGateway } from '../helpers/local-gateway';

// One key per format the redactor must know, plus one of no known shape (only "a value the secret
// source served" catches it).
const KEYS = {
  OPENAI_API_KEY: 'sk-proj-AbCdEf0123456789GhIjKlMnOpQrStUv',
  ANTHROPIC_API_KEY: 'sk-ant-api03-ZyXwVu9876543210TsRqPoNmLkJi',
  GEMINI_API_KEY: 'AIzaSyD-0123456789abcdefghijklmnopqrstu',
  DEEPSEEK_API_KEY: 'plain.Secret~Value~With~No~Known~Shape',
};
const MODELS = ['gpt-4.1', 'claude-sonnet-4.5', 'gemini-2.5-flash', 'deepseek-v3.2'];
const UPSTREAM_MODEL: Record<string, string> = {
  'gpt-4.1': 'gpt-4.1',
  'claude-sonnet-4.5': 'claude-sonnet-4-5',
  'gemini-2.5-flash': 'gemini-2.5-flash',
  'deepseek-v3.2': 'deepseek-chat',
};

describe('scrubbed upstream errors and logs', () => {
  let gw: LocalGateway;
  const telemetry = captureTelemetry();
  const consoleLines: string[] = [];
  let spies: jest.SpyInstance[] = [];

  beforeAll(async () => {
    spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation((...args: unknown[]) => {
        consoleLines.push(args.map(String).join(' '));
      }),
    );
    gw = await startTestGateway(
      (c) => {
        c.retry = { maxAttemptsPerModel: 1, baseDelayMs: 0, maxDelayMs: 0 };
        c.gateway.headersTimeoutMs = 300;
        c.breaker.failureThreshold = 10_000;
        // One endpoint per model: the echo fault is set on the OpenAI-compatible upstream, and a
        // Bedrock endpoint in the same pool would answer instead of it.
        for (const m of c.models) {
          const http = m.endpoints.filter((e: { provider: string }) => c.providers[e.provider]?.kind !== 'bedrock');
          if (http.length > 0) m.endpoints = http;
        }
      },
      { env: KEYS, telemetry: telemetry.sink },
    );
  });
  afterAll(async () => {
    await gw.close();
    for (const s of spies) s.mockRestore();
  });
  beforeEach(() => gw.providers!.clearFaults());

  function expectClean(text: string) {
    for (const key of Object.values(KEYS)) expect(text).not.toContain(key);
    const sim = new URL(gw.providers!.url);
    expect(text).not.toContain(sim.host);
    expect(text).not.toContain(`:${sim.port}`);
    expect(text).not.toContain('10.20.30.40');
    expect(text).not.toContain('api.internal.example.com');
  }

  it('an echoing upstream never puts a key, URL or address in a reply or a log line (every status, every key format)', async () => {
    let replies = 0;
    for (const model of MODELS) {
      for (const status of [400, 401, 404, 422, 429, 500, 502, 503]) {
        for (const stream of [false, true]) {
          gw.providers!.setFault({ model: UPSTREAM_MODEL[model], status, echoHeaders: true, times: 1 });
          const r = await post(gw, '/v1/chat/completions', hi(model, { stream }), { 'x-switchyard-fallback': 'off' });
          expect(r.status).toBeGreaterThanOrEqual(400);
          expect(r.json.error.message).toMatch(/^(Upstream|Gateway configuration error)/);
          expectClean(r.text);
          expectClean(JSON.stringify(Object.fromEntries(r.headers)));
          replies++;
        }
      }
    }
    expect(replies).toBe(64);
    // The echo did reach the gateway with the key in it: the scrubbing, not luck, kept it out.
    const echoed = gw.providers!.requests().filter((q) => q.authorization?.includes(KEYS.DEEPSEEK_API_KEY));
    expect(echoed.length).toBeGreaterThan(0);
    // A rejected request still tells the client why, with the upstream's status.
    gw.providers!.setFault({ model: 'gpt-4.1', status: 400, echoHeaders: true, times: 1 });
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'), { 'x-switchyard-fallback': 'off' });
    expect(r.json.error.message).toContain('HTTP 400');
    expect(r.json.error.message).toContain('upstream request id req_');
    expect(r.json.error.message).toContain('[redacted]');
  });

  it('every log line (telemetry and console) is free of keys and the upstream address', () => {
    expect(telemetry.logs.length).toBeGreaterThan(0);
    expectClean(telemetry.text());
    expectClean(consoleLines.join('\n'));
  });

  it('a timeout names neither the upstream host nor its port', async () => {
    gw.providers!.setFault({ model: 'gpt-4.1', hang: true, times: 1 });
    const r = await post(gw, '/v1/chat/completions', hi('gpt-4.1'), { 'x-switchyard-fallback': 'off' });
    expect([r.status, r.json.error.code]).toEqual([504, 'upstream_timeout']);
    expect(r.json.error.message).toContain('timed out waiting for response headers');
    expectClean(r.text);
  });
});
