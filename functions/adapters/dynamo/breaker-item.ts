/**
 * The breaker item in the state table, `pk = endpoint#<id>`, `sk = breaker`: written by the routers'
 * conditional updates, read through the state snapshot and by the health check's report.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CLOSED, type BreakerState } from '../../core/resilience/breaker';
import { endpointPk } from './endpoint-key';

export const BREAKER_SK = 'breaker';

export function breakerKey(endpointId: string): Record<string, AttributeValue> {
  return { pk: { S: endpointPk(endpointId) }, sk: { S: BREAKER_SK } };
}

/** A missing item is a closed breaker; missing counters are zero, missing keys none. */
export function breakerFromItem(item: Record<string, AttributeValue> | undefined): BreakerState {
  if (!item) return CLOSED;
  const n = (k: string) => Number(item[k]?.N ?? 0);
  const phase = item.phase?.S;
  return {
    phase: phase === 'open' || phase === 'half_open' ? phase : 'closed',
    failures: n('failures'),
    windowStart: n('windowStart'),
    changedAt: n('changedAt'),
    probes: n('probes'),
    successes: n('successes'),
    // A string set; absent (DynamoDB has no empty sets) when no key failed in the window.
    failingKeys: item.failingKeys?.SS ?? [],
  };
}
