/** The shapes of the gateway's answers the console reads (see functions/router/routes/). */
export interface ScopeStats {
  scope: string;
  kind: string;
  name: string;
  requests: number;
  successes: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  costUsd: string;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Fields added later: absent when the console talks to an older gateway. */
  avgMs?: number | null;
  p95Ms?: number | null;
  successRate?: number | null;
  costPerRequestMicros?: number | null;
  slo?: {
    tier: string | null;
    percentile: string;
    ttft: { targetMs: number; observedMs: number | null; met: boolean | null } | null;
    total: { targetMs: number; observedMs: number | null; met: boolean | null } | null;
    met: boolean | null;
  } | null;
}
export interface LiveEndpoint {
  id: string;
  model: string;
  status: string;
  breaker: { state: string; failuresInWindow: number; failureThreshold: number };
  window: { calls: number; failures: number; failureRate: number | null } | null;
  inFlight: number;
}
export interface BudgetStats {
  scope: string;
  limitUsd: string;
  spentUsd: string;
  reservedUsd: string;
  usedPercent: number | null;
}
export interface DayStats {
  day: string;
  total: ScopeStats;
  models: ScopeStats[];
  scopes: ScopeStats[];
  budgets: BudgetStats[];
}
export interface StatsReport {
  generatedAt: string;
  endpoints?: LiveEndpoint[];
  days: DayStats[];
}
export interface EndpointView {
  id: string;
  region: string | null;
  status: string;
  latencyEwmaMs: number | null;
  lastError: string | null;
  breaker: { phase: string; failures: number; sinceMs: number | null };
}
export interface ModelView {
  id: string;
  status: string;
  maxConcurrency: number | null;
  /** Slots held across the fleet now (calls in flight, plus slots kept for a next request); null: uncapped or unreadable. */
  concurrencyInUse: number | null;
  dailyBudgetUsd: number | null;
  fallbacks: string[];
  endpoints: EndpointView[];
}
export interface RouteView {
  name: string;
  description: string | null;
  intents: Record<string, string[]>;
  fallbacks: string[];
  variants: Array<{ model: string; weight: number }>;
  defaultBudgetFactor: number;
}
export interface StateView {
  generatedAt: string;
  version: string;
  config: { version: string; fingerprint: string };
  dynamo: { reachable: boolean };
  models: ModelView[];
  routes: RouteView[];
  budgets: { globalDailyUsd: number; lowFactor: number; highFactor: number };
  authorizerCacheTtlSeconds: number;
}
export interface KeyRecord {
  keyId: string;
  name: string;
  status: 'active' | 'revoked';
  admin: boolean;
  createdAt: string;
  lastUsedAt?: string;
  allowedModels?: string[];
  defaultBudgetFactor?: number;
  dailyBudgetUsd?: number;
  weeklyBudgetUsd?: number;
  monthlyBudgetUsd?: number;
  rpm?: number;
  tpm?: number;
  maxConcurrency?: number;
  validUntil?: string;
  rotatedAt?: string;
}
export interface RequestEntry {
  at: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  model?: string;
  route?: string;
  variant?: string;
  attempts?: string;
  costUsd?: string;
  overheadMs?: number;
  requestId?: string;
}
export interface CutoverView {
  state: string;
  message?: string;
  blue?: string;
  green?: string;
  weights?: Record<string, number>;
  alarms?: Array<{ id: string; state: string; green?: number; blue?: number }>;
  events?: string[];
  updatedAt?: string;
}
