/**
 * What the admin endpoints (`/v1/admin/...`) and the console read beyond the router's own deps. All
 * optional: a runtime that cannot offer one (no request log on Lambda, say) answers that plainly.
 */
import type { KeyStore } from '../../adapters/dynamo/key-store';
import type { CutoverView } from '../../core/cutover/view';

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
export type { CutoverView };

export interface AdminDeps {
  /** Key records (list, create, update, revoke, rotate). */
  keys?: KeyStore;
  /** Newest last; the local runtime keeps a bounded ring of them. */
  recentRequests?: (limit: number) => RequestLogEntry[];
  /**
   * The deployment in progress or just finished, if this runtime knows of one: the local runtime's
   * rehearsal (synchronous), or Lambda, CodeDeploy and CloudWatch on AWS (ports/cutover-status.ts).
   */
  cutover?: () => CutoverView | undefined | Promise<CutoverView | undefined>;
}
