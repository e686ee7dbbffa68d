/**
 * A partition-capacity proxy in front of a local DynamoDB (dynalite, DynamoDB Local): the handlers'
 * real AWS SDK talks to it as to DynamoDB, and it charges every request to the partition key it
 * touches with DynamoDB's documented per-partition-key limits, 1,000 write units and 3,000 read
 * units per second, answering `ProvisionedThroughputExceededException` (HTTP 400, DynamoDB's JSON
 * error) past them. It counts, per partition key (`<table> <pk value>`): write requests, write
 * units, read requests, read units, throttles and the busiest simulated second.
 *
 * Item sizes (write units need the size before and after): the proxy keeps a shadow of every
 * item's size, learnt from what passes through it and read through the upstream when missing:
 * - before a write, the item's size comes from the shadow, or from a consistent GetItem the proxy
 *   sends upstream itself (not counted) the first time it sees the item;
 * - after it: a PutItem's size is its `Item`; an UpdateItem is forwarded with `ReturnValues:
 *   ALL_NEW` when the caller asked for nothing (the proxy strips `Attributes` from the answer, so the
 *   caller sees what it asked for), else the proxy reads the item back; a DeleteItem leaves 0;
 * - GetItem, BatchGetItem and Query answers refresh the shadow with the items they return.
 * Writes to one item are serialised in the proxy (DynamoDB serialises them too), so before and
 * after belong to the same write. A write that bypasses the proxy leaves a stale size until the
 * item is next read or written through it. Because the proxy rewrites bodies it must sit in front
 * of an endpoint that does not check request signatures (dynalite, DynamoDB Local), never AWS.
 *
 * Capacity: a token bucket per partition key and direction (local/dynamo-capacity-units.ts),
 * refilled at the limit per *simulated* second: `timeScale` simulated seconds pass per wall-clock
 * second, so a bench that cannot produce 1,000 writes/s still meets the limit at timeScale < 1.
 * A bucket holds at most `burstSeconds` of capacity (default 1): DynamoDB's table-level burst
 * capacity (up to 300 s of unused throughput) never lifts a partition above its per-partition
 * limit, so one second is the honest default for a hot key. A request is admitted while its key's
 * bucket holds a unit (half a unit for a read), which it takes at once, so requests in flight
 * together cannot all pass on the last unit; the rest of its real cost is debited when known,
 * which may leave the bucket in debt (see TokenBucket); a request that fails gets its unit back. Split-for-heat,
 * which may spread one partition key's sort keys over partitions, is not modelled: the model is
 * conservative for a key with many sort keys and exact for a single hot item.
 *
 * Batch requests: BatchWriteItem forwards the items whose keys have capacity and returns the rest
 * in `UnprocessedItems` (all throttled: the error), as DynamoDB does; BatchGetItem is throttled
 * whole when any of its keys is in debt. Scans are charged to a `(scan)` key of their table.
 * Transactions (which dynalite lacks) pass through uncharged.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { crc32 } from 'node:zlib';
import {
  type Item,
  itemSize,
  PerSecondPeak,
  readUnits,
  TokenBucket,
  writeUnits,
  type AttributeValue,
} from './dynamo-capacity-units';
import { THROTTLE_ERROR_TYPE } from './dynamo-faults';

export interface CapacityProxyOptions {
  /** Write units per partition key per simulated second (default 1,000). */
  writeUnitsPerSecond?: number;
  /** Read units per partition key per simulated second (default 3,000). */
  readUnitsPerSecond?: number;
  /** Most unused capacity a key keeps, in seconds of its rate (default 1). */
  burstSeconds?: number;
  /** Simulated seconds per wall-clock second (default 1); 0.01 makes 1,000 WCU/s 10 per wall second. */
  timeScale?: number;
  /** Wall clock in ms (default performance.now); tests inject one. */
  now?: () => number;
  /** Throttle past the limits (default true); false only counts. */
  enforce?: boolean;
  port?: number;
}

