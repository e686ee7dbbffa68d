/**
 * Cases 1 and 2 over HTTP, every target under the same autocannon settings. Targets take turns in
 * rounds (the starting target rotates), so slow spells on this shared machine hit them alike.
 */
import { emptyResult, runLoad, type HttpTarget, type LoadResult } from '../http-load';
import { processCpuMicros } from '../proc-cpu';

export type ByTarget<T> = Map<string, T>;

/** Case 1: sequential requests (one connection), `n` per target after `warmup`, in `rounds` rounds. */
export async function latencyCase(
  targets: HttpTarget[],
  s: { n: number; warmup: number; rounds: number },
): Promise<ByTarget<LoadResult>> {
  for (const t of targets) await runLoad(t, { connections: 1, amount: s.warmup });
  const out: ByTarget<LoadResult> = new Map(targets.map((t) => [t.label, emptyResult()]));
  const perRound = Math.ceil(s.n / s.rounds);
  for (let r = 0; r < s.rounds; r++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(r + i) % targets.length];
      await runLoad(t, { connections: 1, amount: perRound }, out.get(t.label));
    }
  }
  return out;
}

export interface ThroughputRow {
  concurrency: number;
  results: ByTarget<LoadResult & { cpuMicros: number }>;
  /** DynamoDB calls per Switchyard request in this level, by operation (counted at dynalite). */
  switchyardDynamo: Record<string, number>;
}

const SLICES = 3;

/** Case 2: closed loop at `concurrency` connections, `seconds` per target cut into slices that alternate. */
export async function throughputCase(
  targets: HttpTarget[],
  concurrency: number,
  seconds: number,
  switchyardDynamoCounts: () => Promise<Record<string, number>>,
): Promise<ThroughputRow> {
  // Connections opened and JIT warm at this concurrency; not counted.
  for (const t of targets) await runLoad(t, { connections: concurrency, durationSec: 1 });
  const results: ThroughputRow['results'] = new Map(targets.map((t) => [t.label, { ...emptyResult(), cpuMicros: 0 }]));
  const dynamo: Record<string, number> = {};
  for (let slice = 0; slice < SLICES; slice++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(slice + i) % targets.length];
      const into = results.get(t.label)!;
      const isSwitchyard = t.label === 'Switchyard';
      if (isSwitchyard) await switchyardDynamoCounts(); // resets the count
      const cpu0 = t.pid ? processCpuMicros(t.pid) : 0;
      await runLoad(t, { connections: concurrency, durationSec: Math.max(1, Math.round(seconds / SLICES)) }, into);
      if (t.pid) into.cpuMicros += processCpuMicros(t.pid) - cpu0;
      if (isSwitchyard) {
        // After-response writes of the last requests land just after the run; count them too.
        await new Promise((r) => setTimeout(r, 200));
        for (const [op, v] of Object.entries(await switchyardDynamoCounts())) dynamo[op] = (dynamo[op] ?? 0) + v;
      }
    }
  }
  const sy = results.get('Switchyard');
  const requests = sy ? sy.ok + sy.errors : 0;
  const switchyardDynamo = Object.fromEntries(
    Object.entries(dynamo).map(([op, v]) => [op, requests > 0 ? v / requests : Number.NaN]),
  );
  return { concurrency, results, switchyardDynamo };
}
