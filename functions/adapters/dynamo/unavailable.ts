/**
 * Which DynamoDB errors mean "the store could not take this" (unreachable, throttled, failing)
 * rather than "this write is wrong": the former switch a guarantee to its fail mode, the latter are bugs.
 */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

/** DynamoDB did not take the write for a reason of its own (unreachable, throttled, failing), not because of the write. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  // Only the SDK's errors say anything about DynamoDB (a bug in our code has no $metadata).
  if (!e?.$metadata) return false;
  if (e.name && THROTTLING.has(e.name)) return true;
  const status = e.$metadata.httpStatusCode;
  // No status: the request never got an answer (refused, reset, timed out).
  return status === undefined || status >= 500;
}
