/**
 * Whether this instance can reach its shared store (DynamoDB): failures are tracked, logged once a
 * minute and reported by /health; shared state degrades the gateway, never takes it down.
 */
export interface StoreHealth {
  ok(): void;
  failed(operation: string, err: unknown): void;
  status(): { reachable: boolean; since?: string; lastError?: string; pendingWrites?: number };
}
