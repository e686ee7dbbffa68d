/** API Gateway REQUEST authorizer: Bearer (or x-api-key) -> hashed key record -> allow with the key's context. */
import { createDynamoClient } from '../adapters/dynamo/client';
import { createDynamoKeyStore } from '../adapters/dynamo/key-store';
import { KEYS_TABLE, tableName } from '../contracts/table-specs';
import { AUTHORIZER_CACHE_MS_ENV, KEY_HEADER_MODE_ENV, keyHeaderSpec } from '../core/key-headers';
import { createAuthorizerHandler } from './lambda-handler';

// The stack sets both to match the API's identity sources and cache (see core/key-headers.ts).
const spec = keyHeaderSpec(process.env[KEY_HEADER_MODE_ENV]);

export const handler = createAuthorizerHandler(createDynamoKeyStore(createDynamoClient(), tableName(KEYS_TABLE)), {
  keyHeaders: spec.keyHeaders,
  cacheTtlMs: Number(process.env[AUTHORIZER_CACHE_MS_ENV] ?? 0) || 0,
});
