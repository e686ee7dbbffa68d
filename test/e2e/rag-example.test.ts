/**
 * The RAG example (examples/rag) against the local runtime: normally, and with the primary chat
 * model and the primary embedding model failing upstream; the answer still arrives, from the
 * fallbacks, and retrieval still finds the right documents.
 */
import { DOCUMENTS, runRag } from '../../examples/rag/rag';
import type { LocalGateway } from '../../local/gateway';
import { expectedReply } from '../../local/providers';
import { startTestGateway } from '../helpers/local-gateway';

let gw: LocalGateway;
beforeAll(async () => {
  gw = await startTestGateway((c) => {
    c.retry = { maxAttemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 5 };
  });
});
afterAll(() => gw?.close());
afterEach(() => gw.providers!.clearFaults());

const QUESTION = 'How does a hump yard slow the rolling wagons?';

it('answers from the retrieved documents with gpt-4.1', async () => {
  const r = await runRag({ baseURL: gw.baseUrl, apiKey: gw.demoKey, question: QUESTION });
  expect(r.answeredBy).toBe('gpt-4.1');
  expect(r.embeddedBy).toBe('text-embedding-3-small');
  // The documents about hump yards and their retarders score highest.
  expect(r.retrieved.map((d) => d.text)).toEqual([DOCUMENTS[2], DOCUMENTS[0]]);
  expect(r.answer).toBe(expectedReply('gpt-4.1', [{ role: 'user', content: QUESTION }], 300));
});

it('still answers when gpt-4.1 and the OpenAI embedding model fail upstream', async () => {
  gw.providers!.setFault({ model: 'gpt-4.1', status: 503 });
  gw.providers!.setFault({ model: 'text-embedding-3-small', status: 503 });
  const r = await runRag({ baseURL: gw.baseUrl, apiKey: gw.demoKey, question: QUESTION });
  expect(r.attempts).toBe('gpt-4.1:503,gpt-4.1:503,deepseek-v3.2:200');
  expect(r.answeredBy).toBe('deepseek-v3.2');
  expect(r.answer).toBe(expectedReply('deepseek-chat', [{ role: 'user', content: QUESTION }], 300));
  // Embedded by Titan on Bedrock instead, with the same dimensions: retrieval is unchanged.
  expect(r.embeddedBy).toBe('titan-embed-text-v2');
  expect(r.retrieved.map((d) => d.text)).toEqual([DOCUMENTS[2], DOCUMENTS[0]]);
});
