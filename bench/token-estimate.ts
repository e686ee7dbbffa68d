/**
 * `npx tsx bench/token-estimate.ts`: how long the router's token count takes on bodies that make
 * plain BPE quadratic (one unbroken run of emoji, CJK or letters), against ordinary prose of the
 * same size. Prints a table; not part of `npm test` (test/unit/token-windows.test.ts checks that
 * no piece longer than a window reaches BPE, which is what keeps this linear).
 */
import { countTokens } from '../functions/core/routing/token-estimate';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const cases: Array<[string, string]> = [
  ['1 MB of "x" (one run)', 'x'.repeat(1_000_000)],
  ['1 MB of emoji (one run)', '😀'.repeat(250_000)],
  ['1 MB of CJK (one run)', '一'.repeat(333_333)],
  ['1 MB of prose', 'The quick brown fox jumps over the lazy dog. '.repeat(22_222)],
];

countTokens('warm up the encoder');
console.log('| body | tokens | best of %d, ms |', ROUNDS);
console.log('|---|---:|---:|');
for (const [name, text] of cases) {
  let best = Infinity;
  let tokens = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    tokens = countTokens(text);
    best = Math.min(best, performance.now() - started);
  }
  console.log(`| ${name} | ${tokens} | ${best.toFixed(0)} |`);
}
