/**
 * Per-day, per-model usage counters. Each request adds to one item with a single atomic UpdateItem
 * (ADD), so concurrent instances never lose an increment and no read is needed to write.
 */
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { latencyBucket } from '../../core/latency-histogram';
import type { UsageRow } from '../../core/stats/stats-report';
import { queryPartition } from './operations';
import type { WriteBacklog } from './write-backlog';

export interface UsageEvent {
  day: string;
  model: string;
  ok: boolean;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
  latencyMs: number;
  /** Extra dimension rows, e.g. `route#auto` or `key#key_ab12`, counted the same way. */
  extraScopes?: string[];
  /** Write exactly these rows instead of `model#<model>` + extraScopes (e.g. an A/B variant's own row). */
  onlyScopes?: string[];
}

/** One day's counters for one scope; the shape /v1/stats aggregates. */
export type UsageCounters = UsageRow;

export interface UsageStore {
  record(e: UsageEvent): Promise<void>;
  day(day: string): Promise<UsageCounters[]>;
}

const KEEP_DAYS = 400;

/** `backlog`: keeps counter writes DynamoDB could not take, for replay (the router's); without it they throw. */
export function createDynamoUsageStore(ddb: DynamoDBClient, table: string, backlog?: WriteBacklog): UsageStore {
  async function add(day: string, scope: string, e: UsageEvent): Promise<void> {
    const bucket = `lat_${latencyBucket(e.latencyMs)}`;
    await ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: `usage#${day}` }, sk: { S: scope } },
        UpdateExpression:
          'ADD requests :one, successes :ok, errors :err, promptTokens :pt, completionTokens :ct, costMicros :cost, #b :one SET expiresAt = if_not_exists(expiresAt, :exp)',
        ExpressionAttributeNames: { '#b': bucket },
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':ok': { N: e.ok ? '1' : '0' },
          ':err': { N: e.ok ? '0' : '1' },
          ':pt': { N: String(e.promptTokens) },
          ':ct': { N: String(e.completionTokens) },
          ':cost': { N: String(e.costMicros) },
          ':exp': { N: String(Math.floor(Date.parse(day) / 1000) + KEEP_DAYS * 86400) },
        },
      }),
    );
  }

  return {
    async record(e) {
      const scopes = e.onlyScopes ?? [`model#${e.model}`, ...(e.extraScopes ?? [])];
      await Promise.all(
        scopes.map((s) => (backlog ? backlog.run('usage counters', () => add(e.day, s, e)) : add(e.day, s, e))),
      );
    },
    async day(day) {
      return (await queryPartition(ddb, table, `usage#${day}`, false)).map((item) => {
        const n = (k: string) => Number(item[k]?.N ?? 0);
        const latency: Record<number, number> = {};
        for (const [k, v] of Object.entries(item)) {
          if (k.startsWith('lat_') && v.N) latency[Number(k.slice(4))] = Number(v.N);
        }
        return {
          scope: item.sk.S ?? '',
          requests: n('requests'),
          successes: n('successes'),
          errors: n('errors'),
          promptTokens: n('promptTokens'),
          completionTokens: n('completionTokens'),
          costMicros: n('costMicros'),
          latency,
        };
      });
    },
  };
}
