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
import { hashApiKey, keyFieldProblems, keyIdFromHash, type KeyRecord } from '../../core/keys';

export interface KeyStore {
  getByHash(hash: string): Promise<KeyRecord | undefined>;
  create(
    apiKey: string,
    fields: Omit<KeyRecord, 'keyId' | 'createdAt' | 'status'> & { status?: KeyRecord['status'] },
  ): Promise<KeyRecord>;
  list(): Promise<KeyRecord[]>;
  /** Admin path (scans): the CLI's `show`. */
  getById(keyId: string): Promise<KeyRecord | undefined>;
  setStatus(keyId: string, status: KeyRecord['status']): Promise<boolean>;
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
  if (r.rpm !== undefined) item.rpm = { N: String(r.rpm) };
  if (r.tpm !== undefined) item.tpm = { N: String(r.tpm) };
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
    rpm: num('rpm'),
    tpm: num('tpm'),
  };
}

export function createDynamoKeyStore(ddb: DynamoDBClient, table: string): KeyStore {
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
        createdAt: new Date().toISOString(),
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
      return (await scanAll()).map(fromItem).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
    async getById(keyId) {
      const item = (await scanAll()).find((i) => i.keyId?.S === keyId);
      return item ? fromItem(item) : undefined;
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
      // Keys are addressed by hash; the id is only a prefix of it, so find the item first (admin path, not hot).
      const item = (await scanAll()).find((i) => i.keyId?.S === keyId);
      if (!item) return false;
      await ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: 'SET #s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': { S: status } },
        }),
      );
      return true;
    },
  };
}
