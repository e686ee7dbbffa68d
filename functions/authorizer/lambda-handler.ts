import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { KeyStore } from '../adapters/dynamo/key-store';
import { authorize } from './authorize';

/** Builds the authorizer around a key store; the deployed handler and the local emulator share it. */
export function createAuthorizerHandler(keys: KeyStore) {
  return middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>().handler((event) => authorize(event, keys));
}
