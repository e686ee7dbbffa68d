/**
 * The router Lambda. Always a streaming function (API Gateway REST response streaming invokes it
 * for every route): JSON answers and SSE streams leave through the same response stream.
 */
import { createDefaultDeps } from './default-deps';
import { createRouterHandler } from './lambda-handler';

export const handler = createRouterHandler(createDefaultDeps());
