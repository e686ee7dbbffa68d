/**
 * `npm run bench`: the gateway's own cost, measured side by side in one run.
 *
 * The same chat completion goes (a) straight to the simulated OpenAI provider and (b) through the
 * local gateway (API Gateway emulator -> authorizer -> router -> the same provider), with the
 * simulated model latency at 0 so what is left is transport plus gateway work. The system under
 * test runs in a child process (bench/server.ts), the load generator here, both on loopback.
 *
 *   1. latency: sequential, direct and gateway interleaved (D G Ds Gs D G ...) after a warm-up;
 *   2. throughput: closed loop at several concurrencies, direct and gateway in alternating slices;
 *   3. DynamoDB calls per gateway request, by operation, counted at dynalite.
 *
 * Knobs (environment): BENCH_N (cycles, default 500), BENCH_WARMUP (cycles, 100),
 * BENCH_CONCURRENCY (default 1,8,32), BENCH_SECONDS (per target per level, 5),
 * BENCH_OUT (default bench/results/latest.md; "-" = stdout only).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createTarget, mergeRuns, runFor, send, type RunResult, type Sample, type Target } from './load';
import { ms, num, ratio, section, signedMs, table } from './report';
import type { Command, ModeStats, PhaseStats, ProbeStats, Reply, ServerInfo } from './server';
import { summarize, type Summary } from './stats';

const N = intEnv('BENCH_N', 500);
const WARMUP = intEnv('BENCH_WARMUP', 100);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map((s) => Number.parseInt(s, 10)).filter((c) => c > 0);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Each target's time at a level is cut into this many slices, alternating direct and gateway. */
const SLICES = 5;
const OUT = process.env.BENCH_OUT ?? join(__dirname, 'results', 'latest.md');

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

function intEnv(name: string, dflt: number): number {
  const v = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(v) && v >= 0 ? v : dflt;
}

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// The system under test, in its own process.

class Server {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    readonly info: ServerInfo,
  ) {
    child.on('message', (m: Reply) => {
      if (!('id' in m)) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    });
    // A crashed server must fail the bench, not hang it.
    child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`bench server exited (${code})`));
      this.pending.clear();
    });
  }

  static start(): Promise<Server> {
    // tsx's loader is in process.execArgv, which fork() passes on, so the child runs TypeScript too.
    const child = fork(join(__dirname, 'server.ts'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    // Keep stdout for the tables: anything the gateway prints goes to stderr.
    child.stdout?.pipe(process.stderr);
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`bench server exited (${code}) before it was ready`));
      child.once('exit', onExit);
      child.once('message', (m: Reply) => {
        child.off('exit', onExit);
        if ('ready' in m) resolve(new Server(child, m.ready));
        else reject(new Error(`bench server failed: ${'failed' in m ? m.failed : JSON.stringify(m)}`));
      });
    });
  }

  call<T = unknown>(cmd: Command['cmd']): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd } satisfies Command);
    });
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((r) => (this.child.exitCode !== null ? r() : this.child.once('exit', () => r())));
    try {
      await Promise.race([this.call('close'), new Promise((r) => setTimeout(r, 5_000).unref())]);
    } catch {
      // already gone
    }
    const timer = setTimeout(() => this.child.kill(), 3_000);
    await exited;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Phases

interface Targets {
  direct: Target;
  gateway: Target;
  directStream: Target;
  gatewayStream: Target;
}

interface Latency {
  direct: Sample[];
  gateway: Sample[];
  directStream: Sample[];
  gatewayStream: Sample[];
  stats: PhaseStats;
}

/**
 * Sequential cycles of D G | Ds Gs (direct, gateway, direct stream, gateway stream), so the four
 * series see the same machine conditions. After each gateway request, wait until its router
 * invocation (after-response writes included) has returned, as a Lambda instance serves one
 * invocation at a time: the next request never shares the CPU with the previous one's settlement.
 */
