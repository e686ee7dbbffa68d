/**
 * The capacity model's section of bench/RESULTS.md: this run next to the committed baseline
 * (bench/results/capacity-before.json, measured on the pre-slice design), so a rerun after the
 * shared-state rewrite shows before and after side by side.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CapacityResult,
  type CapacityRow,
  FLEET_REQUEST_SECONDS,
  HOLDER_PARTITIONS,
  SHAPES,
  WCU_PER_KEY,
} from './cases/capacity';
import { type FleetCeiling, fleetCeiling } from './fleet-model';
import { num, section, table } from './report';

export const BASELINE_PATH = join(__dirname, 'results', 'capacity-before.json');
export const SECTION_START = '<!-- capacity:start -->';
export const SECTION_END = '<!-- capacity:end -->';

/** DynamoDB on-demand, us-east-1, per million write / read request units (since November 2024). */
export const USD_PER_MILLION_WRU = 0.625;
export const USD_PER_MILLION_RRU = 0.125;

const TARGETS: Record<string, number | undefined> = { a: 10_000, b: 50_000 };

export function readBaseline(path = BASELINE_PATH): CapacityResult | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as CapacityResult) : undefined;
}

const big = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');
const rate = (v: number) => (Number.isFinite(v) ? big(v) : 'unbounded');
const perM = (perRequest: number) => big(perRequest * 1_000_000);

function rowsTable(r: CapacityResult): string {
  return table(
    [
      'shape',
      'requests (200)',
      'write requests / req',
      'write units / req',
      'read units / req',
      'hottest partition key',
      'its write requests / req',
      'its WCU / req',
      `ceiling if ${r.instances} instances carried it (req/s)`,
      'fleet ceiling (req/s)',
      'target',
    ],
    r.rows.map((x) => {
      const target = TARGETS[x.shape];
      const fleet = fleetOf(x);
      return [
        `(${x.shape}) ${x.label}`,
        `${x.requests} (${x.ok})`,
        num(x.writeRequests, 2),
        num(x.writeUnits, 2),
        num(x.readUnits, 2),
        `\`${x.hottest[0]?.key ?? '-'}\``,
        num(x.hottestWriteRequests, 2),
        num(x.hottestWriteUnits, 2),
        rate(x.ceiling),
        rate(fleet.ceiling),
        target ? `>= ${big(target)}: ${fleet.ceiling >= target ? 'met' : '**missed**'}` : '-',
      ];
    }),
    ['l', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'l'],
  );
}

/** A run saved before the fleet model existed has only its five hottest keys: enough for the ceiling. */
function fleetOf(x: CapacityRow): FleetCeiling {
  return (
    x.fleet ??
    fleetCeiling({
      partitions: x.hottest,
      requests: x.requests,
      holderPartitions: HOLDER_PARTITIONS,
      requestSeconds: FLEET_REQUEST_SECONDS,
    })
  );
}

function fleetTable(r: CapacityResult): string {
  return [
    `**The fleet model** (bench/fleet-model.ts). Each of the ${r.instances} instances above ran on its own simulated clock and served one request per ${FLEET_REQUEST_SECONDS} s of it, as a Lambda instance serving back-to-back requests does; at R req/s with requests of ${FLEET_REQUEST_SECONDS} s the fleet has about R instances, each at ${num(1 / FLEET_REQUEST_SECONDS, 1)} req/s. Holder records and usage items are per instance: each instance writes only its own, and instances hash onto ${HOLDER_PARTITIONS} \`holder#<n>\` keys, so their load is their units per request together, spread over the partitions, with the fullest partition taken at the 99th percentile of random placement (Poisson tail). A scope's shards and a model's slot shards are shared: their load is the fleet's rate times their measured units per request. The fleet ceiling is the lower of the two. Longer requests (streams) mean more instances and a more even spread, so 1 s is the unkind case. Since each instance above ran at a Lambda instance's pace, what a request costs on the shared keys carries over to a larger fleet: every instance uses up and gives back its own slices at the same pace however many there are. What the model does not see: slices shrink as more instances hold a scope (\`avail / (2 x (holders + 1))\`), which in a fleet of thousands near a limit means more takes per request than measured here. The last column is what the model says a shape needs to carry its target: the fewest \`sharedState.holderPartitions\`, and how many times its shards the hottest shared key's scope needs (\`budgets.globalShards\`, \`sharedState.scopeShards\` or \`sharedState.slotShards\`), which this run did not measure.`,
    table(
      [
        'shape',
        'per-instance keys, WCU / req (all)',
        'their ceiling (req/s)',
        'hottest shared key',
        'its WCU / req',
        'its ceiling (req/s)',
        'fleet ceiling (req/s)',
        'for its target: holder partitions, shared shards',
      ],
      r.rows.map((x) => {
        const f = fleetOf(x);
        const t = TARGETS[x.shape];
        const need = t && x.forTarget;
        return [
          `(${x.shape}) ${x.label}`,
          num(f.perInstanceWcu, 2),
          rate(f.perInstanceCeiling),
          f.sharedKey ? `\`${f.sharedKey}\`` : '-',
          num(f.sharedWcu, 3),
          rate(f.sharedCeiling),
          rate(f.ceiling),
          need ? `${big(need.holderPartitions)}, ${need.sharedShardFactor}x` : '-',
        ];
      }),
      ['l', 'r', 'r', 'l', 'r', 'r', 'r', 'r'],
    ),
  ].join('\n\n');
}

