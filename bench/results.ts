/** bench/RESULTS.md: the run's tables, the targets next to where we stand, and how it was measured. */
import type { ThroughputRow } from './cases/http-cases';
import type { ColdStartRow } from './cases/cold-start';
import type { InProcessRow } from './cases/in-process';
import { PACE_MS, type StreamingResult } from './cases/streaming';
import { latencyHistogram, pctMs, pctUs, recordMs, type Histogram } from './histogram';
import type { LoadResult } from './http-load';
import { ms, num, ratio, section, signedMs, table } from './report';

export interface Results {
  machine: string;
  settings: {
    n: number;
    warmup: number;
    rounds: number;
    levels: number[];
    seconds: number;
    streams: number;
    inProcessN: number;
    imports: number;
  };
  latency: Map<string, LoadResult>;
  throughput: ThroughputRow[];
  inProcess: InProcessRow[];
  streaming: StreamingResult;
  coldStart: ColdStartRow[];
  totalSeconds: number;
}

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const PCTS = [50, 90, 99] as const;

/** Median through the same HdrHistogram as every other percentile here. */
const median = (xs: number[]) => {
  const h = latencyHistogram();
  for (const x of xs) recordMs(h, x);
  return pctMs(h, 50);
};
const sum = (m: Record<string, number>, pred: (op: string) => boolean) =>
  Object.entries(m).reduce((s, [op, v]) => (pred(op) ? s + v : s), 0);
const ops = (m: Record<string, number>) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([op, v]) => `${op} ${num(v, 3)}`)
    .join(', ') || 'none';
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const added = (h: Histogram, base: Histogram, p: number) => pctMs(h, p) - pctMs(base, p);
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

/** The diagnostic target: Switchyard with its per-request holder write answered without being sent. */
export const NO_WRITE_LABEL = 'Switchyard, holder write skipped (diagnostic)';

const rpsOf = (x: LoadResult) => (x.ok / Math.max(1, x.durationMs)) * 1000;

function latencySection(r: Results): string {
  const direct = r.latency.get('direct')!;
  const rows = [...r.latency.entries()].map(([label, res]) => [
    label,
    String(res.ok),
    ...PCTS.map((p) => ms(pctMs(res.latency, p))),
    ...PCTS.map((p) => (label === 'direct' ? '-' : signedMs(added(res.latency, direct.latency, p)))),
    String(res.errors),
  ]);
  const sy = r.latency.get('Switchyard')!;
  const pk = r.latency.get('Portkey')!;
  const ratios = PCTS.map(
    (p) => `p${p} ${ratio(added(sy.latency, direct.latency, p), added(pk.latency, direct.latency, p))}`,
  ).join(', ');
  return section(
    `1. Added latency, sequential (one connection), ${r.settings.n} requests per target after ${r.settings.warmup} warm-up, ${r.settings.rounds} interleaved rounds`,
    'Non-streaming chat completion, time to the last byte as autocannon measures it. "Added" is the target\'s percentile minus the direct percentile.',
    table(
      ['target', 'requests', 'p50 (ms)', 'p90 (ms)', 'p99 (ms)', 'added p50', 'added p90', 'added p99', 'errors'],
      rows,
    ),
    `Switchyard's added latency as a multiple of Portkey's: ${ratios}.`,
  );
}

function throughputSection(r: Results): string {
  const rows: string[][] = [];
  for (const level of r.throughput) {
    const direct = level.results.get('direct')!;
    for (const [label, res] of level.results) {
      rows.push([
        String(level.concurrency),
        label,
        num(rpsOf(res)),
        label === 'direct' ? '-' : ratio(rpsOf(res), rpsOf(direct)),
        ms(pctMs(res.latency, 50)),
        ms(pctMs(res.latency, 99)),
        String(res.errors),
        ms(res.cpuMicros / 1000 / Math.max(1, res.ok + res.errors)),
      ]);
    }
  }
  const dyn = r.throughput.map((l) => `concurrency ${l.concurrency}: ${ops(l.switchyardDynamo)}`).join('; ');
  return section(
    `2. Throughput, closed loop, ${r.settings.seconds} s per target per level (3 interleaved slices)`,
    "Server CPU per request is the target process's user + system CPU (from /proc) over its requests: for direct that is the upstream alone; for Switchyard the emulator, authorizer, router and dynalite (one process, dynalite in a worker thread); for Portkey its gateway process. The upstream's own CPU is not included for the gateways.",
    table(
      ['concurrency', 'target', 'req/s', 'vs direct', 'p50 (ms)', 'p99 (ms)', 'errors', 'server CPU / req (ms)'],
      rows,
    ),
    `DynamoDB calls per Switchyard request under load, counted at dynalite (after-response writes included): ${dyn}.`,
  );
}

