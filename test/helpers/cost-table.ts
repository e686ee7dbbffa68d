/**
 * The cost table on a dynalite of the test file's own, with a DynamoDB client to it: started before
 * the file's tests, closed after them. `ready` hands both to the file's variables.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { COST_TABLE, tableName } from '../../functions/contracts/table-specs';
import { type LocalDynamo, type LocalDynamoOptions, startLocalDynamo } from '../../local/dynamo';

export function useCostTable(
  ready: (store: { ddb: DynamoDBClient; table: string; dynamo: LocalDynamo }) => void,
  opts: LocalDynamoOptions = {},
): void {
  let dynamo: LocalDynamo;
  let ddb: DynamoDBClient;
  beforeAll(async () => {
    dynamo = await startLocalDynamo(opts);
    ddb = createDynamoClient(dynamo.env);
    ready({ ddb, table: tableName(COST_TABLE, dynamo.env), dynamo });
  });
  afterAll(async () => {
    ddb.destroy();
    await dynamo.close();
  });
}
