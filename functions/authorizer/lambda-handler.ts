import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { KeyStore } from '../adapters/dynamo/key-store';
import { createAuthorizer, type AuthorizerOptions } from './authorize';

/** Builds the authorizer around a key store; the deployed handler and the local emulator share it. */
export function createAuthorizerHandler(keys: KeyStore, opts: AuthorizerOptions = {}) {
  const decide = createAuthorizer(keys, opts);
  return middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>().handler((event) => decide(event));
}
