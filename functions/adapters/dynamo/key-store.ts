/**
 * Key records in the keys table, addressed by the hash of the key: pk `key#<sha256>`, sk `key`.
 * The key itself is never stored; `keyId` (a prefix of the hash) is the public, loggable name.
 */
import {
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  hashApiKey,
  KEY_LIMIT_FIELDS,
  keyFieldProblems,
  keyIdFromHash,
  keyUpdateProblems,
  type KeyRecord,
  type KeyUpdate,
} from '../../core/keys';

export interface KeyStore {
  getByHash(hash: string): Promise<KeyRecord | undefined>;
  create(
    apiKey: string,
    fields: Omit<KeyRecord, 'keyId' | 'createdAt' | 'status'> & { status?: KeyRecord['status'] },
  ): Promise<KeyRecord>;
  list(): Promise<KeyRecord[]>;
  /** Admin path (scans): the CLI's `show`. */
  getById(keyId: string): Promise<KeyRecord | undefined>;
  /** Revokes (or reactivates) every secret of the key, the current one and any still in grace. */
  setStatus(keyId: string, status: KeyRecord['status']): Promise<boolean>;
  /** Changes limits on every secret of the key; resolves the current record, undefined if unknown. */
  update(keyId: string, changes: KeyUpdate): Promise<KeyRecord | undefined>;
  /**
   * Stores `newApiKey` as the key's current secret (same keyId and limits) and lets the current one
   * work until `graceUntil` (ISO). Resolves the new record, undefined when the key is unknown or revoked.
   */
  rotate(keyId: string, newApiKey: string, graceUntil: string): Promise<KeyRecord | undefined>;
  /**
   * Sets `lastUsedAt` to `at` unless it is already at or after `staleBefore` (conditional, so many
   * authorizer instances write it once). Resolves whether it wrote.
   */
  touchLastUsed(hash: string, at: string, staleBefore: string): Promise<boolean>;
}

function toItem(hash: string, r: KeyRecord): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    pk: { S: `key#${hash}` },
    sk: { S: 'key' },
    keyId: { S: r.keyId },
    name: { S: r.name },
    status: { S: r.status },
    admin: { BOOL: r.admin },
    createdAt: { S: r.createdAt },
  };
  if (r.allowedModels?.length) item.allowedModels = { SS: r.allowedModels };
  if (r.defaultBudgetFactor !== undefined) item.defaultBudgetFactor = { N: String(r.defaultBudgetFactor) };
  if (r.dailyBudgetUsd !== undefined) item.dailyBudgetUsd = { N: String(r.dailyBudgetUsd) };
  if (r.weeklyBudgetUsd !== undefined) item.weeklyBudgetUsd = { N: String(r.weeklyBudgetUsd) };
  if (r.monthlyBudgetUsd !== undefined) item.monthlyBudgetUsd = { N: String(r.monthlyBudgetUsd) };
  if (r.rpm !== undefined) item.rpm = { N: String(r.rpm) };
  if (r.tpm !== undefined) item.tpm = { N: String(r.tpm) };
  if (r.maxConcurrency !== undefined) item.maxConcurrency = { N: String(r.maxConcurrency) };
  if (r.cacheTtlSeconds !== undefined) item.cacheTtlSeconds = { N: String(r.cacheTtlSeconds) };
  if (r.validUntil !== undefined) item.validUntil = { S: r.validUntil };
  if (r.graceUntil !== undefined) item.graceUntil = { S: r.graceUntil };
  if (r.rotatedAt !== undefined) item.rotatedAt = { S: r.rotatedAt };
  return item;
}

export function fromItem(item: Record<string, AttributeValue>): KeyRecord {
  const num = (k: string) => (item[k]?.N !== undefined ? Number(item[k].N) : undefined);
  return {
    keyId: item.keyId?.S ?? '',
    name: item.name?.S ?? '',
    status: item.status?.S === 'revoked' ? 'revoked' : 'active',
    admin: item.admin?.BOOL === true,
    createdAt: item.createdAt?.S ?? '',
    lastUsedAt: item.lastUsedAt?.S,
    allowedModels: item.allowedModels?.SS,
    defaultBudgetFactor: num('defaultBudgetFactor'),
    dailyBudgetUsd: num('dailyBudgetUsd'),
    weeklyBudgetUsd: num('weeklyBudgetUsd'),
    monthlyBudgetUsd: num('monthlyBudgetUsd'),
    rpm: num('rpm'),
    tpm: num('tpm'),
    maxConcurrency: num('maxConcurrency'),
    cacheTtlSeconds: num('cacheTtlSeconds'),
    validUntil: item.validUntil?.S,
    graceUntil: item.graceUntil?.S,
    rotatedAt: item.rotatedAt?.S,
  };
}

/** Attribute types of the limit fields, for updates. */
function limitValue(field: keyof KeyUpdate, value: unknown): AttributeValue {
  if (field === 'allowedModels') return { SS: value as string[] };
  if (field === 'validUntil') return { S: value as string };
  return { N: String(value) };
}

/** A rotated-out item outlives its grace by this much before the table's TTL may delete it (tidiness only). */
const ROTATED_ITEM_RETENTION_S = 7 * 86_400;

export interface KeyStoreOptions {
  now?: () => number;
}