function targetTable(r: CapacityResult): string {
  const rows = r.rows.filter((x) => x.atTarget);
  if (rows.length === 0) return '';
  return [
    'At the target rate, in simulated time: the same shape again with the limits enforced, `timeScale` set so that the rate this machine reached is the target in simulated seconds. "Throttled" is the share of write requests the proxy answered with ProvisionedThroughputExceededException (the SDK retries once); requests still answered 200 despite throttled writes were served by failing open. Such a run lasts a fraction of a simulated second, so the burst of each key is cut to a tenth of it (otherwise one second of burst would absorb the whole run) and the steady 1,000 WCU/s decides; the last column is what the hottest key was granted, which cannot much exceed 1,000.',
    table(
      [
        'shape',
        'target (req/s)',
        'reached (req/s, simulated)',
        'timeScale',
        'requests (200)',
        'writes throttled',
        'hottest key, WCU per simulated second',
      ],
      rows.map((x) => {
        const t = x.atTarget!;
        return [
          `(${x.shape}) ${x.label}`,
          big(t.target),
          big(t.simulatedRate),
          t.timeScale.toPrecision(3),
          `${t.requests} (${t.ok})`,
          `${num(t.throttledShare * 100, 1)}%`,
          big(t.hottestWcuPerSecond),
        ];
      }),
    ),
  ].join('\n\n');
}

/** Where a request's writes go: write requests (and units) per request by what the keys hold. */
function kindsTable(r: CapacityResult): string {
  const kinds = [...new Set(r.rows.flatMap((x) => Object.keys(x.byKind ?? {})))].sort();
  if (!kinds.length) return '';
  return [
    'Where the writes go: write requests per chat request (write units in brackets) by what the partition keys hold. Holder records and usage items are per instance; the rest are shared shards, written when a slice or slot is taken or given back.',
    table(
      ['shape', ...kinds],
      r.rows.map((x) => [
        `(${x.shape}) ${x.label}`,
        ...kinds.map((k) => {
          const c = x.byKind?.[k];
          return c ? `${num(c.writeRequests, 2)} (${num(c.writeUnits, 2)})` : '-';
        }),
      ]),
      ['l', ...kinds.map(() => 'r' as const)],
    ),
  ].join('\n\n');
}

