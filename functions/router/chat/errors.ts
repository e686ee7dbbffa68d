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
  // Fixed words per failure class, with the upstream's status and request id. Upstream text appears
  // only for a request the upstream rejected (the client needs to know why), and only scrubbed.
  const ref = [
    last.status ? `HTTP ${last.status}` : undefined,
    last.upstreamRequestId ? `upstream request id ${last.upstreamRequestId}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const refs = ref ? ` (${ref})` : '';
  switch (last.failure) {
    case 'client_error':
      return new GatewayError(
        last.status ?? 400,
        `Upstream ${where} rejected the request${refs}: ${last.message}`,
        'invalid_request_error',
        'upstream_rejected',
      );
    case 'credentials_unavailable':
      return errors.upstream(`Gateway configuration error: ${last.message}; retry shortly.`, 'credentials_unavailable');
    case 'auth':
      return errors.upstream(
        `Gateway configuration error: provider '${last.endpoint.providerName}' rejected the gateway's credentials for ${where}${refs}.`,
        'upstream_auth_failed',
      );
    case 'not_found':
      return errors.upstream(
        `Gateway configuration error: upstream ${where} says the model does not exist${refs}.`,
        'upstream_model_not_found',
      );
    case 'rate_limited':
      return new GatewayError(
        429,
        `Upstream ${where} is rate limiting${refs}; retry later.`,
        'rate_limit_error',
        'upstream_rate_limited',
        null,
        last.retryAfter ? { 'retry-after': last.retryAfter } : {},
      );
    case 'too_large':
      return errors.upstream(
        `Upstream ${where} sent a response larger than the gateway accepts (gateway.maxUpstreamBodyBytes).`,
        'upstream_response_too_large',
      );
    case 'timeout':
    case 'aborted':
      return errors.upstreamTimeout(`Upstream ${where} did not answer in time: ${last.message}`);
    default:
      // A status means the message is the upstream's own text: not repeated for server errors.
      return errors.upstream(`Upstream ${where} failed${last.status ? refs : `: ${last.message}`}.`);
  }
}
