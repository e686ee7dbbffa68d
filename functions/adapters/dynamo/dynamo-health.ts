import type { StoreHealth } from '../../ports/store-health';
/**
 * Tracks whether this instance can reach DynamoDB. Shared state is an optimisation of correctness,
 * not a dependency of availability: when DynamoDB is down the router keeps serving on local state,
 * logs the outage once a minute (not once per request) and reports it in /health.
 */
export type DynamoHealth = StoreHealth;

export interface DynamoHealthHooks {
  /** Called on the first success after an outage (the write backlog replays from here). */
  onRecovered?: () => void;
  /** Writes kept for replay; reported by status() when there are any. */
  pendingWrites?: () => number;
}

export function createDynamoHealth(
  log: (level: 'warn' | 'info', msg: string, fields?: Record<string, unknown>) => void,
  now: () => number = Date.now,
  logEveryMs = 60_000,
  hooks: DynamoHealthHooks = {},
): DynamoHealth {
  let downSince: number | undefined;
  let lastError: string | undefined;
  let lastLogged = 0;
  return {
    ok() {
      const recovered = downSince !== undefined;
      if (recovered) log('info', 'DynamoDB reachable again; shared state restored', { downForMs: now() - downSince! });
      downSince = undefined;
      lastError = undefined;
      if (recovered) hooks.onRecovered?.();
    },
    failed(operation, err) {
      const t = now();
      downSince ??= t;
      lastError = `${operation}: ${(err as Error)?.name ?? 'Error'}`;
      if (t - lastLogged >= logEveryMs) {
        lastLogged = t;
        log('warn', 'DynamoDB unreachable; routing on instance-local state (breakers and leases fail open)', {
          operation,
          error: (err as Error)?.message,
        });
      }
    },
    status: () => {
      const pending = hooks.pendingWrites?.() ?? 0;
      const writes = pending > 0 ? { pendingWrites: pending } : {};
      return downSince === undefined
        ? { reachable: true, ...writes }
        : { reachable: false, since: new Date(downSince).toISOString(), lastError, ...writes };
    },
  };
}

/** Conditional-check failures are answers, not outages. */
export function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}
