/**
 * What the admin endpoints (`/v1/admin/...`) and the console read beyond the router's own deps. All
 * optional: a runtime that cannot offer one (no request log on Lambda, say) answers that plainly.
 */
import type { KeyStore } from '../../adapters/dynamo/key-store';

/** One finished request as the local runtime's request log saw it (no key, no body). */
export interface RequestLogEntry {
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

/** A deployment in progress (or the last one), as the cutover view shows it. */
export interface CutoverView {
  state: 'in_progress' | 'completed' | 'rolled_back' | 'refused';
  blue: string;
  green: string;
  /** Version -> percent of traffic on the `live` alias. */
  weights: Record<string, number>;
  alarms: Array<{ id: string; state: string; green?: number; blue?: number }>;
  events: string[];
  updatedAt: string;
}

export interface AdminDeps {
  /** Key records (list, create, update, revoke, rotate). */
  keys?: KeyStore;
  /** Newest last; the local runtime keeps a bounded ring of them. */
  recentRequests?: (limit: number) => RequestLogEntry[];
  /** The deployment in progress or just finished, if this runtime knows of one. */
  cutover?: () => CutoverView | undefined;
}
