/**
 * `npx tsx bench/response-cache.ts`: what the response cache costs and saves, through the local
 * runtime (API Gateway emulator, authorizer, router, dynalite, simulated providers), in one process.
 * Writes bench/results/response-cache.md (BENCH_OUT=- prints only).
 *
 *   1. A miss's extra cost: the same requests with the cache off and with `x-switchyard-cache: use`
 *      on prompts never seen (one GetItem before the upstream call, one PutItem after the response),
 *      zero-latency upstreams, interleaved rounds.
 *   2. A hit against the upstream call it replaces, at the simulated models' realistic latency
 *      (gemini-2.5-flash ~180 ms), JSON and streamed (time to first content byte and to the end).
 *   3. DynamoDB calls per request, by operation, for a miss and for a hit.
 *
 * Knobs: BENCH_CACHE_N (requests per measurement, default 300), BENCH_CACHE_ROUNDS (5).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import defaultConfig from '../config/switchyard.json';
import { startLocalGateway, type LocalGateway } from '../local/gateway';
import { latencyHistogram, pctMs, recordMs, type Histogram } from './histogram';
import { machineTable } from './machine';

const N = Number.parseInt(process.env.BENCH_CACHE_N ?? '', 10) || 300;
const ROUNDS = Number.parseInt(process.env.BENCH_CACHE_ROUNDS ?? '', 10) || 5;

let seq = 0;
const question = () => [{ role: 'user', content: `Bench question ${++seq}: what does a cache save?` }];

async function gateway(timeScale: number): Promise<LocalGateway> {
  const cfg = structuredClone(defaultConfig) as { routes: Record<string, Record<string, unknown>> };
  cfg.routes['chat-default'].cache = { ttlSeconds: 3600 };
  return startLocalGateway({ port: 0, timeScale, configJson: cfg, healthCheckIntervalMs: 0, demoKey: true });
}

interface Timing {
  headers: Headers;
  firstMs: number;
  totalMs: number;
}

async function call(gw: LocalGateway, body: unknown, headers: Record<string, string> = {}): Promise<Timing> {
  const t0 = performance.now();
  const res = await fetch(`${gw.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.demoKey}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  let firstMs = Number.NaN;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    // The first bytes that carry content: for a stream, past the role chunk.
    if (Number.isNaN(firstMs) && new TextDecoder().decode(value).includes('"content":"'))
      firstMs = performance.now() - t0;
  }
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return { headers: res.headers, firstMs, totalMs: performance.now() - t0 };
}

/** Waits until the after-response write of the last miss is in (so the next call can hit). */
async function settle(gw: LocalGateway, before: number): Promise<void> {
  for (let i = 0; i < 200 && (gw.dynamo.requestCounts().PutItem ?? 0) <= before; i++)
    await new Promise((r) => setTimeout(r, 5));
}

const row = (label: string, h: Histogram) =>
  `| ${label} | ${h.totalCount} | ${pctMs(h, 50).toFixed(2)} | ${pctMs(h, 90).toFixed(2)} | ${pctMs(h, 99).toFixed(2)} |`;
const HEAD = '| | n | p50 ms | p90 ms | p99 ms |\n| :-- | --: | --: | --: | --: |';

async function missOverhead(): Promise<string> {
  const gw = await gateway(0);
  try {
    const off = latencyHistogram();
    const miss = latencyHistogram();
    const body = () => ({ model: 'chat-default', temperature: 0, messages: question() });
    for (let i = 0; i < 50; i++) await call(gw, body(), { 'x-switchyard-cache': 'use' });
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < N / ROUNDS; i++)
        recordMs(off, (await call(gw, body(), { 'x-switchyard-cache': 'skip' })).totalMs);
      for (let i = 0; i < N / ROUNDS; i++) {
        const t = await call(gw, body(), { 'x-switchyard-cache': 'use' });
        if (t.headers.get('x-switchyard-cache') !== 'miss') throw new Error('expected a miss');
        recordMs(miss, t.totalMs);
      }
    }
    const added = (p: number) => (pctMs(miss, p) - pctMs(off, p)).toFixed(2);
    return [
      '## 1. What a miss adds (zero-latency upstream, JSON, sequential)',
      '',
      HEAD,
      row('cache skipped', off),
      row('cache used, always a miss', miss),
      '',
      `Added by the lookup (and the after-response write the next request shares the event loop with): p50 ${added(50)} ms, p90 ${added(90)} ms, p99 ${added(99)} ms.`,
    ].join('\n');
  } finally {
    await gw.close();
  }
}

