/**
 * `npm run bench`: Switchyard's overhead, side by side in one run, written to bench/RESULTS.md.
 *
 * One zero-latency simulated upstream (its own process) serves every target:
 *   - direct: the client calls the upstream itself;
 *   - Switchyard: the local runtime (API Gateway emulator, authorizer, router, dynalite) in its own process;
 *   - Portkey: `@portkey-ai/gateway` from npm in its own process, pointed at the same upstream.
 * The load generator (autocannon) runs here. Cases:
 *   1. added latency, sequential, interleaved rounds;  2. throughput at concurrency 10 and 50;
 *   3. the router handler in-process;  4. streaming time to first token and inter-token gap;
 *   5. cold start: bundle sizes and import time of each function as CDK bundles it;
 *   6. the capacity model: DynamoDB writes per chat request and per partition key, with many
 *      simulated Lambda instances behind the partition-capacity proxy (bench/cases/capacity.ts).
 *
 * `npm run bench -- capacity` runs case 6 alone and replaces its section of bench/RESULTS.md;
 * with BENCH_CAPACITY_SAVE_BEFORE=1 it also saves the run as the baseline the section compares with
 * (bench/results/capacity-before.json).
 *
 * Knobs (environment): BENCH_N (requests per target for case 1, default 2000), BENCH_WARMUP (300),
 * BENCH_ROUNDS (10), BENCH_CONCURRENCY (10,50), BENCH_SECONDS (per target per level, 6),
 * BENCH_STREAMS (1000), BENCH_INPROC_N (5000), BENCH_IMPORTS (10), BENCH_OUT (bench/RESULTS.md; - = stdout only),
 * BENCH_CAPACITY_INSTANCES (16), BENCH_CAPACITY_N (counted requests per shape, 600), BENCH_CAPACITY_WARMUP (48),
 * BENCH_CAPACITY_TARGET_N (requests per shape at the target rate with the limits enforced, 300).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { patchResults, renderCapacity, saveBaseline } from './capacity-report';
import { capacityCase } from './cases/capacity';
import { coldStartCase } from './cases/cold-start';
import { inProcessCase } from './cases/in-process';
import { latencyCase, throughputCase } from './cases/http-cases';
import { streamingCase } from './cases/streaming';
import { Child } from './child';
import type { HttpTarget } from './http-load';
import { machineTable } from './machine';
import { startPortkey } from './processes/portkey';
import type { SwitchyardInfo } from './processes/switchyard';
import type { UpstreamInfo } from './processes/upstream';
import { NO_WRITE_LABEL, renderResults } from './results';

const intEnv = (name: string, dflt: number): number => {
  const v = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};

export const SETTINGS = {
  n: intEnv('BENCH_N', 2000),
  warmup: intEnv('BENCH_WARMUP', 300),
  rounds: intEnv('BENCH_ROUNDS', 10),
  levels: (process.env.BENCH_CONCURRENCY ?? '10,50')
    .split(',')
    .map((s) => Number.parseInt(s, 10))
    .filter((c) => c > 0),
  seconds: intEnv('BENCH_SECONDS', 6),
  streams: intEnv('BENCH_STREAMS', 1000),
  inProcessN: intEnv('BENCH_INPROC_N', 5000),
  imports: intEnv('BENCH_IMPORTS', 10),
  capacityInstances: intEnv('BENCH_CAPACITY_INSTANCES', 16),
  capacityN: intEnv('BENCH_CAPACITY_N', 3000),
  capacityWarmup: intEnv('BENCH_CAPACITY_WARMUP', 48),
  capacityTargetN: intEnv('BENCH_CAPACITY_TARGET_N', 300),
};
export type Settings = typeof SETTINGS;

const OUT = process.env.BENCH_OUT ?? join(__dirname, 'RESULTS.md');
const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

/** The same request for every target: same model, same prompt, same reply bytes from the upstream. */
const BODY = JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'Say hello to the benchmark.' }] });
// The upstream never checks keys; every target gets a key of the same shape.
const UPSTREAM_KEY = { authorization: 'Bearer sk-bench-upstream-key-000000000000000' };

async function sanityCheck(targets: HttpTarget[]): Promise<void> {
  const replies = await Promise.all(
    targets.map(async (t) => {
      const res = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...t.headers },
        body: t.body,
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`sanity check: ${t.label} answered ${res.status}: ${text.slice(0, 300)}`);
      return (JSON.parse(text) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content;
    }),
  );
  if (new Set(replies).size !== 1)
    throw new Error(`sanity check: the targets' replies differ: ${JSON.stringify(replies)}`);
}

