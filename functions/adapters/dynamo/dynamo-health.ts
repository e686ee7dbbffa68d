/**
 * Tracks whether this instance can reach DynamoDB. Shared state is an optimisation of correctness,
 * not a dependency of availability: when DynamoDB is down the router keeps serving on local state,
 * logs the outage once a minute (not once per request) and reports it in /health.
 */
export interface DynamoHealth {
  ok(): void;
  failed(operation: string, err: unknown): void;
  status(): { reachable: boolean; since?: string; lastError?: string };
}

export function createDynamoHealth(
  log: (level: 'warn' | 'info', msg: string, fields?: Record<string, unknown>) => void,
  now: () => number = Date.now,
  logEveryMs = 60_000,
): DynamoHealth {
  let downSince: number | undefined;
  let lastError: string | undefined;
  let lastLogged = 0;
  return {
    ok() {
      if (downSince !== undefined) log('info', 'DynamoDB reachable again; shared state restored', { downForMs: now() - downSince });
      downSince = undefined;
      lastError = undefined;
    },
    failed(operation, err) {
      const t = now();
      downSince ??= t;
      lastError = `${operation}: ${(err as Error)?.name ?? 'Error'}`;
      if (t - lastLogged >= logEveryMs) {
        lastLogged = t;
        log('warn', 'DynamoDB unreachable; routing on instance-local state (breakers and leases fail open)', { operation, error: (err as Error)?.message });
      }
    },
    status: () =>
      downSince === undefined
        ? { reachable: true }
        : { reachable: false, since: new Date(downSince).toISOString(), lastError },
  };
}

/** Conditional-check failures are answers, not outages. */
export function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}
