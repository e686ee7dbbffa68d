import { errors, GatewayError } from '../../core/openai/errors';
import type { AttemptFailure } from '../upstream-attempt';

/** When every candidate failed, the client learns the most telling failure, with the right status. */
export function finalError(failures: AttemptFailure[]): GatewayError {
  const last = failures[failures.length - 1];
  if (!last)
    return new GatewayError(
      503,
      'No model was available to serve this request.',
      'service_unavailable',
      'no_candidates',
    );
  const where = `${last.endpoint.model} (${last.endpoint.id})`;
  switch (last.failure) {
    case 'client_error':
      return new GatewayError(
        last.status ?? 400,
        `Upstream ${where} rejected the request: ${last.message}`,
        'invalid_request_error',
        'upstream_rejected',
      );
    case 'credentials_unavailable':
      return errors.upstream(`Gateway configuration error: ${last.message}; retry shortly.`, 'credentials_unavailable');
    case 'auth':
      return errors.upstream(
        `Gateway configuration error: provider '${last.endpoint.providerName}' rejected the gateway's credentials for ${where}.`,
        'upstream_auth_failed',
      );
    case 'not_found':
      return errors.upstream(
        `Gateway configuration error: upstream ${where} says the model does not exist: ${last.message}`,
        'upstream_model_not_found',
      );
    case 'rate_limited':
      return new GatewayError(
        429,
        `Upstream ${where} is rate limiting; retry later.`,
        'rate_limit_error',
        'upstream_rate_limited',
        null,
        last.retryAfter ? { 'retry-after': last.retryAfter } : {},
      );
    case 'timeout':
    case 'aborted':
      return errors.upstreamTimeout(`Upstream ${where} did not answer in time: ${last.message}`);
    default:
      return errors.upstream(`Upstream ${where} failed: ${last.status ? `HTTP ${last.status}: ` : ''}${last.message}`);
  }
}