async function hitVersusUpstream(): Promise<string> {
  const gw = await gateway(1);
  try {
    const out: string[] = ['## 2. A hit against the upstream call it replaces (realistic simulated latency)', ''];
    for (const stream of [false, true]) {
      const missTotal = latencyHistogram();
      const hitTotal = latencyHistogram();
      const missFirst = latencyHistogram();
      const hitFirst = latencyHistogram();
      const n = Math.max(20, Math.floor(N / 5));
      for (let i = 0; i < n; i++) {
        const body = { model: 'chat-default', temperature: 0, messages: question(), stream };
        const puts = gw.dynamo.requestCounts().PutItem ?? 0;
        const m = await call(gw, body);
        if (m.headers.get('x-switchyard-cache') !== 'miss') throw new Error('expected a miss');
        recordMs(missTotal, m.totalMs);
        if (stream) recordMs(missFirst, m.firstMs);
        await settle(gw, puts);
        const h = await call(gw, body);
        if (h.headers.get('x-switchyard-cache') !== 'hit') throw new Error('expected a hit');
        recordMs(hitTotal, h.totalMs);
        if (stream) recordMs(hitFirst, h.firstMs);
      }
      out.push(`${stream ? 'Streamed' : 'JSON'}, gemini-2.5-flash through route chat-default:`, '', HEAD);
      out.push(row('miss, to the last byte', missTotal), row('hit, to the last byte', hitTotal));
      if (stream) out.push(row('miss, to the first content', missFirst), row('hit, to the first content', hitFirst));
      out.push('');
    }
    return out.join('\n');
  } finally {
    await gw.close();
  }
}

async function dynamoCalls(): Promise<string> {
  const gw = await gateway(0);
  try {
    const per = async (kind: 'miss' | 'hit') => {
      const bodies = Array.from({ length: 50 }, () => ({
        model: 'chat-default',
        temperature: 0,
        messages: question(),
      }));
      if (kind === 'hit') {
        for (const b of bodies) await call(gw, b);
        await new Promise((r) => setTimeout(r, 500));
      }
      gw.dynamo.resetRequestCounts();
      for (const b of bodies) {
        const t = await call(gw, b);
        if (t.headers.get('x-switchyard-cache') !== kind) throw new Error(`expected a ${kind}`);
      }
      // After-response writes (stores, usage records) land a little later.
      await new Promise((r) => setTimeout(r, 500));
      const counts = gw.dynamo.requestCounts();
      return Object.entries(counts)
        .sort()
        .map(([op, c]) => `${op} ${(c / bodies.length).toFixed(2)}`)
        .join(', ');
    };
    for (let i = 0; i < 20; i++) await call(gw, { model: 'chat-default', temperature: 0, messages: question() });
    return [
      '## 3. DynamoDB calls per request (warm instance, 50 sequential requests each)',
      '',
      '| request | calls per request, by operation |',
      '| :-- | :-- |',
      `| miss | ${await per('miss')} |`,
      `| hit | ${await per('hit')} |`,
      '',
      'GetItem on a miss is the lookup, PutItem the stored answer; UpdateItem is the usage record a hit',
      'still writes (coalesced per instance: counters for /v1/stats), with no budget, rate or slot.',
    ].join('\n');
  } finally {
    await gw.close();
  }
}

async function main() {
  const started = Date.now();
  const sections = [await missOverhead(), await hitVersusUpstream(), await dynamoCalls()];
  const report = [
    '# Response cache benchmark',
    '',
    'Generated by `npx tsx bench/response-cache.ts`: the local runtime in one process (emulator, authorizer,',
    'router, dynalite in its worker thread, simulated providers), one sequential client.',
    '',
    machineTable(),
    '',
    `Settings: n=${N}, rounds=${ROUNDS}. Total time ${Math.round((Date.now() - started) / 1000)} s.`,
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
  process.stdout.write(`${report}\n`);
  if (process.env.BENCH_OUT !== '-') {
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'response-cache.md'), report);
  }
}

void main();
