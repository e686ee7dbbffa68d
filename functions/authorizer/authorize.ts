/**
 * The authorizer's decision, separate from the Lambda plumbing so the local emulator and tests
 * call exactly the code that runs on AWS.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { extractApiKey, hashApiKey, looksLikeApiKey, type KeyRecord } from '../core/keys';
import type { KeyStore } from '../adapters/dynamo/key-store';

/** What the router finds in `requestContext.authorizer` (API Gateway only passes flat strings/numbers/booleans). */
export interface AuthorizerContext {
  keyId: string;
  keyName: string;
  admin: 'true' | 'false';
  /** JSON of the key's limits (allowed models, budget, rpm/tpm). */
  limits: string;
}

/** API Gateway turns this exact message into a 401 (a Deny policy would give 403). */
export const UNAUTHORIZED = 'Unauthorized';

/**
 * The policy covers every method of the stage: API Gateway caches one decision per key, and a
 * policy for just the first method called would make cached calls to other methods fail with 403.
 */
export function stageWildcard(methodArn: string): string {
  const [arnPrefix, apiId, stage] = methodArn.split('/');
  return `${arnPrefix}/${apiId}/${stage ?? '*'}/*/*`;
}

export async function authorize(event: APIGatewayRequestAuthorizerEvent, keys: KeyStore): Promise<APIGatewayAuthorizerResult> {
  const apiKey = extractApiKey(event.headers as Record<string, string | undefined>);
  if (!apiKey || !looksLikeApiKey(apiKey)) throw new Error(UNAUTHORIZED);
  const record = await keys.getByHash(hashApiKey(apiKey));
  if (!record || record.status !== 'active') throw new Error(UNAUTHORIZED);
  return allow(record, event.methodArn);
}

function allow(record: KeyRecord, methodArn: string): APIGatewayAuthorizerResult {
  const limits = {
    allowedModels: record.allowedModels,
    defaultBudgetFactor: record.defaultBudgetFactor,
    dailyBudgetUsd: record.dailyBudgetUsd,
    rpm: record.rpm,
    tpm: record.tpm,
  };
  const context: AuthorizerContext = {
    keyId: record.keyId,
    keyName: record.name,
    admin: record.admin ? 'true' : 'false',
    limits: JSON.stringify(limits),
  };
  return {
    principalId: record.keyId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageWildcard(methodArn) }],
    },
    context: context as unknown as APIGatewayAuthorizerResult['context'],
  };
}