export interface PartitionStats {
  /** `<table> <partition key value>`. */
  key: string;
  table: string;
  pk: string;
  writeRequests: number;
  writeUnits: number;
  readRequests: number;
  readUnits: number;
  throttledWrites: number;
  throttledReads: number;
  /** Most write units in one whole simulated second. */
  peakWriteUnitsPerSecond: number;
  peakReadUnitsPerSecond: number;
}

export interface CapacityReport {
  /** Simulated seconds since the start or the last reset. */
  simulatedSeconds: number;
  /** Requests by operation, as received (throttled included). */
  operations: Record<string, number>;
  writeRequests: number;
  writeUnits: number;
  readRequests: number;
  readUnits: number;
  throttledWrites: number;
  throttledReads: number;
  /** Every partition key touched, hottest (most write units) first. */
  partitions: PartitionStats[];
}

export interface CapacityProxy {
  endpoint: string;
  report(): CapacityReport;
  /** The `n` hottest keys by write units (or by read units, or throttles). */
  hottest(n?: number, by?: 'writeUnits' | 'readUnits' | 'throttledWrites' | 'throttledReads'): PartitionStats[];
  /** Zero the counts (the shadow of item sizes and the buckets are kept). */
  resetCounts(): void;
  setEnforce(on: boolean): void;
  close(): Promise<void>;
}

const THROTTLE_BODY = JSON.stringify({
  __type: THROTTLE_ERROR_TYPE,
  message:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
});
const CONDITION_FAILED = 'ConditionalCheckFailedException';

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

