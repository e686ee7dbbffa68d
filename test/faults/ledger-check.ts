/**
 * What the fault matrix asserts after every case: the request left nothing behind and paid exactly
 * for what it used.
 *
 * - no open budget reservation (`r_*` attribute) in any ledger item, and `committed == spent`
 *   everywhere (a released reservation gives all of its amount back);
 * - settled spend equals the usage counters' cost: the global ledger, the key's ledger and each
 *   model's ledger (when the model has a daily budget) against the `model#*` / `key#*` usage rows;
 * - every concurrency lease back to 0 in flight with no holder recorded.
 *
 * Read straight from DynamoDB (dynalite) with strongly consistent reads; the after-response work
 * (settlement, usage, lease release) runs once the body is out, so `expectSettled` polls briefly.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { queryPartition, type Item } from '../../functions/adapters/dynamo/operations';
import { COST_TABLE, STATE_TABLE, tableName } from '../../functions/contracts/table-specs';
import { utcDay } from '../../functions/core/time';
import type { LocalGateway } from '../../local/gateway';
import { eventually } from '../helpers/local-gateway';

export interface LedgerSnapshot {
  /** Settled spend per ledger scope (`global` summed over its shards, `key#<id>`, `model#<id>`). */
  spent: Record<string, number>;
  /** `committed - spent` per scope: money still held by open reservations. */
  held: Record<string, number>;
  /** `<sk>.<attr>` of every open reservation. */
  openReservations: string[];
  /** costMicros per usage row scope (`model#gpt-4.1`, `key#...`, `route#auto`). */
  usageCost: Record<string, number>;
  /** requests / errors per usage row scope. */
  usageRequests: Record<string, number>;
  usageErrors: Record<string, number>;
  /** Lease items: inflight count and holder attributes still present. */
  leases: Record<string, { inflight: number; holders: string[] }>;
}

const n = (item: Item, attr: string) => Number(item[attr]?.N ?? 0);
const add = (m: Record<string, number>, k: string, v: number) => (m[k] = (m[k] ?? 0) + v);

/** The days a request started now (or a moment ago, across midnight UTC) is accounted under. */
function days(now = Date.now()): string[] {
  return [...new Set([utcDay(now - 60_000), utcDay(now)])];
}

export async function readLedger(gw: LocalGateway): Promise<LedgerSnapshot> {
  const ddb = createDynamoClient(gw.env);
  try {
    const costTable = tableName(COST_TABLE, gw.env);
    const snap: LedgerSnapshot = {
      spent: {},
      held: {},
      openReservations: [],
      usageCost: {},
      usageRequests: {},
      usageErrors: {},
      leases: {},
    };
    for (const day of days()) {
      for (const item of await queryPartition(ddb, costTable, `ledger#${day}`, true)) {
        const sk = item.sk.S!;
        const scope = sk.startsWith('global#') ? 'global' : sk;
        add(snap.spent, scope, n(item, 'spent'));
        add(snap.held, scope, n(item, 'committed') - n(item, 'spent'));
        for (const attr of Object.keys(item)) if (attr.startsWith('r_')) snap.openReservations.push(`${sk}.${attr}`);
      }
      for (const item of await queryPartition(ddb, costTable, `usage#${day}`, true)) {
        const scope = item.sk.S!;
        add(snap.usageCost, scope, n(item, 'costMicros'));
        add(snap.usageRequests, scope, n(item, 'requests'));
        add(snap.usageErrors, scope, n(item, 'errors'));
      }
    }
    const leases = await ddb.send(
      new ScanCommand({
        TableName: tableName(STATE_TABLE, gw.env),
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': { S: 'lease#' } },
        ConsistentRead: true,
      }),
    );
    for (const item of leases.Items ?? []) {
      snap.leases[item.pk.S!.slice('lease#'.length)] = {
        inflight: n(item, 'inflight'),
        holders: Object.keys(item).filter((a) => a.startsWith('h_')),
      };
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
  expect(s.openReservations).toEqual([]);
  for (const [scope, held] of Object.entries(s.held)) expect({ scope, held }).toEqual({ scope, held: 0 });
  for (const [model, lease] of Object.entries(s.leases))
    expect({ model, ...lease }).toEqual({ model, inflight: 0, holders: [] });
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
  /** Usage requests added per scope since `before`. */
  usageRequestsDelta: Record<string, number>;
  usageErrorsDelta: Record<string, number>;
}

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
    usageRequestsDelta: delta(snapshot.usageRequests, before.usageRequests),
    usageErrorsDelta: delta(snapshot.usageErrors, before.usageErrors),
  };
}