function hotKeys(r: CapacityResult): string {
  return r.rows
    .map(
      (x) =>
        `- (${x.shape}): ${x.hottest
          .map((k) => `\`${k.key}\` ${num(k.writeUnits / x.requests, 2)} WCU/req`)
          .join(', ')}; write requests by operation per request: ${
          Object.entries(x.operations)
            .map(([op, v]) => `${op} ${num(v, 2)}`)
            .join(', ') || 'none'
        }.`,
    )
    .join('\n');
}

function costTable(now: CapacityResult, before: CapacityResult | undefined, nowIsBefore: boolean): string {
  const header = ['shape', 'write units per million requests', 'USD per million requests (writes)'];
  if (before && !nowIsBefore) header.push('before: write units per million', 'before: USD per million', 'change');
  return table(
    header,
    SHAPES.filter((s) => now.rows.some((x) => x.shape === s.id)).map((s) => {
      const x = now.rows.find((y) => y.shape === s.id) as CapacityRow;
      const cells = [`(${s.id}) ${s.label}`, perM(x.writeUnits), num(x.writeUnits * USD_PER_MILLION_WRU, 3)];
      const b = before?.rows.find((y) => y.shape === s.id);
      if (before && !nowIsBefore) {
        cells.push(
          b ? perM(b.writeUnits) : '-',
          b ? num(b.writeUnits * USD_PER_MILLION_WRU, 3) : '-',
          b && b.writeUnits > 0 ? `${num((x.writeUnits / b.writeUnits) * 100)}%` : '-',
        );
      }
      return cells;
    }),
  );
}

export function renderCapacity(now: CapacityResult, before = readBaseline()): string {
  const nowIsBefore = !!before && before.measuredOn === now.measuredOn;
  const blocks: string[] = [
    [
      '`npm run bench -- capacity` runs this case alone (knobs: BENCH_CAPACITY_INSTANCES, BENCH_CAPACITY_N, BENCH_CAPACITY_WARMUP, BENCH_CAPACITY_TARGET_N); `npm run bench` runs it after the others.',
      `${now.instances} simulated Lambda instances (each a \`newRouterInstance()\` of the local gateway: own caches, own in-memory state, own DynamoDB client), each serving one request at a time from a shared queue, all in parallel, against one dynalite behind the partition-capacity proxy (local/dynamo-capacity.ts). Each instance runs on its own simulated clock, and its upstream call takes ${FLEET_REQUEST_SECONDS} s of it: the instances age as Lambda instances serving back-to-back requests do, so slices go idle after 30 s, rate units wait out their 60 s and usage goes out every 10 s at a real fleet's pace. (Before 2026-12-07 the instances ran on the wall clock and served hundreds of requests a second each, which kept every slice warm and understated what many keys cost.) ${now.warmup} warm-up requests first, then ${now.requests} counted requests per shape. Non-streaming chat completions, upstream answering at once; the authorizer is left out (API Gateway caches its decision; it only reads). Health-check writes (one per endpoint per probe interval, not per request) are not counted.`,
      'Shapes: (a) all traffic on one key and one model (gpt-4.1); the key has a daily budget, rpm and tpm, every model a daily budget; (b) 100 keys over the four models, the same limits; (c) the global budget alone: 100 keys without limits of their own, models without budgets (each key is still held to the default share of the global budget, `budgets.defaultKeyShare`, which is the key budgets column below). Every limit is far above what the run spends. Model concurrency caps stay on (lifted to 10,000), so a request takes a slot unless its instance kept one from the request before.',
      `The model: DynamoDB gives one partition key ${big(WCU_PER_KEY)} write units per second (1 WCU per started KB of the larger of the item's before and after image; a failed condition is charged too). Units are counted per partition key at the proxy from DynamoDB's sizing rules. **Ceiling if these instances carried it** = ${big(WCU_PER_KEY)} / (the hottest key's write units per chat request): the request rate at which that key needs all of its partition's write throughput, were the whole rate served by these few instances; the **fleet ceiling** below models a Lambda fleet instead. It assumes the per-request cost stays what it was here; item sizes grow with the number of holds open at once, and here at most ${now.instances} requests are in flight, so for long streams at high rates the real ceiling of an item that holds one attribute per open request is lower. Split-for-heat (DynamoDB moving one partition key's sort-key ranges onto separate partitions) is not modelled: conservative for a key with many sort keys. This pass counts only (no throttling), so what it counts does not depend on how the stores react to throttling.`,
      now.measuredOn ? `Measured on: ${now.measuredOn}.` : '',
    ]
      .filter(Boolean)
      .join('\n\n'),
    rowsTable(now),
    fleetTable(now),
    kindsTable(now),
    `Hottest partition keys (\`<table> <partition key>\`) over the run:\n${hotKeys(now)}`,
    targetTable(now),
    `Cost: DynamoDB write units per million chat requests, at on-demand prices ($${USD_PER_MILLION_WRU} per million write request units, $${USD_PER_MILLION_RRU} per million read request units; reads, about ${num(now.rows[0]?.readUnits ?? 0, 2)} RCU per request here, are left out of the dollars).`,
    costTable(now, before, nowIsBefore),
  ];
  if (before && !nowIsBefore) {
    blocks.push(
      `Before: the pre-slice design (${before.measuredOn ?? 'baseline'}), same harness, from bench/results/capacity-before.json:`,
      rowsTable(before),
    );
  } else if (nowIsBefore) {
    blocks.push(
      `**These are the "before" numbers: measured on the pre-slice design** (each budget scope's ledger item takes a reservation and a settlement write per request, and all of a day's ledger items share one partition key; usage counters likewise), saved as bench/results/capacity-before.json; a rerun after the shared-state rewrite prints its own numbers with these beside them.`,
    );
  }
  return `${SECTION_START}\n${section('6. Capacity model: DynamoDB writes per chat request and per partition key', ...blocks.filter(Boolean))}\n${SECTION_END}`;
}

/** Puts the capacity section into an existing RESULTS.md, replacing the previous one. */
export function patchResults(path: string, sectionMd: string): void {
  const md = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const start = md.indexOf(SECTION_START);
  const end = md.indexOf(SECTION_END);
  const next =
    start >= 0 && end > start
      ? md.slice(0, start) + sectionMd + md.slice(end + SECTION_END.length)
      : `${md.trimEnd()}\n\n${sectionMd}\n`;
  writeFileSync(path, next);
}

export function saveBaseline(r: CapacityResult, path = BASELINE_PATH): void {
  writeFileSync(path, `${JSON.stringify(r, null, 2)}\n`);
}
