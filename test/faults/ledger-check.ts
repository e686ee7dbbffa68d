/**
 * What the fault matrix asserts after every case: the request left nothing in flight and paid
 * exactly for what it used.
 *
 * - no quota reserved by a request in flight on any router instance, and no concurrency slot
 *   counted in DynamoDB that no instance holds (instances keep slices and slots between requests:
 *   that is the design, not a leak);
 * - settled spend equals the usage counters' cost: the global budget, the key's and each model's
 *   (when the model has a daily budget) against the `model#*` / `key#*` usage rows.
 *
 * Read with the same report /v1/stats uses, from DynamoDB (dynalite) with strongly consistent
 * reads; the after-response work runs once the body is out, so `expectSettled` polls briefly.
 */
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { createCounterOps } from '../../functions/adapters/dynamo/quota/counters';
import { createHolderOps } from '../../functions/adapters/dynamo/quota/holders';
import { createQuotaReport } from '../../functions/adapters/dynamo/quota/report';
import type { SharedQuotaAdapter } from '../../functions/adapters/dynamo/quota/shared-quota';
import { COST_TABLE, tableName } from '../../functions/contracts/table-specs';
import { utcDay } from '../../functions/core/time';
import type { LocalGateway } from '../../local/gateway';
import { eventually } from '../helpers/local-gateway';

export interface LedgerSnapshot {
  /** Settled spend per budget scope (`global`, `key#<id>`, `model#<id>`). */
  spent: Record<string, number>;
  /** What open slices hold unused per budget scope (instances keep them between requests). */
  held: Record<string, number>;
  /** Units reserved by requests still in flight, over every router instance. */
  inFlight: number;
  /** Per capped model: slots DynamoDB counts, and slots the router instances say they hold. */
  slots: Record<string, { counted: number; held: number }>;
  /** costMicros per usage row scope (`model#gpt-4.1`, `key#...`, `route#auto`). */
  usageCost: Record<string, number>;
  /** requests / errors per usage row scope. */
  usageRequests: Record<string, number>;
  usageErrors: Record<string, number>;
}

const add = (m: Record<string, number>, k: string, v: number) => (m[k] = (m[k] ?? 0) + v);

/** The days a request started now (or a moment ago, across midnight UTC) is accounted under. */
function days(now = Date.now()): string[] {
  return [...new Set([utcDay(now - 60_000), utcDay(now)])];
}

export async function readLedger(gw: LocalGateway): Promise<LedgerSnapshot> {
  const ddb = createDynamoClient(gw.env);
  try {
    const table = tableName(COST_TABLE, gw.env);
    const counters = createCounterOps(ddb, table);
    const holders = createHolderOps(ddb, table);
    const shared = gw.deps.config.settings.sharedState;
    const report = createQuotaReport({
      counters,
      holders,
      partitions: shared.holderPartitions,
      slotShards: shared.slotShards,
    });
    const snap: LedgerSnapshot = {
      spent: {},
      held: {},
      inFlight: 0,
      slots: {},
      usageCost: {},
      usageRequests: {},
      usageErrors: {},
    };
    for (const day of days()) {
      for (const row of await report.budgets(day)) {
        add(snap.spent, row.scope, row.spentMicros);
        add(snap.held, row.scope, row.reservedMicros);
      }
      for (const row of await report.usage(day)) {
        add(snap.usageCost, row.scope, row.costMicros);
        add(snap.usageRequests, row.scope, row.requests);
        add(snap.usageErrors, row.scope, row.errors);
      }
    }
    for (const deps of gw.instances()) {
      const h = (deps.quota as SharedQuotaAdapter).holdings?.();
      if (!h) continue;
      for (const s of h.slices) snap.inFlight += s.reserved;
      for (const [model, n] of Object.entries(h.slots)) (snap.slots[model] ??= { counted: 0, held: 0 }).held += n;
    }
    for (const m of gw.deps.config.models.values()) {
      if (m.maxConcurrency === undefined) continue;
      (snap.slots[m.id] ??= { counted: 0, held: 0 }).counted += await report.slotsHeld(m.id, m.maxConcurrency);
    }
    return snap;
  } finally {
    ddb.destroy();
  }
}

const sumWhere = (m: Record<string, number>, prefix: string) =>
  Object.entries(m).reduce((s, [k, v]) => (k.startsWith(prefix) ? s + v : s), 0);

/** The invariants that must hold whenever no request is in flight. */
function checkInvariants(s: LedgerSnapshot, modelsWithBudget: string[]): void {
  expect(s.inFlight).toBe(0);
  for (const [model, slots] of Object.entries(s.slots)) {
    if (model.startsWith('key#')) continue;
    expect({ model, counted: slots.counted }).toEqual({ model, counted: slots.held });
  }
  // Every request's cost is counted once in its model's usage row: their sum is the global spend.
  expect(s.spent.global ?? 0).toBe(sumWhere(s.usageCost, 'model#'));
  for (const [scope, spent] of Object.entries(s.spent)) {
    if (scope.startsWith('key#')) expect({ scope, spent }).toEqual({ scope, spent: s.usageCost[scope] ?? 0 });
  }
  for (const model of modelsWithBudget) {
    expect({ model, spent: s.spent[`model#${model}`] ?? 0 }).toEqual({
      model,
      spent: s.usageCost[`model#${model}`] ?? 0,
    });
  }
}

export interface Settled {
  snapshot: LedgerSnapshot;
  /** Global spend added since `before`: the cost the ledger charged for the case. */
  spentDelta: number;
  /** Usage cost added per usage scope since `before`. */
  usageCostDelta: Record<string, number>;
  /** Usage requests added per scope since `before` (request rows: models, routes, keys, ...). */
  usageRequestsDelta: Record<string, number>;
  usageErrorsDelta: Record<string, number>;
  /** Upstream calls and failed calls per `endpoint#<id>` row (every attempt, retries included). */
  endpointCallsDelta: Record<string, number>;
  endpointErrorsDelta: Record<string, number>;
}

const only = (m: Record<string, number>, endpoints: boolean): Record<string, number> =>
  Object.fromEntries(Object.entries(m).filter(([k]) => k.startsWith('endpoint#') === endpoints));

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(after), ...Object.keys(before)])) {
    const d = (after[k] ?? 0) - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/**
 * Waits until the ledger is settled (no reservation, no lease held, usage recorded for `requests` more
 * requests than `before`), asserts the invariants, and returns what changed since `before`.
 */
export async function expectSettled(
  gw: LocalGateway,
  before: LedgerSnapshot,
  opts: { requests: number; modelsWithBudget?: string[]; timeoutMs?: number },
): Promise<Settled> {
  const snapshot = await eventually(async () => {
    const s = await readLedger(gw);
    const counted = sumWhere(s.usageRequests, 'model#') - sumWhere(before.usageRequests, 'model#');
    expect(counted).toBe(opts.requests);
    checkInvariants(s, opts.modelsWithBudget ?? []);
    return s;
  }, opts.timeoutMs ?? 5_000);
  return {
    snapshot,
    spentDelta: (snapshot.spent.global ?? 0) - (before.spent.global ?? 0),
    usageCostDelta: delta(snapshot.usageCost, before.usageCost),
    usageRequestsDelta: only(delta(snapshot.usageRequests, before.usageRequests), false),
    usageErrorsDelta: only(delta(snapshot.usageErrors, before.usageErrors), false),
    endpointCallsDelta: only(delta(snapshot.usageRequests, before.usageRequests), true),
    endpointErrorsDelta: only(delta(snapshot.usageErrors, before.usageErrors), true),
  };
}