async function interleaved(server: Server, t: Targets, cycles: number): Promise<Latency> {
  await server.call('reset');
  const out = { direct: [] as Sample[], gateway: [] as Sample[], directStream: [] as Sample[], gatewayStream: [] as Sample[] };
  for (let i = 0; i < cycles; i++) {
    out.direct.push(await send(t.direct));
    out.gateway.push(await send(t.gateway));
    await server.call('idle');
    out.directStream.push(await send(t.directStream));
    out.gatewayStream.push(await send(t.gatewayStream));
    await server.call('idle');
  }
  const stats = await server.call<PhaseStats>('stats');
  for (const [label, samples] of Object.entries(out)) {
    const bad = samples.filter((s) => s.status !== 200);
    if (bad.length > 0) throw new Error(`${label}: ${bad.length}/${samples.length} requests failed, first: ${bad[0].error ?? `HTTP ${bad[0].status}`}`);
  }
  return { ...out, stats };
}

interface Level {
  concurrency: number;
  direct: RunResult;
  gateway: RunResult;
  directCpuMicros: number;
  gatewayCpuMicros: number;
  /** Gateway slices' server stats (all non-stream). */
  gatewayStats: ModeStats[];
}

async function throughput(server: Server, direct: Target, gateway: Target, concurrency: number, seconds: number): Promise<Level> {
  const sliceMs = (seconds * 1000) / SLICES;
  let d: RunResult | undefined;
  let g: RunResult | undefined;
  let directCpuMicros = 0;
  let gatewayCpuMicros = 0;
  const gatewayStats: ModeStats[] = [];
  // Short warm-up at this concurrency (connections opened, JIT), not counted.
  await runFor(direct, concurrency, 200);
  await runFor(gateway, concurrency, 200);
  for (let s = 0; s < SLICES; s++) {
    await server.call('reset');
    d = mergeRuns(d, await runFor(direct, concurrency, sliceMs));
    directCpuMicros += (await server.call<PhaseStats>('stats')).cpuMicros;
    await server.call('reset');
    g = mergeRuns(g, await runFor(gateway, concurrency, sliceMs));
    const st = await server.call<PhaseStats>('stats');
    gatewayCpuMicros += st.cpuMicros;
    gatewayStats.push(st.byMode.json);
  }
  return { concurrency, direct: d!, gateway: g!, directCpuMicros, gatewayCpuMicros, gatewayStats };
}

// ---------------------------------------------------------------------------------------------
// Tables

function latencyTable(rows: Array<[string, Summary, Summary]>): string {
  return table(
    ['', 'direct (ms)', 'gateway (ms)', 'gateway / direct', 'gateway - direct (ms)'],
    rows.flatMap(([what, d, g]) =>
      (['p50', 'p90', 'p99', 'mean'] as const).map((k) => [`${what} ${k}`, ms(d[k]), ms(g[k]), ratio(g[k], d[k]), signedMs(g[k] - d[k])]),
    ),
  );
}

function headerValues(samples: Sample[], name: string): number[] {
  return samples.map((s) => Number(s.headers[name])).filter((v) => Number.isFinite(v));
}

function serverSideTable(lat: Latency): string {
  const row = (what: string, values: number[]) => {
    const s = summarize(values);
    return [what, ms(s.p50), ms(s.p99), ms(s.mean), ms(s.max)];
  };
  return table(
    ['gateway, measured on the server', 'p50 (ms)', 'p99 (ms)', 'mean (ms)', 'max (ms)'],
    [
      row('`x-switchyard-overhead-ms`, non-stream', headerValues(lat.gateway, 'x-switchyard-overhead-ms')),
      row('`x-switchyard-overhead-ms`, stream', headerValues(lat.gatewayStream, 'x-switchyard-overhead-ms')),
      row('router invocation incl. after-response writes, non-stream', lat.stats.byMode.json.invocationMs),
      row('router invocation incl. after-response writes, stream', lat.stats.byMode.stream.invocationMs),
    ],
  );
}

