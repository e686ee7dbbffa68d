/**
 * Holder records: what one router instance holds (slices and concurrency slots) and what it has
 * used of each slice, in one item per instance and day. The request path writes it once per
 * request (after the response): use becomes durable before the invocation ends, so a frozen or
 * killed instance owes nothing the sweep cannot settle from the record. Usage counters for stats
 * live apart, in the instance's usage items (`addUsage`), so the record stays small.
 *
 * Every write is conditional on `st = active`: once the sweep has given a record's slices back,
 * a late write from its instance fails and the instance starts a new record instead of spending
 * quota that is no longer its own.
 */
import { QueryCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isConditionFailure } from '../dynamo-health';
import { ATTR, KEEP_SECONDS } from './keys';

export interface SliceDef {
  kind: string;
  id: string;
  period: string;
  limit: number;
  shards: number;
  parts: Array<[shard: number, amount: number]>;
}

export interface HolderChange {
  /** New slices this instance took (written once, right after the take). */
  defs?: Record<string, SliceDef>;
  /** Slices given back by the instance itself (removed before the counters are credited). */
  removeSlices?: string[];
  /** Use to add per slice id (deltas). */
  used?: Record<string, number>;
  /** Slot count changes per `model#shard`. */
  slots?: Record<string, number>;
  /** Requests in flight on the instance at this write. */
  inflight?: number;
  expiresAt: number;
}

/** What an instance adds to its usage item (see `addUsage`). */
export interface UsageContent {
  usage: Record<string, number>;
  scopes: Record<string, string>;
}

export type HolderWrite = 'ok' | 'swept';

export interface HolderRecord {
  pk: string;
  sk: string;
  state: string;
  expiresAt: number;
  defs: Record<string, SliceDef>;
  used: Record<string, number>;
  slots: Record<string, number>;
  usage: Record<string, number>;
  /** `<kind>|<id>|<period>` -> shards and limit, for every scope the record ever took a slice of. */
  scopes: Record<string, { shards: number; limit: number }>;
  /** Per-endpoint call counters per breaker window, `<window start>|<endpoint>|<c|f|ms>` (recent-calls.ts). */
  recent: Record<string, number>;
}

