/**
 * Latency profiles of the simulated upstream models. Numbers are what a caller typically sees from
 * the real providers, so the local runtime's latency-based routing has something real to chase.
 */
import { seeded } from '../seeded-random';

export interface ModelProfile {
  /** Time to first byte (headers and, for non-streaming calls, the whole body). */
  firstByteMs: number;
  /** Gap between streamed chunks, i.e. generation speed. */
  chunkMs: number;
}

const KNOWN: Record<string, ModelProfile> = {
  'gpt-4.1': { firstByteMs: 850, chunkMs: 14 },
  'claude-sonnet-4-5': { firstByteMs: 1200, chunkMs: 16 },
  'gemini-2.5-flash': { firstByteMs: 180, chunkMs: 5 },
  'deepseek-chat': { firstByteMs: 320, chunkMs: 10 },
};

/** Bedrock model and inference profile ids: the Bedrock simulator answers for these (not listed by GET /models). */
const BEDROCK: Record<string, ModelProfile> = {
  'global.anthropic.claude-sonnet-4-5-20250929-v1:0': { firstByteMs: 1300, chunkMs: 16 },
  'us.anthropic.claude-sonnet-4-5-20250929-v1:0': { firstByteMs: 1300, chunkMs: 16 },
  'amazon.nova-pro-v1:0': { firstByteMs: 400, chunkMs: 8 },
};

const EXTRA_PROFILE: ModelProfile = { firstByteMs: 300, chunkMs: 10 };

/** Read on every call so a cutover test can add a model (e.g. gpt-4.1-turbo) while the server runs. */
function extraModels(): string[] {
  return (process.env.SWITCHYARD_SIM_EXTRA_MODELS ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m.length > 0);
}

export function modelNames(): string[] {
  return [...new Set([...Object.keys(KNOWN), ...extraModels()])];
}

export function modelProfile(model: string): ModelProfile | undefined {
  return KNOWN[model] ?? BEDROCK[model] ?? (extraModels().includes(model) ? EXTRA_PROFILE : undefined);
}

/**
 * ±10% jitter from a seeded generator: latencies vary like a real upstream, yet a test run
 * that sends the same requests in the same order sees the same numbers.
 */
export function jitter(seed = 0x5eed): () => number {
  const unit = seeded(seed);
  return () => 0.9 + unit() * 0.2;
}