function totalCalls(counts: Record<string, number>): number {
  return Object.values(counts).reduce((s, v) => s + v, 0);
}

function addCounts(into: Record<string, number>, from: Record<string, number>): Record<string, number> {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
}

function opsPer(counts: Record<string, number>, requests: number): string {
  return (
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([op, v]) => `${op} ${num(v / requests, 2)}`)
      .join(', ') || '-'
  );
}

function dynamoRow(phase: string, gatewayRequests: number, counts: Record<string, number>, before?: { counts: Record<string, number>; requests: number }): string[] {
  const per = (v: number, n = gatewayRequests) => (n > 0 ? v / n : Number.NaN);
  const sum = (c: Record<string, number>, pred: (op: string) => boolean = () => true) => Object.entries(c).reduce((s, [op, v]) => (pred(op) ? s + v : s), 0);
  const beforePer = before ? per(sum(before.counts), before.requests) : Number.NaN;
  return [
    phase,
    String(gatewayRequests),
    num(per(sum(counts)), 2),
    num(per(sum(counts, (op) => READS.has(op))), 2),
    num(per(sum(counts, (op) => WRITES.has(op))), 2),
    before ? `${num(beforePer, 2)} (${opsPer(before.counts, before.requests)})` : '-',
    opsPer(counts, gatewayRequests),
  ];
}

interface ProbeContext {
  /** Gateway - direct, non-stream, p50 (ms). */
  latencyDiffP50: number;
  /** DynamoDB calls per non-stream gateway request, all / before the response. */
  callsPerRequest: number;
  callsBeforeResponse: number;
  /** Server CPU per request, gateway - direct (ms), over the throughput levels. */
  cpuDiffPerRequest: number;
}

function probeTable(p: ProbeStats, c: ProbeContext): string {
  const s = summarize(p.latencyMs);
  const cpuPerCall = p.cpuMicrosPerCall / 1000;
  return [
    table(
      ['one DynamoDB call alone (UpdateItem, AWS SDK -> dynalite)', 'p50 (ms)', 'p99 (ms)', 'server CPU per call (ms)', 'calls'],
      [['sequential, loopback', ms(s.p50), ms(s.p99), ms(cpuPerCall), String(p.calls)]],
    ),
    [
      'Rough attribution (estimates from the numbers above; the rest is the emulator, authorizer, router code, telemetry and the extra loopback hop):',
      `- latency: ${num(c.callsBeforeResponse, 2)} calls before the response x ${ms(s.p50)} ms = ~${ms(c.callsBeforeResponse * s.p50)} ms of the ${ms(c.latencyDiffP50)} ms p50 gateway - direct difference (non-stream);`,
      `- CPU: ${num(c.callsPerRequest, 2)} calls x ${ms(cpuPerCall)} ms = ~${ms(c.callsPerRequest * cpuPerCall)} ms of the ${ms(c.cpuDiffPerRequest)} ms extra server CPU per gateway request (throughput, all levels).`,
    ].join('\n'),
  ].join('\n\n');
}

function throughputTable(levels: Level[]): string {
  return table(
    ['concurrency', 'direct req/s', 'gateway req/s', 'gateway / direct', 'direct p50 / p99 (ms)', 'gateway p50 / p99 (ms)', 'p99 gateway / direct', 'server CPU per req direct / gateway (ms)', 'errors d / g'],
    levels.map((l) => {
      const rps = (r: RunResult) => (r.ok / r.elapsedMs) * 1000;
      const ds = summarize(l.direct.latencies);
      const gs = summarize(l.gateway.latencies);
      return [
        String(l.concurrency),
        num(rps(l.direct)),
        num(rps(l.gateway)),
        ratio(rps(l.gateway), rps(l.direct)),
        `${ms(ds.p50)} / ${ms(ds.p99)}`,
        `${ms(gs.p50)} / ${ms(gs.p99)}`,
        ratio(gs.p99, ds.p99),
        `${ms(l.directCpuMicros / 1000 / Math.max(1, l.direct.ok + l.direct.errors))} / ${ms(l.gatewayCpuMicros / 1000 / Math.max(1, l.gateway.ok + l.gateway.errors))}`,
        `${l.direct.errors} / ${l.gateway.errors}`,
      ];
    }),
  );
}

