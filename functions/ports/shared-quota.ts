/**
 * Budgets, rate limits and concurrency caps shared by every router instance, in domain terms:
 * the router asks for what a request needs and gets a hold or a refusal; how quota is split,
 * sliced, stored and swept is the adapter's business (adapters/dynamo/quota/).
 */
import type { QuotaScope } from '../core/quota/scope';
import type { RecentCalls } from '../core/stats/endpoint-health';
import type { BudgetRow, UsageRow } from '../core/stats/stats-report';

export interface QuotaNeed {
  scope: QuotaScope;
  /** Units this request may use at most (its worst case). */
  amount: number;
}

export interface SlotNeed {
  model: string;
  /** The model's cross-instance cap on calls in flight. */
  cap: number;
}

export interface AdmitOptions {
  /**
   * The same caller's next admission comes before any upstream call (the caller's own limits, then
   * the candidate's budgets): what this one takes may be made durable together with that one.
   */
  anotherAdmissionFirst?: boolean;
}

/** What one admitted request holds; settle or release it exactly once. */
export interface QuotaHold {
  readonly needs: readonly QuotaNeed[];
  readonly slot?: SlotNeed;
}

export type Admission =
  | { ok: true; hold: QuotaHold }
  /** Would pass the scope's limit. `usedUnits` is what this instance knows is used (for messages). */
  | { ok: false; reason: 'refused'; scope: QuotaScope }
  /** The model's cap is reached on every shard. */
  | { ok: false; reason: 'full'; model: string }
  /** The shared store failed and this instance holds too little to decide alone (bounded mode). */
  | { ok: false; reason: 'unavailable'; what: 'budget' | 'rate' | 'concurrency' };

/** One request's counters for /v1/stats and the A/B report. */
export interface UsageRecord {
  /** `model#<id>`, `route#<name>`, `key#<id>`, `variant#<route>:<model>`. */
  dims: string[];
  ok: boolean;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
  latencyMs: number;
  /** Response cache: a hit (with what it saved: the cost of the answer when it was produced) or a miss. */
  cache?: { hit: boolean; savedMicros?: number };
  /** Time to first token (a stream's first content, else the whole request): the model row's SLO histogram. */
  firstTokenMs?: number;
  /**
   * Count requests and successes/errors only (the per-endpoint rows): each counter is one more
   * attribute in every instance's usage item, and tokens, cost and latency are on other rows.
   */
  countsOnly?: boolean;
}

/** One upstream call, for the endpoint's recent-window counters (failure rate over the breaker window). */
export interface EndpointCall {
  endpoint: string;
  /** A failure the breaker counts (429, 5xx, timeout, connection, stream). */
  fault: boolean;
  ms: number;
}

export interface SharedQuota {
  /**
   * Reserves every need (all or none) and a slot when asked. No I/O while this instance holds enough.
   * `caller` (the virtual key's id) lets the adapter keep one caller's quota together.
   */
  admit(
    needs: QuotaNeed[],
    slot: SlotNeed | undefined,
    now: number,
    caller?: string,
    opts?: AdmitOptions,
  ): Promise<Admission>;
  /** Replaces the reservations by real use (same order as `needs`) and frees the slot. In memory. */
  settle(hold: QuotaHold, actual: number[], now: number): void;
  /** Gives everything back unused (a candidate that was not called or failed before any cost). */
  release(hold: QuotaHold, now: number): void;
  /**
   * Makes use and usage durable: one write per request, awaited before the invocation ends. Never
   * throws: what cannot be written now is carried into the next write.
   */
  record(usage: UsageRecord[], now: number, calls?: EndpointCall[]): Promise<void>;
  /** Gives back slices and slots this instance no longer needs and returns expired ones of others. */
  maintain(now: number): Promise<void>;
  /** Guarantees running degraded (bounded or open) because the store failed. */
  degraded(): string[];
}

/** Usage counters per UTC day and budget figures per period (GET /v1/stats, `npm run report`). */
export interface QuotaReport {
  usage(day: string): Promise<UsageRow[]>;
  /** The daily budgets of a UTC day (`2026-12-06`). */
  budgets(day: string): Promise<BudgetRow[]>;
  /** The budgets of any period (`d2026-12-06`, `w2026-W49`, `m2026-12`, core/budget/periods.ts) as of `now`. */
  periodBudgets(period: string, now: number): Promise<BudgetRow[]>;
  /**
   * Calls per endpoint since the start of the previous breaker window (windows aligned to multiples
   * of `windowMs`), summed over every instance: the failure rate over the breaker window.
   */
  recent(now: number, windowMs: number): Promise<RecentCalls[]>;
  /**
   * A model's concurrency slots held across every instance now: calls in flight plus slots an
   * instance keeps for its next back-to-back request (at most the cap).
   */
  slotsHeld(model: string, cap: number): Promise<number>;
}

/** Gives back the slices and slots of router instances whose holder records expired (crashed or long frozen). */
export interface QuotaSweep {
  /** How many expired records were returned. */
  sweep(now: number): Promise<number>;
}
