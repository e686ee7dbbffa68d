/** Circuit breakers per endpoint, shared by every router instance. */
import type { BreakerState } from '../core/resilience/breaker';

export interface AdmitResult {
  allowed: boolean;
  /** This call is a half-open probe: its outcome decides the breaker. */
  probe: boolean;
  /** When rejected: how long until a probe may be tried. */
  retryAfterMs: number;
}

export interface BreakerStore {
  admit(endpointId: string): Promise<AdmitResult>;
  /**
   * A failure that says something about the endpoint, by the request of `keyId` (the caller's key id;
   * a fixed tag when there is none). Returns true when this failure opened the breaker: a closed
   * breaker opens only on failures from enough different keys (core/resilience/breaker.ts).
   */
  onFailure(endpointId: string, probe: boolean, keyId: string): Promise<boolean>;
  onSuccess(endpointId: string, probe: boolean): Promise<void>;
  /** A probe ended without saying anything about the endpoint (a 4xx, no time left): free its slot. */
  releaseProbe(endpointId: string): Promise<void>;
  view(endpointId: string): BreakerState;
}