export function createHolderOps(ddb: DynamoDBClient, table: string) {
  return {
    /** One UpdateItem applying every change of a request; 'swept' when the record is no longer ours. */
    async write(pk: string, sk: string, c: HolderChange, now: number): Promise<HolderWrite> {
      const names: Record<string, string> = { '#st': 'st', '#x': 'expiresAt', '#ttl': 'ttl' };
      const values: Record<string, AttributeValue> = {
        ':active': { S: 'active' },
        ':x': { N: String(c.expiresAt) },
        ':ttl': { N: String(Math.floor(now / 1000) + KEEP_SECONDS) },
      };
      const sets = ['#st = if_not_exists(#st, :active)', '#x = :x', '#ttl = if_not_exists(#ttl, :ttl)'];
      const adds: string[] = [];
      const removes: string[] = [];
      let i = 0;
      const name = (attr: string) => {
        const n = `#a${i++}`;
        names[n] = attr;
        return n;
      };
      for (const [id, def] of Object.entries(c.defs ?? {})) {
        const n = name(ATTR.sliceDef(id));
        values[`:${n.slice(1)}`] = { S: encodeDef(def) };
        sets.push(`${n} = :${n.slice(1)}`);
      }
      const add = (attr: string, delta: number) => {
        if (!delta) return;
        const n = name(attr);
        values[`:${n.slice(1)}`] = { N: String(delta) };
        adds.push(`${n} :${n.slice(1)}`);
      };
      for (const [id, d] of Object.entries(c.used ?? {})) add(ATTR.sliceUsed(id), d);
      for (const [slot, d] of Object.entries(c.slots ?? {})) {
        const [model, shard] = splitSlot(slot);
        add(ATTR.slot(model, shard), d);
      }
      if (c.inflight !== undefined) {
        sets.push('#inf = :inf');
        names['#inf'] = 'inf';
        values[':inf'] = { N: String(c.inflight) };
      }
      for (const id of c.removeSlices ?? []) removes.push(name(ATTR.sliceDef(id)), name(ATTR.sliceUsed(id)));
      const expr = `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`;
      try {
        await ddb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: { S: pk }, sk: { S: sk } },
            UpdateExpression: expr,
            ConditionExpression: 'attribute_not_exists(#st) OR #st = :active',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        return 'ok';
      } catch (err) {
        if (isConditionFailure(err)) return 'swept';
        throw err;
      }
    },

    /**
     * Adds usage counters and sets scope registry entries on the instance's usage item
     * (`st = usage`: never swept, read by reports like any record). `seq` is the number of writes
     * the instance has made to the item: the write is conditional on it, so a write sent again
     * after a lost answer fails the condition and is known to be applied, never counted twice.
     */
    async addUsage(pk: string, sk: string, content: UsageContent, seq: number, now: number): Promise<void> {
      const names: Record<string, string> = { '#st': 'st', '#ttl': 'ttl', '#seq': 'seq' };
      const values: Record<string, AttributeValue> = {
        ':usage': { S: 'usage' },
        ':ttl': { N: String(Math.floor(now / 1000) + KEEP_SECONDS) },
        ':next': { N: String(seq + 1) },
      };
      const sets = ['#st = :usage', '#ttl = if_not_exists(#ttl, :ttl)', '#seq = :next'];
      const adds: string[] = [];
      let i = 0;
      const attr = (a: string) => {
        names[`#a${i}`] = a;
        return i++;
      };
      for (const [a, n] of Object.entries(content.usage)) {
        if (!n) continue;
        const k = attr(a);
        values[`:a${k}`] = { N: String(n) };
        adds.push(`#a${k} :a${k}`);
      }
      for (const [a, v] of Object.entries(content.scopes)) {
        const k = attr(a);
        values[`:a${k}`] = { S: v };
        sets.push(`#a${k} = :a${k}`);
      }
      let condition = 'attribute_not_exists(#seq)';
      if (seq > 0) {
        condition = '#seq = :seq';
        values[':seq'] = { N: String(seq) };
      }
      try {
        await ddb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: { S: pk }, sk: { S: sk } },
            UpdateExpression: `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    },

    /** Claims an expired record for the sweep (one instance of the sweep wins). */
    async claim(pk: string, sk: string, seenExpiresAt: number): Promise<boolean> {
      try {
        await ddb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: { S: pk }, sk: { S: sk } },
            UpdateExpression: 'SET #st = :swept',
            ConditionExpression: '#st = :active AND #x = :seen',
            ExpressionAttributeNames: { '#st': 'st', '#x': 'expiresAt' },
            ExpressionAttributeValues: {
              ':swept': { S: 'swept' },
              ':active': { S: 'active' },
              ':seen': { N: String(seenExpiresAt) },
            },
          }),
        );
        return true;
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw err;
      }
    },

    /** Records of one partition whose sort key starts with `prefix` (a day). */
    query(pk: string, prefix: string, consistent: boolean): Promise<HolderRecord[]> {
      return run(pk, 'begins_with(sk, :p)', { ':p': { S: prefix } }, consistent);
    },

    /** Records and usage items of one partition started on any day from `from` to `to`, in one Query. */
    queryDays(pk: string, from: string, to: string, consistent: boolean): Promise<HolderRecord[]> {
      return run(pk, 'sk BETWEEN :a AND :b', { ':a': { S: `${from}#` }, ':b': { S: `${to}#\uffff` } }, consistent);
    },
  };

  async function run(
    pk: string,
    condition: string,
    bounds: Record<string, AttributeValue>,
    consistent: boolean,
  ): Promise<HolderRecord[]> {
    const out: HolderRecord[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const res = await ddb.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: `pk = :pk AND ${condition}`,
          ExpressionAttributeValues: { ':pk': { S: pk }, ...bounds },
          ExclusiveStartKey: startKey,
          ConsistentRead: consistent,
        }),
      );
      for (const item of res.Items ?? []) out.push(decode(item));
      startKey = res.LastEvaluatedKey;
    } while (startKey);
    return out;
  }
}

