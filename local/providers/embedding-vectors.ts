/**
 * Deterministic embeddings for the simulators: feature hashing of the input's words (each word adds
 * a signed weight to a few dimensions picked by its hash), normalised. The same text always gives
 * the same vector, on every simulated provider; texts that share words point the same way, so
 * cosine-similarity retrieval (the RAG example) finds what a real model would roughly find.
 */

function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const SLOTS_PER_WORD = 3;

export function simulatedEmbedding(text: string, dimensions: number): number[] {
  const v = new Array<number>(dimensions).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const w of words) {
    for (let k = 0; k < SLOTS_PER_WORD; k++) {
      const h = fnv1a(w, 0x811c9dc5 + k * 0x9e3779b1);
      v[h % dimensions] += h & 0x80000000 ? -1 : 1;
    }
  }
  // An empty or word-free text still gets a stable, non-zero vector.
  if (words.length === 0) v[fnv1a(text) % dimensions] = 1;
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  // Rounded like real APIs' float32 values, so JSON stays short and identical across runs.
  return v.map((x) => Math.round((x / norm) * 1e6) / 1e6);
}