// ---------------------------------------------------------------------------------------------

async function sanityCheck(direct: Target, gateway: Target): Promise<void> {
  const d = await send(direct, true);
  const g = await send(gateway, true);
  if (d.status !== 200 || g.status !== 200) throw new Error(`sanity check: direct ${d.status} ${d.text ?? d.error}, gateway ${g.status} ${g.text ?? g.error}`);
  if (g.headers['x-switchyard-model'] !== 'gpt-4.1') throw new Error(`sanity check: the gateway answered with ${String(g.headers['x-switchyard-model'])}`);
  const content = (s: Sample) => (JSON.parse(s.text!) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content;
  if (content(d) !== content(g)) throw new Error('sanity check: direct and gateway replies differ');
}

function machine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model?.trim() ?? 'unknown';
  return table(
    ['', ''],
    [
      ['date', new Date().toISOString()],
      ['cpus', `${cpus.length} x ${model}${typeof os.availableParallelism === 'function' ? ` (availableParallelism ${os.availableParallelism()})` : ''}`],
      ['memory', `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`],
      ['os', `${os.type()} ${os.release()} ${os.arch()}`],
      ['node', process.version],
      ['load average at start (1/5/15 min)', os.loadavg().map((v) => v.toFixed(2)).join(' / ')],
    ],
    ['l', 'l'],
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  const machineInfo = machine();
  log('starting the gateway (child process)...');
  const server = await Server.start();
  const { info } = server;
  const messages = [{ role: 'user', content: 'Say hello to the benchmark.' }];
  const body = { model: 'gpt-4.1', messages };
  const streamBody = { ...body, stream: true, stream_options: { include_usage: true } };
  const gwHeaders = { authorization: `Bearer ${info.demoKey}` };
  // The provider never checks the key; send one of the same shape so both requests carry the same headers.
  const directHeaders = { authorization: 'Bearer sk-bench-direct-000000000000000000000' };
  const maxConc = Math.max(1, ...LEVELS);
  const targets = {
    direct: createTarget('direct', info.directChatUrl, directHeaders, body, maxConc),
    gateway: createTarget('gateway', info.gatewayChatUrl, gwHeaders, body, maxConc),
    directStream: createTarget('direct stream', info.directChatUrl, directHeaders, streamBody, 4),
    gatewayStream: createTarget('gateway stream', info.gatewayChatUrl, gwHeaders, streamBody, 4),
  };

  try {
    await sanityCheck(targets.direct, targets.gateway);

    log(`latency: warm-up ${WARMUP} cycles, then ${N} cycles of direct, gateway, direct stream, gateway stream...`);
    await interleaved(server, targets, WARMUP);
    const lat = await interleaved(server, targets, N);

    const levels: Level[] = [];
    for (const c of LEVELS) {
      log(`throughput: concurrency ${c}, ${SECONDS}s per target in ${SLICES} alternating slices...`);
      levels.push(await throughput(server, targets.direct, targets.gateway, c, SECONDS));
    }

    const tot = (ss: Sample[]) => summarize(ss.map((s) => s.totalMs));
    const first = (ss: Sample[]) => summarize(ss.map((s) => s.firstByteMs));
    log('DynamoDB: one call alone...');
    const probe = await server.call<ProbeStats>('probe');
    const seq = (what: string, m: ModeStats) =>
      dynamoRow(`latency, ${what} (sequential)`, m.invocations, m.dynamo, { counts: m.dynamoBeforeResponse, requests: m.aloneInvocations });
    const dynamoRows = [
      seq('non-stream', lat.stats.byMode.json),
      seq('stream', lat.stats.byMode.stream),
      ...levels.map((l) =>
        dynamoRow(
          `throughput, non-stream, concurrency ${l.concurrency}`,
          l.gatewayStats.reduce((n, s) => n + s.invocations, 0),
          l.gatewayStats.reduce((acc, s) => addCounts(acc, s.dynamo), {} as Record<string, number>),
        ),
      ),
    ];

    const md = [
      '# Switchyard gateway overhead',
      `Generated by \`npm run bench\` (bench/run.ts). Simulated provider latency scale ${info.timeScale} (the upstream answers at once), so the differences are the gateway's own cost. Client and server are separate processes on the same machine, over loopback.`,
      section('Machine', machineInfo),
      section(
        `1. Latency, sequential (concurrency 1): ${N} cycles of direct, gateway, direct stream, gateway stream, after ${WARMUP} warm-up cycles`,
        '### Non-streaming chat completion (time to the last byte)',
        latencyTable([['total', tot(lat.direct), tot(lat.gateway)]]),
        '### Streaming chat completion (`stream: true`, `include_usage`)',
        'First byte = first SSE event in the body; total = `data: [DONE]` read.',
        latencyTable([
          ['first byte', first(lat.directStream), first(lat.gatewayStream)],
          ['total', tot(lat.directStream), tot(lat.gatewayStream)],
        ]),
        '### Server side',
        '`x-switchyard-overhead-ms` is whole milliseconds (request start to answer, minus the upstream call). The invocation time includes the after-response writes (settle, usage counters) that the client does not wait for; on AWS it is what Lambda bills.',
        serverSideTable(lat),
      ),
      section(
        `2. Throughput, non-streaming, closed loop, ${SECONDS} s per target per level (${SLICES} alternating slices)`,
        'Server CPU per request: user + system CPU of the process that runs the gateway, dynalite and the simulated provider, divided by requests; the direct column is the provider and HTTP alone.',
        throughputTable(levels),
      ),
      section(
        '3. DynamoDB calls per gateway request (counted at dynalite)',
        'Reads and writes split by `X-Amz-Target`. Includes the router\'s periodic state refresh and the after-response writes; "before the response" counts the calls made between the invocation\'s start and the end of its response stream (sequential phases only), i.e. the ones the client waits for. The API key lookup is absorbed by the authorizer cache (60 s, as deployed).',
        table(['phase', 'gateway requests', 'calls / req', 'reads / req', 'writes / req', 'before the response / req', 'by operation (per request)'], dynamoRows, ['l', 'r', 'r', 'r', 'r', 'l', 'l']),
        probeTable(probe, {
          latencyDiffP50: tot(lat.gateway).p50 - tot(lat.direct).p50,
          callsPerRequest: totalCalls(lat.stats.byMode.json.dynamo) / Math.max(1, lat.stats.byMode.json.invocations),
          callsBeforeResponse: totalCalls(lat.stats.byMode.json.dynamoBeforeResponse) / Math.max(1, lat.stats.byMode.json.aloneInvocations),
          cpuDiffPerRequest:
            levels.reduce((sum, l) => sum + l.gatewayCpuMicros, 0) / 1000 / Math.max(1, levels.reduce((n, l) => n + l.gateway.ok + l.gateway.errors, 0)) -
            levels.reduce((sum, l) => sum + l.directCpuMicros, 0) / 1000 / Math.max(1, levels.reduce((n, l) => n + l.direct.ok + l.direct.errors, 0)),
        }),
      ),
      `_Total bench time ${((performance.now() - started) / 1000).toFixed(1)} s._`,
    ].join('\n\n');

    process.stdout.write(`${md}\n`);
    if (OUT !== '-') {
      mkdirSync(dirname(OUT), { recursive: true });
      writeFileSync(OUT, `${md}\n`);
      log(`written to ${relative(process.cwd(), OUT)}`);
    }
  } finally {
    for (const t of Object.values(targets)) await t.pool.close();
    await server.close();
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