export type HolderOps = ReturnType<typeof createHolderOps>;

export const slotKey = (model: string, shard: number) => `${model}#${shard}`;

export function splitSlot(key: string): [string, number] {
  const at = key.lastIndexOf('#');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}

/** One letter per scope kind in a slice definition. */
const KIND_CODE: Record<string, string> = { budget: 'b', rpm: 'r', tpm: 't' };
const KIND_OF: Record<string, string> = { b: 'budget', r: 'rpm', t: 'tpm' };

/**
 * A slice definition as `kind|id|period|limit|shards|shard:amount,...` (kind one letter): a record
 * is paid for by its size on every write, and a page of about a dozen slices stays under the 1 KB
 * of one write unit this way (the JSON array form took half as much again, the object form twice).
 * The id is read from between the fixed fields, so a `|` in it cannot shift them. Records written
 * in the array or object form are still read.
 */
export function encodeDef(d: SliceDef): string {
  const kind = KIND_CODE[d.kind] ?? d.kind;
  return `${kind}|${d.id}|${d.period}|${d.limit}|${d.shards}|${d.parts.map(([s, a]) => `${s}:${a}`).join(',')}`;
}

export function decodeDef(text: string): SliceDef {
  if (text.startsWith('[') || text.startsWith('{')) {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) return v as SliceDef;
    const [kind, id, period, limit, shards, parts] = v as [string, string, string, number, number, SliceDef['parts']];
    return { kind, id, period, limit, shards, parts };
  }
  const f = text.split('|');
  if (f.length < 6) throw new Error('not a slice definition');
  const parts = f[f.length - 1].split(',').map((p) => {
    const [shard, amount] = p.split(':').map(Number);
    if (!Number.isFinite(shard) || !Number.isFinite(amount)) throw new Error('not a slice definition');
    return [shard, amount] as [number, number];
  });
  const limit = Number(f[f.length - 3]);
  const shards = Number(f[f.length - 2]);
  if (!Number.isFinite(limit) || !Number.isFinite(shards)) throw new Error('not a slice definition');
  return {
    kind: KIND_OF[f[0]] ?? f[0],
    id: f.slice(1, f.length - 4).join('|'),
    period: f[f.length - 4],
    limit,
    shards,
    parts,
  };
}

function decode(item: Record<string, AttributeValue>): HolderRecord {
  const r: HolderRecord = {
    pk: item.pk.S!,
    sk: item.sk.S!,
    state: item.st?.S ?? 'active',
    expiresAt: Number(item.expiresAt?.N ?? 0),
    defs: {},
    used: {},
    slots: {},
    usage: {},
    scopes: {},
    recent: {},
  };
  for (const [k, v] of Object.entries(item)) {
    if (k.startsWith('sd_') && v.S) {
      try {
        r.defs[k.slice(3)] = decodeDef(v.S);
      } catch {
        // a corrupt definition cannot be returned; its quota stays out of the pool (safe)
      }
    } else if (k.startsWith('su_') && v.N) r.used[k.slice(3)] = Number(v.N);
    else if (k.startsWith('sl_') && v.N) r.slots[k.slice(3)] = Number(v.N);
    else if (k.startsWith('u_') && v.N) r.usage[k.slice(2)] = Number(v.N);
    else if (k.startsWith('w_') && v.N) r.recent[k.slice(2)] = Number(v.N);
    else if (k.startsWith('sc_') && v.S) {
      const [shards, limit] = v.S.split(':').map(Number);
      r.scopes[k.slice(3)] = { shards, limit };
    }
  }
  return r;
}