export function createDynamoKeyStore(ddb: DynamoDBClient, table: string, opts: KeyStoreOptions = {}): KeyStore {
  const now = opts.now ?? Date.now;
  async function scanAll(): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const res = await ddb.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: 'sk = :k',
          ExpressionAttributeValues: { ':k': { S: 'key' } },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(res.Items ?? []));
      startKey = res.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async function itemsOf(keyId: string): Promise<Record<string, AttributeValue>[]> {
    return (await scanAll()).filter((i) => i.keyId?.S === keyId);
  }

  return {
    async getByHash(hash) {
      const res = await ddb.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: `key#${hash}` }, sk: { S: 'key' } },
          ConsistentRead: false,
        }),
      );
      return res.Item ? fromItem(res.Item) : undefined;
    },
    async create(apiKey, fields) {
      const problems = keyFieldProblems(fields);
      if (problems.length) throw new Error(`invalid key fields: ${problems.join('; ')}`);
      const hash = hashApiKey(apiKey);
      const record: KeyRecord = {
        ...fields,
        keyId: keyIdFromHash(hash),
        status: fields.status ?? 'active',
        createdAt: new Date(now()).toISOString(),
      };
      await ddb.send(
        new PutItemCommand({
          TableName: table,
          Item: toItem(hash, record),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return record;
    },
    async list() {
      return currentRecords(await scanAll()).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
    async getById(keyId) {
      return currentRecords(await itemsOf(keyId))[0];
    },
    async update(keyId, changes) {
      const problems = keyUpdateProblems(changes);
      if (problems.length) throw new Error(`invalid key fields: ${problems.join('; ')}`);
      const items = await itemsOf(keyId);
      if (!items.length) return undefined;
      const sets: string[] = [];
      const removes: string[] = [];
      const names: Record<string, string> = {};
      const values: Record<string, AttributeValue> = {};
      KEY_LIMIT_FIELDS.forEach((field, i) => {
        const v = changes[field];
        if (v === undefined) return;
        names[`#f${i}`] = field;
        // An empty model list means "all models", stored as no attribute (DynamoDB has no empty set).
        if (v === null || (field === 'allowedModels' && !(v as string[]).length)) removes.push(`#f${i}`);
        else {
          sets.push(`#f${i} = :v${i}`);
          values[`:v${i}`] = limitValue(field, v);
        }
      });
      const expression = [
        sets.length ? `SET ${sets.join(', ')}` : '',
        removes.length ? `REMOVE ${removes.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join(' ');
      for (const item of items) {
        await ddb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: expression,
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
          }),
        );
      }
      return currentRecords(await itemsOf(keyId))[0];
    },
    async rotate(keyId, newApiKey, graceUntil) {
      if (!Number.isFinite(Date.parse(graceUntil))) throw new Error('invalid graceUntil');
      const items = await itemsOf(keyId);
      const currentItem = items.find((i) => i.graceUntil === undefined);
      if (!currentItem) return undefined;
      const current = fromItem(currentItem);
      if (current.status !== 'active') return undefined;
      const hash = hashApiKey(newApiKey);
      const { graceUntil: _g, lastUsedAt: _l, ...carried } = current;
      const next: KeyRecord = { ...carried, rotatedAt: new Date(now()).toISOString() };
      // The new secret first: a crash between the two writes leaves both secrets working, never neither.
      await ddb.send(
        new PutItemCommand({
          TableName: table,
          Item: toItem(hash, next),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      const graceSeconds = Math.ceil(Date.parse(graceUntil) / 1000);
      for (const item of items) {
        // A secret already in grace from an earlier rotation never gets longer than this one.
        const earlier = item.graceUntil?.S;
        const until = earlier !== undefined && earlier < graceUntil ? earlier : graceUntil;
        await ddb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: 'SET graceUntil = :g, expiresAt = :e',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: {
              ':g': { S: until },
              ':e': {
                N: String(Math.max(graceSeconds, Math.ceil(Date.parse(until) / 1000)) + ROTATED_ITEM_RETENTION_S),
              },
            },
          }),
        );
      }
      return next;
    },
    async touchLastUsed(hash, at, staleBefore) {
      try {
        await ddb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: { S: `key#${hash}` }, sk: { S: 'key' } },
            UpdateExpression: 'SET #u = :at',
            // The authorizer's IAM policy allows UpdateItem on pk, sk and lastUsedAt only.
            ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#u) OR #u < :stale)',
            ExpressionAttributeNames: { '#u': 'lastUsedAt' },
            ExpressionAttributeValues: { ':at': { S: at }, ':stale': { S: staleBefore } },
          }),
        );
        return true;
      } catch (err) {
        if ((err as Error)?.name === 'ConditionalCheckFailedException') return false;
        throw err;
      }
    },
    async setStatus(keyId, status) {
      // Keys are addressed by hash; the id is only a prefix of the first one, so find the items first (admin path, not hot).
      const items = await itemsOf(keyId);
      if (!items.length) return false;
      for (const item of items) {
        await ddb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: 'SET #s = :s',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':s': { S: status } },
          }),
        );
      }
      return true;
    },
  };
}

/** One record per key: the secret that is not in grace (the newest if a crash left two). */
function currentRecords(items: Record<string, AttributeValue>[]): KeyRecord[] {
  const byId = new Map<string, KeyRecord>();
  for (const record of items.map(fromItem)) {
    const seen = byId.get(record.keyId);
    const rank = (r: KeyRecord) => `${r.graceUntil === undefined ? 1 : 0}${r.rotatedAt ?? r.createdAt}`;
    if (!seen || rank(record) > rank(seen)) byId.set(record.keyId, record);
  }
  return [...byId.values()];
}