function inProcessSection(r: Results): string {
  const rows = r.inProcess.map((row) => [
    row.label,
    String(row.requests),
    num(pctUs(row.response, 50)),
    num(pctUs(row.response, 99)),
    num(pctUs(row.invocation, 50)),
    num(pctUs(row.invocation, 99)),
    row.dynamo
      ? `${num(
          sum(row.dynamo.hot, (op) => READS.has(op)),
          3,
        )} / ${num(
          sum(row.dynamo.hot, (op) => !READS.has(op)),
          2,
        )}`
      : '-',
    row.dynamo
      ? `${num(
          sum(row.dynamo.after, (op) => READS.has(op)),
          3,
        )} / ${num(
          sum(row.dynamo.after, (op) => !READS.has(op)),
          2,
        )}`
      : '-',
  ]);
  const dynamoRow = r.inProcess.find((row) => row.dynamo);
  return section(
    '3. The router handler in-process (prepared event, instant upstream)',
    'The deployed streaming handler (`createRouterHandler`) invoked directly with an API Gateway proxy event as the authorizer leaves it, writing into a discarding response stream; the upstream answers at once from memory. "Response" ends when the response stream ends (what the client waits for); "invocation" includes the after-response work (settlement, usage rows). µs.',
    table(
      [
        'variant',
        'requests',
        'response p50 (µs)',
        'response p99 (µs)',
        'invocation p50 (µs)',
        'invocation p99 (µs)',
        'DynamoDB reads / writes before the response',
        'reads / writes after it',
      ],
      rows,
    ),
    dynamoRow?.dynamo
      ? `DynamoDB calls per request by operation: before the response ${ops(dynamoRow.dynamo.hot)}; after it ${ops(dynamoRow.dynamo.after)}. A read before the response is the state snapshot's background refresh (every 2 s, never awaited by a warm request) landing inside the window.`
      : '',
  );
}

function streamingSection(r: Results): string {
  const { burst, paced } = r.streaming;
  const row = (
    what: string,
    pick: (t: { ttft: Histogram; gap: Histogram }) => Histogram,
    m: Map<string, { ttft: Histogram; gap: Histogram; ok: number; errors: number }>,
  ) => {
    const d = pick(m.get('direct')!);
    const s = pick(m.get('Switchyard')!);
    return [
      what,
      ...PCTS.map((p) => `${ms(pctMs(d, p))} / ${ms(pctMs(s, p))}`),
      ...PCTS.map((p) => signedMs(pctMs(s, p) - pctMs(d, p))),
    ];
  };
  const errors = [...burst.entries(), ...paced.entries()].map(([l, t]) => `${l} ${t.errors}`).join(', ');
  return section(
    '4. Streaming, direct vs Switchyard',
    `One stream at a time, alternating targets. Time to first token: request start to the first SSE event carrying content, ${r.settings.streams} streams per target, upstream sending back to back. Inter-token gap: between consecutive content events, ${r.streaming.pacedStreams} streams per target with the upstream pacing its events ${PACE_MS} ms apart.`,
    table(
      ['', 'p50 direct / Switchyard (ms)', 'p90', 'p99', 'added p50', 'added p90', 'added p99'],
      [
        row('time to first token', (t) => t.ttft, burst),
        row(`inter-token gap (paced ${PACE_MS} ms)`, (t) => t.gap, paced),
      ],
    ),
    `Stream errors (no [DONE], non-200): ${errors}.`,
  );
}

