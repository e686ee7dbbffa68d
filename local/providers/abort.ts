import { setTimeout as wait } from 'node:timers/promises';

/** How the simulator waits: true when the time passed, false when `signal` aborted first. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<boolean>;

/** Waits `ms`; resolves false instead of throwing when aborted, so callers just stop. */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await wait(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
