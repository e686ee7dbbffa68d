/**
 * Fuzz: no body a client can send makes the router answer 500, and every error has OpenAI's shape.
 * Runs the real router app against a stub upstream (no network) so thousands of cases stay fast.
 */
import fc from 'fast-check';
import { stubDeps } from '../../test/helpers/stub-deps';
import { createRouterApp } from './app';
import { chatEvent } from '../../test/helpers/proxy-event';


const app = createRouterApp(stubDeps());

async function assertNoServerError(body: string | null, headers?: Record<string, string>) {
  const res = await app(chatEvent(body, headers), {});
  if (res.statusCode >= 500) throw new Error(`status ${res.statusCode} for body ${body}`);
  if (res.statusCode >= 400) {
    const parsed = JSON.parse(res.body as string);
    expect(Object.keys(parsed.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  }
}

const message = fc.record(
  { role: fc.oneof(fc.constantFrom('user', 'system', 'assistant', 'tool'), fc.string()), content: fc.oneof(fc.string(), fc.constant(null), fc.array(fc.record({ type: fc.string(), text: fc.string() })), fc.integer()) },
  { requiredKeys: [] },
);
const chatLike = fc.record(
  {
    model: fc.oneof(fc.constantFrom('gpt-4.1', 'auto', 'chat-default', 'deepseek-v3.2', ''), fc.string(), fc.integer()),
    messages: fc.oneof(fc.array(message, { maxLength: 4 }), fc.string(), fc.constant(null)),
    max_tokens: fc.oneof(fc.integer({ min: -5, max: 100_000 }), fc.double(), fc.string()),
    temperature: fc.oneof(fc.double({ noNaN: false }), fc.string()),
    stream: fc.oneof(fc.boolean(), fc.string()),
    tools: fc.oneof(fc.array(fc.record({ type: fc.string() })), fc.string()),
    n: fc.integer(),
  },
  { requiredKeys: [] },
);

describe('router fuzz: no client input yields a 500', () => {
  it('survives arbitrary strings as bodies', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fc.string(), fc.json(), fc.constant(null)), (b) => assertNoServerError(b)), { numRuns: 400 });
  });

  it('survives chat-shaped bodies with wrong types and values', async () => {
    await fc.assert(fc.asyncProperty(chatLike, (b) => assertNoServerError(JSON.stringify(b))), { numRuns: 400 });
  });

  it('survives odd headers', async () => {
    const body = JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'x' }] });
    const headers = fc.dictionary(
      fc.constantFrom('x-budget-factor', 'x-switchyard-fallback', 'authorization', 'content-type', 'x-switchyard-region'),
      fc.string(),
    );
    await fc.assert(fc.asyncProperty(headers, (h) => assertNoServerError(body, h)), { numRuns: 200 });
  });
});
