/**
 * DynamoDB's capacity arithmetic, as documented, for the partition-capacity proxy
 * (local/dynamo-capacity.ts). Pure: no I/O, time passed in.
 *
 * - Item size: the sum over attributes of the UTF-8 length of the name plus the size of the value.
 *   String: UTF-8 bytes. Binary: raw bytes. Number: about one byte per two significant digits plus
 *   one (plus one for a negative number). Boolean and null: 1 byte. List and map: 3 bytes plus one
 *   byte per element plus the elements (a map's element names count like attribute names). Sets:
 *   the sum of their elements.
 * - Write units: one per 1 KB of the larger of the item's size before and after the write, at least
 *   one (a delete is charged by the size before; a failed condition by the item's current size).
 * - Read units: one per 4 KB read with strong consistency, half that with eventual consistency, at
 *   least one (half) even when nothing is found. A Query is charged on the total size it returns.
 */

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: boolean }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> };

export type Item = Record<string, AttributeValue>;

export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Bytes a DynamoDB number takes: its significant digits two to a byte, plus one (and one for the sign). */
export function numberSize(n: string): number {
  const t = n.trim();
  const negative = t.startsWith('-');
  const [mantissa] = t.replace(/^[-+]/, '').split(/[eE]/);
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  if (digits.length === 0) return 1;
  return Math.ceil(digits.length / 2) + 1 + (negative ? 1 : 0);
}

export function valueSize(v: AttributeValue): number {
  if ('S' in v) return utf8(v.S);
  if ('N' in v) return numberSize(v.N);
  if ('B' in v) return Buffer.from(v.B, 'base64').length;
  if ('BOOL' in v || 'NULL' in v) return 1;
  if ('SS' in v) return v.SS.reduce((s, x) => s + utf8(x), 0);
  if ('NS' in v) return v.NS.reduce((s, x) => s + numberSize(x), 0);
  if ('BS' in v) return v.BS.reduce((s, x) => s + Buffer.from(x, 'base64').length, 0);
  if ('L' in v) return 3 + v.L.reduce((s, x) => s + 1 + valueSize(x), 0);
  if ('M' in v) return 3 + Object.entries(v.M).reduce((s, [k, x]) => s + 1 + utf8(k) + valueSize(x), 0);
  return 0;
}

/** An item's size as DynamoDB bills it: attribute names plus values. */
export function itemSize(item: Item | undefined): number {
  if (!item) return 0;
  let size = 0;
  for (const [name, v] of Object.entries(item)) size += utf8(name) + valueSize(v);
  return size;
}

/** Write units of one item write: the larger of before and after, per started KB, at least 1. */
export function writeUnits(beforeBytes: number, afterBytes: number): number {
  return Math.max(1, Math.ceil(Math.max(beforeBytes, afterBytes) / WRITE_UNIT_BYTES));
}

/** Read units of bytes read in one request: per started 4 KB, at least 1; half when eventually consistent. */
export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
}

export interface TokenBucketOptions {
  /** Units added per simulated second (DynamoDB: 1,000 WCU or 3,000 RCU per partition key). */
  ratePerSecond: number;
  /** Most unused capacity kept, in seconds of rate (default 1: a key never does more than ~rate in any second plus a burst of one second). */
  burstSeconds?: number;
}

/**
 * Capacity of one partition key in one direction. A request is admitted while the bucket is not in
 * debt (at least one unit left) and then debited by what it really cost, which may take the bucket
 * below zero: the size of an update's result or a query's answer is only known once it has run, as
 * for DynamoDB, which also charges the real consumption afterwards. Debt is paid back by refill
 * before the next request is admitted. Time is in simulated seconds.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;
  readonly rate: number;
  readonly burst: number;

  constructor(opts: TokenBucketOptions, nowSeconds: number) {
    this.rate = opts.ratePerSecond;
    this.burst = opts.ratePerSecond * (opts.burstSeconds ?? 1);
    this.tokens = this.burst;
    this.at = nowSeconds;
  }

  private refill(nowSeconds: number): void {
    if (nowSeconds > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + (nowSeconds - this.at) * this.rate);
      this.at = nowSeconds;
    }
  }

  available(nowSeconds: number): number {
    this.refill(nowSeconds);
    return this.tokens;
  }

  /** True when a request may start now (the bucket holds at least `minimum`, default one unit). */
  admits(nowSeconds: number, minimum = 1): boolean {
    return this.available(nowSeconds) >= Math.min(minimum, this.burst);
  }

  debit(nowSeconds: number, units: number): void {
    this.refill(nowSeconds);
    this.tokens -= units;
  }
}

/**
 * Units per whole simulated second, to report each key's busiest second (what DynamoDB's
 * per-partition limit is about) besides its average.
 */
export class PerSecondPeak {
  private second = Number.NEGATIVE_INFINITY;
  private units = 0;
  peak = 0;

  add(nowSeconds: number, units: number): void {
    const s = Math.floor(nowSeconds);
    if (s !== this.second) {
      this.second = s;
      this.units = 0;
    }
    this.units += units;
    if (this.units > this.peak) this.peak = this.units;
  }
}
