/**
 * POST /v1/embeddings with the official openai SDK and LangChain's OpenAIEmbeddings against the
 * local runtime: OpenAI-compatible (text-embedding-3-small) and Bedrock (Titan Text Embeddings V2)
 * models, their same-dimension fallback, budgets on input tokens, and the wrong-kind 400s.
 */
import { OpenAIEmbeddings } from '@langchain/openai';
import OpenAI from 'openai';
import { costMicros, microsToUsd } from '../../functions/core/pricing';
import type { LocalGateway } from '../../local/gateway';
import { simulatedEmbedding } from '../../local/providers/embedding-vectors';
import { startTestGateway } from '../helpers/local-gateway';

let gw: LocalGateway;
let client: OpenAI;
beforeAll(async () => {
  gw = await startTestGateway((c) => {
    c.retry = { maxAttemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 5 };
    c.breaker.failureThreshold = 1_000_000;
    c.aliases['text-embedding-ada-002'] = 'titan-embed-text-v2';
    c.models.push({
      id: 'cohere-embed-english-v3',
      kind: 'embedding',
      dimensions: 1024,
      pricing: { inputPerMTok: 0.1, outputPerMTok: 0 },
      contextWindow: 512,
      endpoints: [
        { id: 'bedrock-cohere', provider: 'bedrock', upstreamModel: 'cohere.embed-english-v3', region: 'us-east-1' },
      ],
    });
  });
  client = new OpenAI({ apiKey: gw.demoKey, baseURL: gw.baseUrl, maxRetries: 0 });
});
afterAll(() => gw?.close());
afterEach(() => {
  gw.providers!.clearFaults();
  gw.providers!.resetRequests();
});

const close = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) < 1e-6);