interface Upstream {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

interface KeyState {
  stats: PartitionStats;
  write: TokenBucket;
  read: TokenBucket;
  writePeak: PerSecondPeak;
  readPeak: PerSecondPeak;
}

type KeySchema = { hash: string; range?: string };

const keyText = (v: AttributeValue | undefined): string => {
  if (!v) return '?';
  if ('S' in v) return v.S;
  if ('N' in v) return v.N;
  if ('B' in v) return v.B;
  return JSON.stringify(v);
};

export async function startDynamoCapacityProxy(
  target: string,
  opts: CapacityProxyOptions = {},
): Promise<CapacityProxy> {
  const upstreamUrl = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const wall = opts.now ?? (() => performance.now());
  const scale = opts.timeScale ?? 1;
  const t0 = wall();
  let resetAt = 0;
  const simNow = () => ((wall() - t0) / 1000) * scale;
  const wcu = opts.writeUnitsPerSecond ?? 1000;
  const rcu = opts.readUnitsPerSecond ?? 3000;
  let enforce = opts.enforce ?? true;

  const keys = new Map<string, KeyState>();
  let operations: Record<string, number> = {};
  const sizes = new Map<string, number>();
  const schemas = new Map<string, Promise<KeySchema>>();
  const locks = new Map<string, Promise<void>>();
  const sockets = new Set<Socket>();

  const stateOf = (table: string, pk: string): KeyState => {
    const key = `${table} ${pk}`;
    let s = keys.get(key);
    if (!s) {
      const now = simNow();
      s = {
        stats: {
          key,
          table,
          pk,
          writeRequests: 0,
          writeUnits: 0,
          readRequests: 0,
          readUnits: 0,
          throttledWrites: 0,
          throttledReads: 0,
          peakWriteUnitsPerSecond: 0,
          peakReadUnitsPerSecond: 0,
        },
        write: new TokenBucket({ ratePerSecond: wcu, burstSeconds: opts.burstSeconds }, now),
        read: new TokenBucket({ ratePerSecond: rcu, burstSeconds: opts.burstSeconds }, now),
        writePeak: new PerSecondPeak(),
        readPeak: new PerSecondPeak(),
      };
      keys.set(key, s);
    }
    return s;
  };
  // Admission takes one unit (half for a read) at once, so requests in flight together cannot all
  // be admitted on the same last unit; the rest of the real cost is debited when it is known.
  const admitWrite = (s: KeyState): boolean => {
    const now = simNow();
    if (enforce && !s.write.admits(now)) return false;
    s.write.debit(now, 1);
    return true;
  };
  const refundWrite = (s: KeyState) => s.write.debit(simNow(), -1);
  const admitRead = (s: KeyState): boolean => {
    const now = simNow();
    if (enforce && !s.read.admits(now, 0.5)) return false;
    s.read.debit(now, 0.5);
    return true;
  };
  const refundRead = (s: KeyState) => s.read.debit(simNow(), -0.5);
  /** After an admitted write: its real units (the one taken at admission included). */
  const chargeWrite = (s: KeyState, units: number) => {
    const now = simNow();
    s.write.debit(now, units - 1);
    s.writePeak.add(now, units);
    s.stats.writeRequests++;
    s.stats.writeUnits += units;
    s.stats.peakWriteUnitsPerSecond = s.writePeak.peak;
  };
  const chargeRead = (s: KeyState, units: number) => {
    const now = simNow();
    s.read.debit(now, units - 0.5);
    s.readPeak.add(now, units);
    s.stats.readRequests++;
    s.stats.readUnits += units;
    s.stats.peakReadUnitsPerSecond = s.readPeak.peak;
  };

  function send(headers: IncomingMessage['headers'], method: string, path: string, body: Buffer): Promise<Upstream> {
    return new Promise((resolve, reject) => {
      const out = httpRequest(
        {
          host: upstreamUrl.hostname,
          port: upstreamUrl.port,
          method,
          path,
          headers: { ...headers, 'content-length': String(body.length) },
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }

  /** A call of the proxy's own (schema, sizes), with the caller's auth headers: dynalite checks their shape only. */
  async function own(headers: IncomingMessage['headers'], op: string, input: unknown): Promise<any> {
    const h = { ...headers, 'x-amz-target': `DynamoDB_20120810.${op}` };
    delete h['content-length'];
    const r = await send(h, 'POST', '/', Buffer.from(JSON.stringify(input)));
    const json = JSON.parse(r.body.toString('utf8') || '{}');
    if (r.status !== 200) throw Object.assign(new Error(`${op}: ${json.message ?? r.status}`), { status: r.status });
    return json;
  }

  function schemaOf(headers: IncomingMessage['headers'], table: string): Promise<KeySchema> {
    let p = schemas.get(table);
    if (!p) {
      p = own(headers, 'DescribeTable', { TableName: table }).then((d) => {
        const ks: Array<{ AttributeName: string; KeyType: string }> = d.Table.KeySchema;
        return {
          hash: ks.find((k) => k.KeyType === 'HASH')!.AttributeName,
          range: ks.find((k) => k.KeyType === 'RANGE')?.AttributeName,
        };
      });
      p.catch(() => schemas.delete(table));
      schemas.set(table, p);
    }
    return p;
  }

  const itemId = (table: string, ks: KeySchema, key: Item) =>
    `${table}\u0000${keyText(key[ks.hash])}\u0000${ks.range ? keyText(key[ks.range]) : ''}`;
  const keyOf = (ks: KeySchema, item: Item): Item =>
    ks.range ? { [ks.hash]: item[ks.hash], [ks.range]: item[ks.range] } : { [ks.hash]: item[ks.hash] };

  async function sizeOf(headers: IncomingMessage['headers'], table: string, ks: KeySchema, key: Item): Promise<number> {
    const id = itemId(table, ks, key);
    const known = sizes.get(id);
    if (known !== undefined) return known;
    const got = await own(headers, 'GetItem', { TableName: table, Key: keyOf(ks, key), ConsistentRead: true });
    const size = itemSize(got.Item);
    sizes.set(id, size);
    return size;
  }

  async function withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const chained = prev.then(() => mine);
    locks.set(id, chained);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (locks.get(id) === chained) locks.delete(id);
    }
  }

  const learn = (table: string, ks: KeySchema, items: Item[] | undefined) => {
    for (const it of items ?? []) sizes.set(itemId(table, ks, it), itemSize(it));
  };

  /** A single-item write: charged max(before, after) per KB to its partition key. */
  async function singleWrite(req: IncomingMessage, op: string, input: any, raw: Buffer): Promise<Upstream> {
    const table: string = input.TableName;
    const ks = await schemaOf(req.headers, table);
    const key: Item = op === 'PutItem' ? keyOf(ks, input.Item) : input.Key;
    const s = stateOf(table, keyText(key[ks.hash]));
    if (!admitWrite(s)) {
      s.stats.throttledWrites++;
      return throttled();
    }
    const id = itemId(table, ks, key);
    let charged = false;
    return withLock(id, async () => {
      const before = await sizeOf(req.headers, table, ks, key);
      const asked = input.ReturnValues ?? 'NONE';
      const inject = op === 'UpdateItem' && asked === 'NONE';
      const body = inject ? Buffer.from(JSON.stringify({ ...input, ReturnValues: 'ALL_NEW' })) : raw;
      const res = await send(req.headers, req.method ?? 'POST', req.url ?? '/', body);
      const json = res.body.length ? JSON.parse(res.body.toString('utf8')) : {};
      if (res.status === 200) {
        let after: number;
        if (op === 'PutItem') after = itemSize(input.Item);
        else if (op === 'DeleteItem') after = 0;
        else if (inject || asked === 'ALL_NEW') after = itemSize(json.Attributes);
        else
          after = itemSize(
            (await own(req.headers, 'GetItem', { TableName: table, Key: key, ConsistentRead: true })).Item,
          );
        sizes.set(id, after);
        chargeWrite(s, writeUnits(before, after));
        charged = true;
        if (inject) {
          delete json.Attributes;
          return rewritten(res, json);
        }
      } else if (String(json.__type ?? '').endsWith(CONDITION_FAILED)) {
        // A failed condition still costs the write, by the item's size.
        chargeWrite(s, writeUnits(before, before));
        charged = true;
      }
      return res;
    }).finally(() => {
      if (!charged) refundWrite(s);
    });
  }

  async function batchWrite(req: IncomingMessage, input: any): Promise<Upstream> {
    const forward: Record<string, unknown[]> = {};
    const unprocessed: Record<string, unknown[]> = {};
    const charges: Array<{
      s: KeyState;
      id: string;
      table: string;
      ks: KeySchema;
      key: Item;
      after: Item | undefined;
    }> = [];
    let admitted = 0;
    let total = 0;
    for (const [table, reqs] of Object.entries(input.RequestItems ?? {}) as Array<[string, any[]]>) {
      const ks = await schemaOf(req.headers, table);
      for (const r of reqs) {
        total++;
        const after: Item | undefined = r.PutRequest?.Item;
        const key: Item = after ? keyOf(ks, after) : r.DeleteRequest?.Key;
        const s = stateOf(table, keyText(key[ks.hash]));
        if (!admitWrite(s)) {
          s.stats.throttledWrites++;
          (unprocessed[table] ??= []).push(r);
          continue;
        }
        admitted++;
        (forward[table] ??= []).push(r);
        charges.push({ s, id: itemId(table, ks, key), table, ks, key, after });
      }
    }
    if (admitted === 0 && total > 0) return throttled();
    let befores: number[];
    let res: Upstream;
    try {
      befores = await Promise.all(charges.map((c) => sizeOf(req.headers, c.table, c.ks, c.key)));
      res = await send(
        req.headers,
        req.method ?? 'POST',
        req.url ?? '/',
        Buffer.from(JSON.stringify({ ...input, RequestItems: forward })),
      );
    } catch (e) {
      for (const c of charges) refundWrite(c.s);
      throw e;
    }
    if (res.status !== 200) {
      for (const c of charges) refundWrite(c.s);
      return res;
    }
    const json = JSON.parse(res.body.toString('utf8'));
    charges.forEach((c, i) => {
      const after = itemSize(c.after);
      sizes.set(c.id, after);
      chargeWrite(c.s, writeUnits(befores[i], after));
    });
    for (const [table, reqs] of Object.entries(unprocessed)) {
      json.UnprocessedItems ??= {};
      json.UnprocessedItems[table] = [...(json.UnprocessedItems[table] ?? []), ...reqs];
    }
    return rewritten(res, json);
  }

  async function getItem(req: IncomingMessage, input: any, raw: Buffer): Promise<Upstream> {
    const table: string = input.TableName;
    const ks = await schemaOf(req.headers, table);
    const s = stateOf(table, keyText(input.Key[ks.hash]));
    if (!admitRead(s)) {
      s.stats.throttledReads++;
      return throttled();
    }
    const res = await send(req.headers, req.method ?? 'POST', req.url ?? '/', raw).catch((e) => {
      refundRead(s);
      throw e;
    });
    if (res.status !== 200) {
      refundRead(s);
      return res;
    }
    const json = JSON.parse(res.body.toString('utf8'));
    // A projection returns part of the item, but DynamoDB charges for all of it: size from the shadow when known.
    const full =
      input.ProjectionExpression || input.AttributesToGet ? sizes.get(itemId(table, ks, input.Key)) : undefined;
    const size = full ?? itemSize(json.Item);
    if (!input.ProjectionExpression && !input.AttributesToGet) sizes.set(itemId(table, ks, input.Key), size);
    chargeRead(s, readUnits(size, input.ConsistentRead === true));
    return res;
  }

  async function batchGet(req: IncomingMessage, input: any, raw: Buffer): Promise<Upstream> {
    const wanted: Array<{ s: KeyState; table: string; ks: KeySchema; key: Item }> = [];
    for (const [table, spec] of Object.entries(input.RequestItems ?? {}) as Array<[string, any]>) {
      const ks = await schemaOf(req.headers, table);
      for (const key of spec.Keys ?? []) wanted.push({ s: stateOf(table, keyText(key[ks.hash])), table, ks, key });
    }
    const taken: KeyState[] = [];
    const blocked: KeyState[] = [];
    for (const w of wanted) (admitRead(w.s) ? taken : blocked).push(w.s);
    const refund = () => {
      for (const s of taken) refundRead(s);
    };
    if (blocked.length > 0) {
      refund();
      for (const s of blocked) s.stats.throttledReads++;
      return throttled();
    }
    const res = await send(req.headers, req.method ?? 'POST', req.url ?? '/', raw).catch((e) => {
      refund();
      throw e;
    });
    if (res.status !== 200) {
      refund();
      return res;
    }
    const json = JSON.parse(res.body.toString('utf8'));
    const found = new Map<string, number>();
    for (const [table, items] of Object.entries(json.Responses ?? {}) as Array<[string, Item[]]>) {
      const ks = await schemaOf(req.headers, table);
      if (!input.RequestItems[table]?.ProjectionExpression) learn(table, ks, items);
      for (const it of items) found.set(itemId(table, ks, it), itemSize(it));
    }
    for (const w of wanted) {
      const consistent = input.RequestItems[w.table]?.ConsistentRead === true;
      const id = itemId(w.table, w.ks, w.key);
      chargeRead(w.s, readUnits(sizes.get(id) ?? found.get(id) ?? 0, consistent));
    }
    return res;
  }

  /** The partition key value a Query's key condition names (`pk = :v`, or through `#n`). */
  function queryPk(input: any, ks: KeySchema): string {
    const cond: string = input.KeyConditionExpression ?? '';
    const names: Record<string, string> = input.ExpressionAttributeNames ?? {};
    for (const m of cond.matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
      const attr = m[1].startsWith('#') ? names[m[1]] : m[1];
      if (attr === ks.hash) return keyText(input.ExpressionAttributeValues?.[m[2]]);
    }
    const legacy = input.KeyConditions?.[ks.hash]?.AttributeValueList?.[0];
    return keyText(legacy);
  }

  async function queryOrScan(req: IncomingMessage, op: string, input: any, raw: Buffer): Promise<Upstream> {
    const table: string = input.TableName;
    const ks = await schemaOf(req.headers, table);
    const s = stateOf(table, op === 'Query' ? queryPk(input, ks) : '(scan)');
    if (!admitRead(s)) {
      s.stats.throttledReads++;
      return throttled();
    }
    const res = await send(req.headers, req.method ?? 'POST', req.url ?? '/', raw).catch((e) => {
      refundRead(s);
      throw e;
    });
    if (res.status !== 200) {
      refundRead(s);
      return res;
    }
    const json = JSON.parse(res.body.toString('utf8'));
    const items: Item[] = json.Items ?? [];
    if (!input.ProjectionExpression && !input.IndexName) learn(table, ks, items);
    chargeRead(
      s,
      readUnits(
        items.reduce((sum, it) => sum + itemSize(it), 0),
        input.ConsistentRead === true,
      ),
    );
    return res;
  }

  function throttled(): Upstream {
    return {
      status: 400,
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': `capacity-${Date.now().toString(36)}`,
      },
      body: Buffer.from(THROTTLE_BODY),
    };
  }

  /** An answer whose JSON the proxy changed: new length and checksum (the SDK may verify x-amz-crc32). */
  function rewritten(res: Upstream, json: unknown): Upstream {
    const body = Buffer.from(JSON.stringify(json));
    return { ...res, headers: { ...res.headers, 'x-amz-crc32': String(crc32(body)) }, body };
  }

  async function handle(req: IncomingMessage, raw: Buffer): Promise<Upstream> {
    const op =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() || 'unknown';
    operations[op] = (operations[op] ?? 0) + 1;
    let input: any;
    try {
      input = JSON.parse(raw.toString('utf8'));
    } catch {
      return send(req.headers, req.method ?? 'POST', req.url ?? '/', raw);
    }
    if (WRITES.has(op)) return singleWrite(req, op, input, raw);
    if (op === 'BatchWriteItem') return batchWrite(req, input);
    if (op === 'GetItem') return getItem(req, input, raw);
    if (op === 'BatchGetItem') return batchGet(req, input, raw);
    if (op === 'Query' || op === 'Scan') return queryOrScan(req, op, input, raw);
    return send(req.headers, req.method ?? 'POST', req.url ?? '/', raw);
  }

  const server: Server = createServer({ keepAliveTimeout: 10 * 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks)).then(
        (out) => {
          const headers = { ...out.headers, 'content-length': String(out.body.length) };
          delete headers['transfer-encoding'];
          res.writeHead(out.status, headers);
          res.end(out.body);
        },
        () => res.destroy(),
      );
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const sorted = (by: keyof PartitionStats) =>
    [...keys.values()].map((k) => ({ ...k.stats })).sort((a, b) => (b[by] as number) - (a[by] as number));

  return {
    endpoint: `http://127.0.0.1:${port}`,
    report() {
      const partitions = sorted('writeUnits');
      const sum = (f: (p: PartitionStats) => number) => partitions.reduce((s, p) => s + f(p), 0);
      return {
        simulatedSeconds: simNow() - resetAt,
        operations: { ...operations },
        writeRequests: sum((p) => p.writeRequests),
        writeUnits: sum((p) => p.writeUnits),
        readRequests: sum((p) => p.readRequests),
        readUnits: sum((p) => p.readUnits),
        throttledWrites: sum((p) => p.throttledWrites),
        throttledReads: sum((p) => p.throttledReads),
        partitions,
      };
    },
    hottest: (n = 5, by = 'writeUnits') => sorted(by).slice(0, n),
    resetCounts() {
      operations = {};
      resetAt = simNow();
      for (const k of keys.values()) {
        k.stats = {
          ...k.stats,
          writeRequests: 0,
          writeUnits: 0,
          readRequests: 0,
          readUnits: 0,
          throttledWrites: 0,
          throttledReads: 0,
          peakWriteUnitsPerSecond: 0,
          peakReadUnitsPerSecond: 0,
        };
        k.writePeak = new PerSecondPeak();
        k.readPeak = new PerSecondPeak();
      }
    },
    setEnforce(on) {
      enforce = on;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      agent.destroy();
    },
  };
}
