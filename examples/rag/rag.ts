/**
 * Retrieval-augmented generation through Switchyard, with nothing but the official openai SDK:
 * embed a few documents (`text-embedding-3-small`, which falls back to Titan Text Embeddings V2 on
 * Bedrock: same 1024 dimensions), retrieve the closest ones to the question by cosine similarity in
 * memory, and answer with `gpt-4.1`, whose fallbacks (deepseek-v3.2, then gemini-2.5-flash) take
 * over when it fails. The gateway's headers say which model answered and what was tried.
 *
 *   npm start                        # in one terminal
 *   npx tsx examples/rag/rag.ts      # in another (see examples/rag/README.md)
 */
import OpenAI from 'openai';

export const DOCUMENTS = [
  'A hump yard sorts freight wagons by pushing them over a small hill and letting gravity roll each one into its siding.',
  'A flat yard sorts wagons with shunting locomotives only; it needs no hump but is slower.',
  'Retarders are brakes along the rails of a hump yard that slow rolling wagons before they couple.',
  'A passenger station has platforms, ticket halls and waiting rooms; it does not sort freight wagons.',
  'Signal boxes control the points and signals of a junction so that trains never take conflicting routes.',
];

export interface RagOptions {
  baseURL: string;
  apiKey: string;
  question: string;
  /** Documents to retrieve from (default DOCUMENTS). */
  documents?: string[];
  /** How many documents go into the prompt. */
  topK?: number;
  embeddingModel?: string;
  chatModel?: string;
}

export interface RagResult {
  answer: string;
  /** The model that answered (x-switchyard-model) and every attempt (x-switchyard-attempts). */
  answeredBy: string | null;
  attempts: string | null;
  embeddedBy: string | null;
  retrieved: Array<{ text: string; score: number }>;
}

export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

export async function runRag(opts: RagOptions): Promise<RagResult> {
  const client = new OpenAI({ baseURL: opts.baseURL, apiKey: opts.apiKey });
  const documents = opts.documents ?? DOCUMENTS;
  const embeddingModel = opts.embeddingModel ?? 'text-embedding-3-small';

  // 1. Embed the documents and the question (one call each; the gateway may serve them from different models
  //    of the same dimension, which is what keeps the vectors comparable).
  const docs = await client.embeddings.create({ model: embeddingModel, input: documents }).withResponse();
  const query = await client.embeddings.create({ model: embeddingModel, input: opts.question });

  // 2. Retrieve: cosine similarity, in memory.
  const q = query.data[0].embedding;
  const retrieved = docs.data.data
    .map((d) => ({ text: documents[d.index], score: cosine(q, d.embedding) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, opts.topK ?? 2);

  // 3. Generate with the retrieved context; the gateway handles the failover.
  const { data, response } = await client.chat.completions
    .create({
      model: opts.chatModel ?? 'gpt-4.1',
      messages: [
        {
          role: 'system',
          content: `Answer from the context only.\n\nContext:\n${retrieved.map((r) => `- ${r.text}`).join('\n')}`,
        },
        { role: 'user', content: opts.question },
      ],
      max_tokens: 300,
    })
    .withResponse();
  return {
    answer: data.choices[0]?.message?.content ?? '',
    answeredBy: response.headers.get('x-switchyard-model'),
    attempts: response.headers.get('x-switchyard-attempts'),
    embeddedBy: docs.response.headers.get('x-switchyard-model'),
    retrieved,
  };
}

async function main(): Promise<void> {
  const question = process.argv.slice(2).join(' ') || 'How does a hump yard slow the wagons down?';
  const result = await runRag({
    baseURL: process.env.SWITCHYARD_BASE_URL ?? 'http://127.0.0.1:8787/v1',
    apiKey: process.env.SWITCHYARD_API_KEY ?? 'sk-sy-demo-local-only-0000000000000000',
    question,
  });
  console.log(`question:  ${question}`);
  console.log(`retrieved (embedded by ${result.embeddedBy}):`);
  for (const r of result.retrieved) console.log(`  ${r.score.toFixed(3)}  ${r.text}`);
  console.log(`answered by ${result.answeredBy} (attempts: ${result.attempts})`);
  console.log(`\n${result.answer}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`RAG example failed: ${(err as Error)?.message ?? err}`);
    process.exit(1);
  });
}
