/**
 * The instance's cached view of the shared per-endpoint state: breakers (written by routers) and
 * health (written by the health-check function), already decoded. Reads come from memory so the hot
 * path makes no store call when warm; the store's item format stays inside its adapter.
 */
import type { EndpointHealth } from '../core/health/endpoint-health';
import type { BreakerState } from '../core/resilience/breaker';

export interface StateSnapshot {
  /** The endpoint's breaker as last loaded or written by this instance; undefined when none is stored. */
  breaker(endpointId: string): BreakerState | undefined;
  /** The endpoint's last recorded health; undefined when none is stored or the stored one is unreadable. */
  health(endpointId: string): EndpointHealth | undefined;
  /** Cheap when warm; awaits only the very first load. */
  ensureFresh(): Promise<void>;
  refresh(): Promise<void>;
  /** When the last load finished (or failed), epoch ms. */
  loadedAt(): number;
}