function coldStartSection(r: Results): string {
  const rows = r.coldStart.map((c) => [
    c.name,
    kb(c.bytes),
    kb(c.gzipBytes),
    kb(c.mapBytes),
    c.sideLoadedBytes ? kb(c.sideLoadedBytes) : '-',
    ms(median(c.importMs)),
    ms(Math.min(...c.importMs)),
    ms(Math.max(...c.importMs)),
  ]);
  return section(
    `5. Cold start: each function as \`cdk synth\` bundles it, ${r.settings.imports} fresh Node processes each`,
    "Bundle = the asset's index.js (esbuild, minified, CommonJS, `@aws-sdk/*` left to the nodejs22.x runtime); gzip is roughly what the deployment zip holds. Import = `require()` of the bundle in a fresh `node` process, module-scope wiring included (config compile, clients), with the repository's AWS SDK on NODE_PATH standing in for the runtime's. Lambda's own runtime start is not in it.",
    "Side-loaded: code in the asset but not in index.js, required only on a slow path (the router's BPE tokenizer, for long prompts); not in the import time.",
    table(['function', 'bundle', 'gzip', 'source map', 'side-loaded', 'import median (ms)', 'min', 'max'], rows),
  );
}

function targetsSection(r: Results): string {
  const memory = r.inProcess.find((x) => x.label.startsWith('ports in memory, non-stream'))!;
  const dyn = r.inProcess.find((x) => x.dynamo)!.dynamo!;
  const direct = r.latency.get('direct')!.latency;
  const sy = r.latency.get('Switchyard')!.latency;
  const pk = r.latency.get('Portkey')!.latency;
  const ttftAdded99 =
    pctMs(r.streaming.burst.get('Switchyard')!.ttft, 99) - pctMs(r.streaming.burst.get('direct')!.ttft, 99);
  const router = r.coldStart.find((c) => c.name === 'router');
  const hotReads = sum(dyn.hot, (op) => READS.has(op) && op !== 'BatchGetItem');
  const hotWrites = sum(dyn.hot, (op) => !READS.has(op));
  const afterWrites = sum(dyn.after, (op) => !READS.has(op));
  const rows: string[][] = [
    [
      'added latency in-process, p50',
      '< 0.5 ms',
      `${ms(pctUs(memory.response, 50) / 1000)} ms`,
      verdict(pctUs(memory.response, 50) < 500),
    ],
    [
      'added latency in-process, p99',
      '< 1.5 ms',
      `${ms(pctUs(memory.response, 99) / 1000)} ms`,
      verdict(pctUs(memory.response, 99) < 1500),
    ],
    ...PCTS.map((p) => {
      const s = added(sy, direct, p);
      const k = added(pk, direct, p);
      return [
        `added latency through the local HTTP runtime, p${p}`,
        'lower than Portkey',
        `${signedMs(s)} vs Portkey ${signedMs(k)} ms`,
        verdict(s < k),
      ];
    }),
    ...r.throughput
      .filter((l) => l.concurrency === 10)
      .map((l) => {
        const x = rpsOf(l.results.get('Switchyard')!) / rpsOf(l.results.get('Portkey')!);
        return [
          'closed-loop throughput at 10 clients',
          "at least 0.8x Portkey's",
          `${num(x, 2)}x Portkey's`,
          verdict(x >= 0.8),
        ];
      }),
    ['streaming added time to first token, p99', '< 1 ms', `${signedMs(ttftAdded99)} ms`, verdict(ttftAdded99 < 1)],
    [
      'synchronous DynamoDB reads per warm request',
      '0',
      `${num(hotReads, 3)} (GetItem/Query/Scan before the response)`,
      verdict(hotReads === 0),
    ],
    [
      'DynamoDB writes per warm request',
      'at most 1.5, none before the response',
      `${num(hotWrites, 2)} before the response, ${num(afterWrites, 2)} after it`,
      verdict(hotWrites === 0 && hotWrites + afterWrites <= 1.5),
    ],
    [
      'router bundle',
      '< 400 KB',
      router
        ? `${kb(router.bytes)} index.js${router.sideLoadedBytes ? ` (+${kb(router.sideLoadedBytes)} side-loaded tokenizer)` : ''}`
        : '-',
      verdict(!!router && router.bytes < 400 * 1024),
    ],
    [
      'router import, median',
      '< 120 ms',
      router ? `${ms(median(router.importMs))} ms` : '-',
      verdict(!!router && median(router.importMs) < 120),
    ],
  ];
  const withDynamo = r.inProcess.find((x) => x.dynamo)!;
  const code = pctUs(memory.response, 50) / 1000;
  const hot = pctUs(withDynamo.response, 50) / 1000;
  const after = pctUs(withDynamo.invocation, 50) / 1000 - hot;
  const where = [
    "Where Switchyard's added time goes (p50, from case 3):",
    `- the router's own code (validation, token estimate, plan, executor, settlement, logs and EMF): ${ms(code)} ms;`,
    `- the DynamoDB adapters on the request path (${num(hotWrites, 2)} writes before the response per request: slice takes, amortised; AWS SDK to dynalite): ${ms(hot - code)} ms more;`,
    `- the ${num(afterWrites, 2)} writes after it (the instance's holder record: use, usage counters, slices given back): ${ms(after)} ms, which the client does not wait for but a back-to-back client's next request shares the event loop with (on AWS an instance takes its next request only after them, and API Gateway sends concurrent requests to other instances);`,
    '- the rest of the HTTP difference is the extra loopback hop, the API Gateway emulator (event building, cached authorizer, response relay) and the upstream call through undici.',
    noWriteNote(r),
    'Portkey keeps no shared state per request (no budgets, concurrency caps or usage counters across instances), so it has none of the DynamoDB work.',
  ].join('\n');
  return section(
    'Targets and where we stand',
    table(['what', 'target', 'measured', ''], rows, ['l', 'l', 'l', 'l']),
    where,
  );
}