/** Which code a capacity run measured; read before anything that hosts dynalite starts. */
function measuredOn(): string {
  let commit = 'unknown commit';
  try {
    commit = execFileSync('git', ['log', '-1', '--format=%h %s'], { cwd: __dirname, encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout: say so.
  }
  return `commit ${commit}, ${new Date().toISOString().slice(0, 10)}`;
}

const runCapacity = (on: string) =>
  capacityCase({
    instances: SETTINGS.capacityInstances,
    requests: SETTINGS.capacityN,
    warmup: SETTINGS.capacityWarmup,
    targetRequests: SETTINGS.capacityTargetN,
    log,
  }).then((r) => ({ ...r, measuredOn: on }));

async function capacityOnly(): Promise<void> {
  const result = await runCapacity(measuredOn());
  if (process.env.BENCH_CAPACITY_SAVE_BEFORE === '1') saveBaseline(result);
  const md = renderCapacity(result);
  process.stdout.write(`${md}\n`);
  if (OUT !== '-') {
    patchResults(OUT, md);
    log(`capacity section written to ${relative(process.cwd(), OUT)}`);
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const on = measuredOn();
  const machine = machineTable();

  log(`in-process: the router handler, ${SETTINGS.inProcessN} requests per variant...`);
  const inProcess = await inProcessCase({
    n: SETTINGS.inProcessN,
    nDynamo: Math.ceil(SETTINGS.inProcessN / 2),
    warmup: 500,
  });

  log('starting the upstream, Switchyard and Portkey...');
  const upstream = await Child.start<UpstreamInfo>(join(__dirname, 'processes', 'upstream.ts'));
  const switchyard = await Child.start<SwitchyardInfo>(join(__dirname, 'processes', 'switchyard.ts'), {
    env: { UPSTREAM_URL: upstream.info.url },
  });
  const diagnostic = await Child.start<SwitchyardInfo>(join(__dirname, 'processes', 'switchyard.ts'), {
    env: { UPSTREAM_URL: upstream.info.url, BENCH_SKIP_HOLDER_WRITES: '1' },
  });
  const portkey = await startPortkey();
  try {
    const direct: HttpTarget = {
      label: 'direct',
      url: `${upstream.info.openaiBaseUrl}/chat/completions`,
      headers: UPSTREAM_KEY,
      body: BODY,
      pid: upstream.pid,
    };
    const sy: HttpTarget = {
      label: 'Switchyard',
      url: switchyard.info.chatUrl,
      headers: { authorization: `Bearer ${switchyard.info.apiKey}` },
      body: BODY,
      pid: switchyard.pid,
    };
    const pk: HttpTarget = {
      label: 'Portkey',
      url: portkey.chatUrl,
      headers: { ...UPSTREAM_KEY, ...portkey.headers(upstream.info.openaiBaseUrl) },
      body: BODY,
      pid: portkey.pid,
    };
    const noWrite: HttpTarget = {
      label: NO_WRITE_LABEL,
      url: diagnostic.info.chatUrl,
      headers: { authorization: `Bearer ${diagnostic.info.apiKey}` },
      body: BODY,
      pid: diagnostic.pid,
    };
    const targets = [direct, sy, pk, noWrite];
    await sanityCheck(targets);

    log(
      `latency: ${SETTINGS.warmup} warm-up + ${SETTINGS.n} sequential requests per target in ${SETTINGS.rounds} interleaved rounds...`,
    );
    const latency = await latencyCase(targets, SETTINGS);

    const throughput = [];
    for (const c of SETTINGS.levels) {
      log(`throughput: concurrency ${c}, ${SETTINGS.seconds} s per target in 3 interleaved slices...`);
      throughput.push(
        await throughputCase(targets, c, SETTINGS.seconds, () =>
          switchyard.call<Record<string, number>>({ cmd: 'dynamo' }),
        ),
      );
    }

    log(
      `streaming: ${SETTINGS.streams} streams per target for time to first token, then paced streams for inter-token gaps...`,
    );
    const streaming = await streamingCase(direct, sy, SETTINGS.streams, (chunkDelayMs) =>
      upstream.call({ cmd: 'pace', chunkDelayMs }),
    );

    await portkey.close();
    await diagnostic.close();
    await switchyard.close();
    await upstream.close();

    log(`cold start: synthesising the stack, then ${SETTINGS.imports} fresh imports per function...`);
    const coldStart = await coldStartCase({ imports: SETTINGS.imports });

    const capacity = await runCapacity(on);

    const results = renderResults({
      machine,
      settings: SETTINGS,
      latency,
      throughput,
      inProcess,
      streaming,
      coldStart,
      totalSeconds: (performance.now() - started) / 1000,
    });
    const md = `${results}\n\n${renderCapacity(capacity)}`;
    process.stdout.write(`${md}\n`);
    if (OUT !== '-') {
      writeFileSync(OUT, `${md}\n`);
      log(`written to ${relative(process.cwd(), OUT)}`);
    }
  } finally {
    await portkey.close();
    await diagnostic.close();
    await switchyard.close();
    await upstream.close();
  }
}

(process.argv[2] === 'capacity' ? capacityOnly() : main()).catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
