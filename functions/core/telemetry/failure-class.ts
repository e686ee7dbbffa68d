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
  | 'stream_error'
  /** The upstream's response passed `gateway.maxUpstreamBodyBytes`. */
  | 'too_large'
  /** The gateway could not read the provider's key (Secrets Manager): our fault, not the endpoint's. */
  | 'credentials_unavailable';