/** What the diagnostic target says: the request path alone against Portkey. */
function noWriteNote(r: Results): string {
  const nw = r.latency.get(NO_WRITE_LABEL);
  if (!nw) return '';
  const direct = r.latency.get('direct')!.latency;
  const pk = r.latency.get('Portkey')!.latency;
  const at10 = r.throughput.find((l) => l.concurrency === 10);
  const tp = at10?.results.get(NO_WRITE_LABEL);
  const tpPk = at10?.results.get('Portkey');
  return `The diagnostic target "${NO_WRITE_LABEL}" is the same process with every holder-record write answered at once without being sent (never a configuration: budgets would not survive a restart). It adds ${signedMs(added(nw.latency, direct, 50))} ms at p50 against Portkey's ${signedMs(added(pk, direct, 50))} ms${tp && tpPk ? `, and reaches ${num(rpsOf(tp) / rpsOf(tpPk), 2)}x Portkey's throughput at 10 clients` : ''}: the difference to the Switchyard row is the one write each request makes after its response, in this one process on two cores.`;
}

export function renderResults(r: Results): string {
  return [
    '# Switchyard benchmark results',
    [
      'Generated by `npm run bench` (bench/run.ts); every number below comes from one run on the machine described, each case measured side by side.',
      'Targets: **direct** (the client calls the upstream), **Switchyard** (the local runtime: API Gateway emulator, REQUEST authorizer with its 60 s cache, streaming router handler, dynalite), **Portkey** (`@portkey-ai/gateway` 1.15.2 from npm, `start-server.js --headless`, pointed at the same upstream with `x-portkey-provider: openai` and `x-portkey-custom-host`). Switchyard writes usage counters every 10 s as on AWS (`sharedState.usageFlushMs`, whose default the local runtime sets to 0 so the console sees each request at once).',
      'One upstream for all: the simulated OpenAI-compatible provider at zero model latency, in its own process. Each gateway and the upstream run in their own processes; the load generator (autocannon 9, keep-alive, no pipelining) runs in the parent. Latencies are recorded at µs resolution into HdrHistograms (hdr-histogram-js).',
    ].join('\n'),
    section(
      'Command and machine',
      '```sh\nnpm run bench\n```',
      `Settings: ${JSON.stringify(r.settings)}. Total time ${r.totalSeconds.toFixed(0)} s.`,
      r.machine,
    ),
    targetsSection(r),
    latencySection(r),
    throughputSection(r),
    inProcessSection(r),
    streamingSection(r),
    coldStartSection(r),
  ].join('\n\n');
}
