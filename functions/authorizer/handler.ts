/** API Gateway REQUEST authorizer: Bearer (or x-api-key) -> hashed key record -> allow with the key's context. */
import { createDynamoClient } from '../adapters/dynamo/client';
import { createDynamoKeyStore } from '../adapters/dynamo/key-store';
import { KEYS_TABLE, tableName } from '../adapters/dynamo/table-specs';
import { createAuthorizerHandler } from './lambda-handler';

export const handler = createAuthorizerHandler(createDynamoKeyStore(createDynamoClient(), tableName(KEYS_TABLE)));
