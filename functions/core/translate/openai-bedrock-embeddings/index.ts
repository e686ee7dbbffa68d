/**
 * OpenAI embeddings request <-> Bedrock InvokeModel bodies for the embedding families Bedrock
 * serves: Amazon Titan Text Embeddings V2 (one text per call, `dimensions` 256/512/1024) and Cohere
 * Embed (up to 96 texts per call). Token-id inputs exist only for OpenAI's tokenizers: refused.
 */
import { TranslationError } from '../openai-converse/request';

export type EmbeddingFamily = 'titan' | 'cohere';

export function embeddingFamily(modelId: string): EmbeddingFamily | undefined {
  if (/amazon\.titan-embed-text/.test(modelId)) return 'titan';
  if (/cohere\.embed/.test(modelId)) return 'cohere';
  return undefined;
}

/** The texts of an OpenAI `input`: a string or an array of strings (token arrays are refused here). */
export function embeddingTexts(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((s) => typeof s === 'string')) return input as string[];
  throw new TranslationError('input', 'Bedrock embedding models take text: send a string or an array of strings');
}

const COHERE_BATCH = 96;

/** The InvokeModel bodies for these texts, in order (Titan: one per text; Cohere: batches of 96). */
export function bedrockEmbeddingBodies(family: EmbeddingFamily, texts: string[], dimensions?: number): object[] {
  if (family === 'titan')
    return texts.map((inputText) => ({ inputText, normalize: true, ...(dimensions ? { dimensions } : {}) }));
  const bodies: object[] = [];
  for (let i = 0; i < texts.length; i += COHERE_BATCH)
    bodies.push({
      texts: texts.slice(i, i + COHERE_BATCH),
      input_type: 'search_document',
      truncate: 'NONE',
      embedding_types: ['float'],
    });
  return bodies;
}

/** Vectors (and the billed tokens when the body states them) of one InvokeModel answer. */
export function bedrockEmbeddingVectors(
  family: EmbeddingFamily,
  body: unknown,
): { vectors: number[][]; tokens?: number } {
  const b = (body ?? {}) as Record<string, unknown>;
  if (family === 'titan') {
    if (!Array.isArray(b.embedding)) throw new Error('Titan answered without an embedding');
    return {
      vectors: [b.embedding as number[]],
      ...(typeof b.inputTextTokenCount === 'number' ? { tokens: b.inputTextTokenCount } : {}),
    };
  }
  const e = b.embeddings as unknown;
  const vectors = Array.isArray(e) ? e : (e as { float?: unknown } | undefined)?.float;
  if (!Array.isArray(vectors)) throw new Error('Cohere answered without embeddings');
  return { vectors: vectors as number[][] };
}

/** Float32 little-endian bytes in base64: what OpenAI returns for encoding_format "base64". */
export function vectorToBase64(v: number[]): string {
  const buf = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => {
    buf.writeFloatLE(x, i * 4);
  });
  return buf.toString('base64');
}

export function openAIEmbeddingList(
  vectors: number[][],
  model: string,
  promptTokens: number | undefined,
  encodingFormat: 'float' | 'base64' = 'float',
): object {
  return {
    object: 'list',
    data: vectors.map((v, index) => ({
      object: 'embedding',
      index,
      embedding: encodingFormat === 'base64' ? vectorToBase64(v) : v,
    })),
    model,
    ...(promptTokens !== undefined ? { usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } } : {}),
  };
}
