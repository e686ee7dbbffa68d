/**
 * Daily spend ledgers in the cost table: pk `ledger#<UTC day>`, sk = scope (`global#<shard>`,
 * `key#<id>`, `model#<id>`). Each item keeps `committed` (settled spend + open reservations, the
 * value the limit guards), `spent` (settled only), `limitMicros` (for reports) and one attribute
 * per open reservation, `r_<request>` = "<micros>:<expires epoch ms>".
 *
 * Every change is one single-item UpdateItem (no transactions: dynalite has none, and single-item
 * conditional writes behave identically on DynamoDB):
 *   reserve: ADD committed :amt, SET r_x  IF committed <= limit - amt   (atomic check-and-add)
 *   settle:  ADD committed (real - amt), spent real, REMOVE r_x  IF r_x is still ours
 *   sweep:   ADD committed -amt, REMOVE r_x  IF r_x unchanged and expired
 *   charge:  ADD committed real, spent real   (no reservation was taken: DynamoDB failed then)
 *
 * With a write backlog (the router passes one), settle, release, charge and rollback writes that
 * DynamoDB cannot take are kept and replayed once it answers again (write-backlog.ts).
 */
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { shardLimit, shardOrder, type BudgetScope } from '../../core/budget/reservation';
import type { BudgetRow } from '../../core/stats/stats-report';
import { conditionally, queryPartition } from './operations';
import type { WriteBacklog } from './write-backlog';

export interface ScopeRequest {
  kind: BudgetScope['kind'];
  /** Scope id without shard: `global`, `key#<id>`, `model#<id>`. */
  id: string;
  limitMicros: number;
}

export interface Reservation {
  day: string;
  amountMicros: number;
  held: Array<{ sk: string; value: string }>;
  attr: string;
}

export type ReserveResult = { ok: true; reservation: Reservation } | { ok: false; scope: BudgetScope };

export type LedgerRow = BudgetRow;

export interface BudgetLedger {
  reserve(
    day: string,
    scopes: ScopeRequest[],
    amountMicros: number,
    requestId: string,
    expiresAt: number,
  ): Promise<ReserveResult>;
  settle(r: Reservation, actualMicros: number): Promise<void>;
  release(r: Reservation): Promise<void>;
  /** Adds real spend that had no reservation (skipped while DynamoDB failed): unconditional, since the money was spent. */
  charge(day: string, scopes: ScopeRequest[], actualMicros: number): Promise<void>;
  /** Releases reservations past their expiry (crashed instances); returns how many. */
  sweep(days: string[], now: number): Promise<number>;
  snapshot(day: string): Promise<LedgerRow[]>;
}

const KEEP_SECONDS = 400 * 86400;

