/**
 * The two pieces of undici the upstream client uses (the connection-pooling Agent and its
 * `request` API), loaded from undici's own modules instead of its index. The index pulls in
 * fetch, WebSocket, the cache store, mocks and proxy agents too: about 250 KB of a bundle that
 * every cold start parses, none of it used here. undici is pinned to an exact version and the
 * client's tests exercise these paths, so a moved file fails the build, not production.
 */
import type { Agent as UndiciAgent, Dispatcher, errors as UndiciErrors } from 'undici';

/* eslint-disable @typescript-eslint/no-require-imports */
export const Agent = require('undici/lib/dispatcher/agent') as typeof UndiciAgent;
const requestApi = require('undici/lib/api/api-request') as (
  this: Dispatcher,
  opts: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;
export const errors = require('undici/lib/core/errors') as typeof UndiciErrors;
/* eslint-enable @typescript-eslint/no-require-imports */

/** `dispatcher.request(opts)`: the index attaches it to every Dispatcher; here it is called directly. */
export function request(dispatcher: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return requestApi.call(dispatcher, opts);
}
