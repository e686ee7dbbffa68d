/** How an upstream call failed, in the classes retries, breakers and metrics care about. */
export type FailureClass =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'connection'
  | 'client_error'
  | 'auth'
  | 'not_found'
  | 'aborted'
  | 'stream_error';