export function createDynamoBudgetLedger(opts: {
  ddb: DynamoDBClient;
  table: string;
  globalShards: number;
  random: () => number;
  /** Keeps settle/charge/release writes DynamoDB could not take, for replay (the router's); without it they throw. */
  backlog?: WriteBacklog;
}): BudgetLedger {
  const { ddb, table, globalShards } = opts;
  /** A write that must happen eventually (spend, given-back reservations): kept for replay when DynamoDB fails. */
  const durable = (label: string, write: () => Promise<unknown>): Promise<void> =>
    opts.backlog ? opts.backlog.run(label, write) : write().then(() => undefined);
  const pk = (day: string) => ({ S: `ledger#${day}` });
  const expiresAt = (day: string) => ({ N: String(Math.floor(Date.parse(day) / 1000) + KEEP_SECONDS) });

  /** `limit` guards this item (a shard's share for the global scope); `scopeLimit` is the whole scope's, kept for reports. */
  async function hold(
    day: string,
    sk: string,
    limit: number,
    scopeLimit: number,
    amount: number,
    attr: string,
    value: string,
  ): Promise<boolean> {
    if (amount > limit) return false;
    return conditionally(() =>
      ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: pk(day), sk: { S: sk } },
          UpdateExpression:
            'ADD committed :amt SET #r = :val, limitMicros = :limit, scopeLimitMicros = :scopeLimit, expiresAt = if_not_exists(expiresAt, :exp)',
          ConditionExpression: 'attribute_not_exists(committed) OR committed <= :room',
          ExpressionAttributeNames: { '#r': attr },
          ExpressionAttributeValues: {
            ':amt': { N: String(amount) },
            ':val': { S: value },
            ':limit': { N: String(limit) },
            ':scopeLimit': { N: String(scopeLimit) },
            ':room': { N: String(limit - amount) },
            ':exp': expiresAt(day),
          },
        }),
      ),
    );
  }

  async function unhold(day: string, sk: string, attr: string, value: string, actual: number | null): Promise<void> {
    const amount = Number(value.split(':')[0]);
    const settling = actual !== null;
    const applied = await conditionally(() =>
      ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: pk(day), sk: { S: sk } },
          UpdateExpression: settling
            ? 'REMOVE #r ADD committed :delta, spent :actual'
            : 'REMOVE #r ADD committed :delta',
          ConditionExpression: '#r = :val',
          ExpressionAttributeNames: { '#r': attr },
          ExpressionAttributeValues: {
            ':val': { S: value },
            ':delta': { N: String((settling ? actual : 0) - amount) },
            ...(settling ? { ':actual': { N: String(actual) } } : {}),
          },
        }),
      ),
    );
    // Not applied: the sweep released this reservation already (we were slower than its expiry).
    // The money was still spent: count it, even past the limit, because it really happened.
    if (!applied && settling && actual > 0) {
      await ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: pk(day), sk: { S: sk } },
          UpdateExpression: 'ADD committed :actual, spent :actual',
          ExpressionAttributeValues: { ':actual': { N: String(actual) } },
        }),
      );
    }
  }

  const queryDay = (day: string) => queryPartition(ddb, table, pk(day).S, true);

  return {
    async reserve(day, scopes, amount, requestId, expires) {
      const attr = `r_${requestId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
      const value = `${amount}:${expires}`;
      const held: Reservation['held'] = [];
      // Best effort: a hold that cannot be given back now is kept in the backlog for replay, and
      // carries its expiry so the sweep releases it anyway. A failed rollback must not turn a refusal
      // into an error (which the caller treats as "DynamoDB down: serve without a reservation").
      const rollback = () =>
        Promise.all(
          held.map((h) =>
            durable('budget rollback', () => unhold(day, h.sk, attr, h.value, null)).catch(() => undefined),
          ),
        );
      for (const scope of scopes) {
        let got: string | undefined;
        let failed: BudgetScope | undefined;
        let trying: string | undefined;
        try {
          if (scope.kind === 'global') {
            for (const shard of shardOrder(globalShards, opts.random())) {
              trying = `global#${shard}`;
              if (
                await hold(
                  day,
                  trying,
                  shardLimit(scope.limitMicros, globalShards, shard),
                  scope.limitMicros,
                  amount,
                  attr,
                  value,
                )
              ) {
                got = trying;
                break;
              }
            }
          } else {
            trying = scope.id;
            if (await hold(day, scope.id, scope.limitMicros, scope.limitMicros, amount, attr, value)) got = scope.id;
          }
          if (!got)
            failed = {
              kind: scope.kind,
              id: scope.id,
              limitMicros: scope.limitMicros,
              scopeLimitMicros: scope.limitMicros,
            };
        } catch (err) {
          // DynamoDB failed part-way: the scopes already held would block their budgets until the sweep.
          // The hold that failed may have been applied all the same (the answer was lost, not the
          // write): give it back too; its release is conditional on our value, so it is a no-op otherwise.
          if (trying) held.push({ sk: trying, value });
          await rollback();
          throw err;
        }
        if (failed) {
          await rollback();
          return { ok: false, scope: failed };
        }
        held.push({ sk: got!, value });
      }
      return { ok: true, reservation: { day, amountMicros: amount, held, attr } };
    },

    async settle(r, actual) {
      await Promise.all(
        r.held.map((h) => durable('budget settle', () => unhold(r.day, h.sk, r.attr, h.value, actual))),
      );
    },

    async release(r) {
      await Promise.all(r.held.map((h) => durable('budget release', () => unhold(r.day, h.sk, r.attr, h.value, null))));
    },

    async charge(day, scopes, actual) {
      if (actual <= 0) return;
      await Promise.all(
        scopes.map((scope) => {
          const shard = Math.floor(opts.random() * globalShards) % globalShards;
          const sk = scope.kind === 'global' ? `global#${shard}` : scope.id;
          const limit =
            scope.kind === 'global' ? shardLimit(scope.limitMicros, globalShards, shard) : scope.limitMicros;
          const input = {
            TableName: table,
            Key: { pk: pk(day), sk: { S: sk } },
            UpdateExpression:
              'ADD committed :actual, spent :actual SET limitMicros = if_not_exists(limitMicros, :limit), scopeLimitMicros = if_not_exists(scopeLimitMicros, :scopeLimit), expiresAt = if_not_exists(expiresAt, :exp)',
            ExpressionAttributeValues: {
              ':actual': { N: String(actual) },
              ':limit': { N: String(limit) },
              ':scopeLimit': { N: String(scope.limitMicros) },
              ':exp': expiresAt(day),
            },
          };
          return durable('budget charge', () => ddb.send(new UpdateItemCommand(input)));
        }),
      );
    },

    async sweep(days, now) {
      let released = 0;
      for (const day of days) {
        for (const item of await queryDay(day)) {
          for (const [name, v] of Object.entries(item)) {
            if (!name.startsWith('r_') || !v.S) continue;
            const expires = Number(v.S.split(':')[1]);
            if (!(expires <= now)) continue;
            try {
              await unhold(day, item.sk.S!, name, v.S, null);
              released++;
            } catch {
              // next sweep retries
            }
          }
        }
      }
      return released;
    },

    async snapshot(day) {
      const rows = new Map<string, LedgerRow>();
      for (const item of await queryDay(day)) {
        const sk = item.sk.S!;
        const scope = sk.startsWith('global#') ? 'global' : sk;
        const committed = Number(item.committed?.N ?? 0);
        const spent = Number(item.spent?.N ?? 0);
        const row = rows.get(scope) ?? { scope, limitMicros: 0, spentMicros: 0, reservedMicros: 0 };
        // Every shard carries the whole scope's limit: report it once, not the sum of touched shards.
        row.limitMicros = Math.max(row.limitMicros, Number(item.scopeLimitMicros?.N ?? item.limitMicros?.N ?? 0));
        row.spentMicros += spent;
        row.reservedMicros += committed - spent;
        rows.set(scope, row);
      }
      return [...rows.values()];
    },
  };
}