describe('the official openai SDK', () => {
  it('embeds with an OpenAI-compatible model (the SDK asks for base64 and decodes it), priced on input tokens', async () => {
    const input = ['freight yards sort wagons', 'a signal box controls points'];
    const { data, response } = await client.embeddings
      .create({ model: 'text-embedding-3-small', input })
      .withResponse();
    expect(data.data.map((d) => d.index)).toEqual([0, 1]);
    // The gateway asks every candidate for the model's declared 1024 dimensions.
    expect(data.data[0].embedding).toHaveLength(1024);
    expect(close(data.data[0].embedding, simulatedEmbedding(input[0], 1024))).toBe(true);
    expect(response.headers.get('x-switchyard-model')).toBe('text-embedding-3-small');
    const tokens = data.usage.prompt_tokens;
    expect(tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-switchyard-cost-usd')).toBe(
      microsToUsd(
        costMicros(gw.deps.config.models.get('text-embedding-3-small')!.prices, {
          promptTokens: tokens,
          completionTokens: 0,
        }),
      ),
    );
    expect(gw.providers!.requests()[0]).toMatchObject({ provider: 'openai', path: '/openai/v1/embeddings' });
  });

  it('embeds with Titan on Bedrock through InvokeModel, float and base64, the same input giving the same vector', async () => {
    const a = await client.embeddings.create({
      model: 'titan-embed-text-v2',
      input: 'points and crossings',
      encoding_format: 'float',
    });
    const b = await client.embeddings.create({ model: 'titan-embed-text-v2', input: 'points and crossings' });
    expect(a.data[0].embedding).toHaveLength(1024);
    expect(close(a.data[0].embedding, b.data[0].embedding)).toBe(true);
    const raw = await client.embeddings.create({
      model: 'titan-embed-text-v2',
      input: 'points and crossings',
      encoding_format: 'base64',
    });
    const decoded = Array.from(
      new Float32Array(Buffer.from(raw.data[0].embedding as unknown as string, 'base64').buffer.slice(0)),
    );
    expect(close(decoded, a.data[0].embedding)).toBe(true);
    const calls = gw.providers!.requests().filter((r) => r.provider === 'bedrock');
    expect(calls[0]).toMatchObject({
      path: `/bedrock/model/${encodeURIComponent('amazon.titan-embed-text-v2:0')}/invoke`,
      body: { inputText: 'points and crossings', dimensions: 1024, normalize: true },
    });
  });

  it('embeds with Cohere Embed on Bedrock in batches of 96, in order, with the estimated usage it is billed on', async () => {
    const input = Array.from({ length: 100 }, (_, i) => `siding number ${i}`);
    const { data, response } = await client.embeddings
      .create({ model: 'cohere-embed-english-v3', input, encoding_format: 'float' })
      .withResponse();
    expect(data.data.map((d) => d.index)).toEqual(input.map((_, i) => i));
    expect(data.data.every((d, i) => close(d.embedding, simulatedEmbedding(input[i], 1024)))).toBe(true);
    const calls = gw.providers!.requests().filter((r) => r.provider === 'bedrock');
    expect(calls.map((c) => (c.body as { texts: string[] }).texts.length)).toEqual([96, 4]);
    expect(calls[0]).toMatchObject({
      path: `/bedrock/model/${encodeURIComponent('cohere.embed-english-v3')}/invoke`,
      body: { input_type: 'search_document', embedding_types: ['float'], truncate: 'NONE' },
    });
    // Cohere states no token count: the answer carries the gateway's estimate, and the price follows it.
    expect(data.usage.prompt_tokens).toBeGreaterThanOrEqual(input.length * 3);
    expect(response.headers.get('x-switchyard-cost-usd')).toBe(
      microsToUsd(
        costMicros(gw.deps.config.models.get('cohere-embed-english-v3')!.prices, {
          promptTokens: data.usage.prompt_tokens,
          completionTokens: 0,
        }),
      ),
    );
  });

  it('serves an alias of an embedding model, as /v1/models lists it', async () => {
    const { data, response } = await client.embeddings
      .create({ model: 'text-embedding-ada-002', input: 'ballast' })
      .withResponse();
    expect(response.headers.get('x-switchyard-model')).toBe('titan-embed-text-v2');
    expect(close(data.data[0].embedding, simulatedEmbedding('ballast', 1024))).toBe(true);
    const listed = (await client.models.list()).data.map((m) => m.id);
    expect(listed).toContain('text-embedding-ada-002');
  });

  it('falls back between same-dimension models across provider kinds', async () => {
    gw.providers!.setFault({ provider: 'openai', model: 'text-embedding-3-small', status: 503 });
    const { data, response } = await client.embeddings
      .create({ model: 'text-embedding-3-small', input: 'hump yard' })
      .withResponse();
    expect(response.headers.get('x-switchyard-attempts')).toBe(
      'text-embedding-3-small:503,text-embedding-3-small:503,titan-embed-text-v2:200',
    );
    expect(response.headers.get('x-switchyard-model')).toBe('titan-embed-text-v2');
    expect(close(data.data[0].embedding, simulatedEmbedding('hump yard', 1024))).toBe(true);
  });

  it('answers a clear 400 for a chat model, a route, a wrong dimension and token ids on Bedrock', async () => {
    const chat = await client.embeddings.create({ model: 'gpt-4.1', input: 'x' }).catch((e) => e);
    expect(chat).toBeInstanceOf(OpenAI.BadRequestError);
    expect(chat.code).toBe('wrong_model_kind');
    expect(chat.message).toMatch(/gpt-4.1 is a chat model: send it to \/v1\/chat\/completions/);
    const route = await client.embeddings.create({ model: 'auto', input: 'x' }).catch((e) => e);
    expect(route.code).toBe('wrong_model_kind');
    const dims = await client.embeddings
      .create({ model: 'titan-embed-text-v2', input: 'x', dimensions: 256 })
      .catch((e) => e);
    expect(dims.status).toBe(400);
    expect(dims.param).toBe('dimensions');
    const tokens = await client.embeddings
      .create({ model: 'titan-embed-text-v2', input: [[1, 2, 3]] }, { headers: { 'x-switchyard-fallback': 'off' } })
      .catch((e) => e);
    expect(tokens.status).toBe(400);
    expect(tokens.message).toMatch(/Bedrock embedding models take text/);
    // And the reverse: an embedding model sent to chat.
    const reverse = await client.chat.completions
      .create({ model: 'titan-embed-text-v2', messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e);
    expect(reverse).toBeInstanceOf(OpenAI.BadRequestError);
    expect(reverse.code).toBe('wrong_model_kind');
  });
});

describe("LangChain's OpenAIEmbeddings", () => {
  it('embeds documents and a query through the gateway', async () => {
    const embeddings = new OpenAIEmbeddings({
      model: 'text-embedding-3-small',
      apiKey: gw.demoKey,
      configuration: { baseURL: gw.baseUrl },
      maxRetries: 0,
    });
    const docs = await embeddings.embedDocuments(['sorting sidings', 'passenger platform']);
    const query = await embeddings.embedQuery('sorting sidings');
    expect(docs).toHaveLength(2);
    expect(docs[0]).toHaveLength(1024);
    expect(close(query, docs[0])).toBe(true);
    expect(close(query, docs[1])).toBe(false);
  });
});
