/**
 * The few DynamoDB call patterns every store repeats, written once: a conditional write whose
 * failed condition is an answer (not an error), a BatchGetItem that follows the 100-key limit and
 * unprocessed keys, and a Query that follows pagination over one partition.
 */
import {
  BatchGetItemCommand,
  QueryCommand,
  type AttributeValue,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { isConditionFailure } from './dynamo-health';

export type Item = Record<string, AttributeValue>;

/** Runs a conditional write: true when applied, false when its condition did not hold; other errors propagate. */
export async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/** Every found item for `keys`, in chunks of 100 (BatchGetItem's limit), retrying unprocessed keys a few times. */
export async function batchGetAll(
  ddb: DynamoDBClient,
  table: string,
  keys: Item[],
  consistent: boolean,
): Promise<Item[]> {
  const found: Item[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Item[] | undefined = keys.slice(i, i + 100);
    for (let attempt = 0; pending?.length && attempt < 5; attempt++) {
      const res: BatchGetItemCommandOutput = await ddb.send(
        new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: consistent } } }),
      );
      found.push(...(res.Responses?.[table] ?? []));
      pending = res.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return found;
}

/** Every item of one partition (`pk`), following pagination. */
export async function queryPartition(
  ddb: DynamoDBClient,
  table: string,
  pk: string,
  consistent: boolean,
): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const res = await ddb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ExclusiveStartKey: startKey,
        ConsistentRead: consistent,
      }),
    );
    items.push(...(res.Items ?? []));
    startKey = res.LastEvaluatedKey;
  } while (startKey);
  return items;
}
