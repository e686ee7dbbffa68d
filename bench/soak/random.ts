/** A seeded generator (mulberry32) and the few draws the soak needs, so a run can be replayed with SOAK_SEED. */
import { seeded } from '../../local/seeded-random';

export interface Rng {
  (): number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  /** One of `options`, drawn by weight. */
  weighted<T>(options: ReadonlyArray<readonly [number, T]>): T;
}

export function seededRng(seed: number): Rng {
  const next = seeded(seed) as Rng;
  next.int = (min, max) => min + Math.floor(next() * (max - min + 1));
  next.pick = (items) => items[Math.floor(next() * items.length)];
  next.chance = (p) => next() < p;
  next.weighted = (options) => {
    const total = options.reduce((s, [w]) => s + w, 0);
    let r = next() * total;
    for (const [w, v] of options) {
      if ((r -= w) < 0) return v;
    }
    return options[options.length - 1][1];
  };
  return next;
}
