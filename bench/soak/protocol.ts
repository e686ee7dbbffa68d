/**
 * What the soak driver (bench/soak.ts) and the system under test (bench/soak/server.ts, a child
 * process) say to each other over IPC.
 */

export interface SoakKeys {
  /** The demo key: admin, no limits. */
  admin: string;
  /** A key with a small daily budget: its ledger fills up during a long run (429 insufficient_quota). */
  budget: string;
  /** A key with a low RPM and a short model allow-list (429 rate_limit_exceeded, 403 model_not_allowed). */
  limited: string;
  /** The models and routes `limited` may call. */
  limitedModels: string[];
}

export interface ServerInfo {
  /** The API Gateway emulator, e.g. http://127.0.0.1:PORT (paths start with /v1). */
  url: string;
  /** The simulated providers (fault API at /_admin/faults). */
  simUrl: string;
  keys: SoakKeys;
  /** Public model ids and their upstream names (faults are addressed by upstream name). */
  models: Array<{ id: string; upstream: string; provider: string }>;
  routes: string[];
  timeScale: number;
  /** The DynamoDB fault proxy is wired (local/dynamo-faults.ts existed when the server started). */
  dynamoFaults: boolean;
  pid: number;
}

export interface MemorySample {
  /** Seconds since the gateway process was ready. */
  t: number;
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
  arrayBuffersMB: number;
  /** Router invocations running when the sample was taken. */
  inFlight: number;
  /** CPU time the gateway process used since it started (user + system), seconds. */
  cpuSeconds: number;
}

export interface ScopeDrift {
  /** `global`, `key#...`, `model#...` */
  scope: string;
  /** Settled spend in the ledger (all shards of the scope, all days of the run). */
  ledgerSpentMicros: number;
  /** Sum of the matching usage rows' cost (for `global`: every `model#` row). */
  usageCostMicros: number;
  driftMicros: number;
  /** committed - spent: money still held by open reservations. */
  reservedMicros: number;
  /** `r_<request>` attributes still present. */
  openReservations: number;
}

export interface LeaseState {
  model: string;
  inflight: number;
  holders: number;
}

export interface Audit {
  days: string[];
  scopes: ScopeDrift[];
  leases: LeaseState[];
  /** Usage rows: requests counted per model (success + error), for the report. */
  usageRequests: number;
  usageCostMicros: number;
  /** Router invocations still running at audit time (should be 0 after drain). */
  inFlight: number;
  /** Router invocations the server saw in total. */
  invocations: number;
}

/**
 * DynamoDB faults through the fault proxy (local/dynamo-faults.ts), lifted by the server after `ms`:
 * `throttle` answers a `fraction` of calls (optionally of some operations only) with
 * ProvisionedThroughputExceededException; `unreachable` closes the listener and cuts open connections.
 */
export type DynamoFaultCommand =
  | { kind: 'throttle'; fraction: number; ms: number; operations?: string[] }
  | { kind: 'unreachable'; ms: number }
  | { kind: 'clear' };

export interface DrainResult {
  /** Every router invocation returned within the timeout. */
  idle: boolean;
  /** DynamoDB writes the router kept for replay (write backlog) when the invocations had returned. */
  backlogAtIdle: number;
  /** Left after replaying them (must be 0 for the audit to mean anything). */
  backlogAfterFlush: number;
}

/** The driver's commands (bench/child.ts adds the id and carries the replies). */
export type Command =
  | { cmd: 'memory'; gc: boolean }
  | { cmd: 'audit' }
  | { cmd: 'drain'; timeoutMs: number }
  | { cmd: 'dynamoFault'; fault: DynamoFaultCommand }
  | { cmd: 'close' };

/** Pushed whenever the number of running router invocations changes (the driver's back-pressure). */
export type Push = { inFlight: number };
