/**
 * Writes that must survive a DynamoDB outage: settling spend into the budget ledger (or charging it
 * when no reservation could be taken), giving back reservations and concurrency leases, and the
 * usage counters. Serving while DynamoDB is down is only honest if what was served is accounted for
 * once it is back, so a write that fails because DynamoDB could not be reached (connection error,
 * throttling, 5xx) is kept in this instance's memory, in order, and replayed when DynamoDB answers
 * again (the first success after an outage, and after each response while writes are pending).
 *
 * Each kept write is one single-item update (or one settle step, which is itself safe to repeat: its
 * conditional part does nothing the second time and its fallback counts the spend). Limits, stated
 * plainly: the backlog lives in one Lambda instance, so writes kept by an instance that is recycled
 * before DynamoDB returns are lost (their reservations and leases still expire and are released by
 * the sweep and the lease reclaim); a write whose connection was cut after DynamoDB applied it is
 * replayed and counted twice (the ledger errs on the side of counting spend); past `maxEntries` new
 * writes are dropped and logged as errors.
 */
export interface WriteBacklog {
  /** Runs `write`; if DynamoDB cannot be reached, keeps it for replay and resolves. Other errors propagate. */
  run(label: string, write: () => Promise<unknown>): Promise<void>;
  /** Replays kept writes in order, stopping at the first that still fails; resolves how many are left. */
  flush(): Promise<number>;
  size(): number;
}

export interface WriteBacklogOptions {
  /** Told about every failure (the outage tracker). */
  failed: (operation: string, err: unknown) => void;
  /** Told when a replay succeeds. */
  ok: () => void;
  log: (level: 'info' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  maxEntries?: number;
}

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

/** DynamoDB did not take the write for a reason of its own (unreachable, throttled, failing), not because of the write. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  // Only the SDK's errors say anything about DynamoDB (a bug in our code has no $metadata).
  if (!e?.$metadata) return false;
  if (e.name && THROTTLING.has(e.name)) return true;
  const status = e.$metadata.httpStatusCode;
  // No status: the request never got an answer (refused, reset, timed out).
  return status === undefined || status >= 500;
}

export function createWriteBacklog(opts: WriteBacklogOptions): WriteBacklog {
  const max = opts.maxEntries ?? 10_000;
  const kept: Array<{ label: string; write: () => Promise<unknown> }> = [];
  let dropped = 0;
  let flushing: Promise<number> | null = null;

  function keep(label: string, write: () => Promise<unknown>): void {
    if (kept.length >= max) {
      dropped++;
      opts.log('error', 'DynamoDB write backlog full; dropping a write (its spend or counters are lost)', {
        operation: label,
        dropped,
        maxEntries: max,
      });
      return;
    }
    kept.push({ label, write });
  }

  async function replay(): Promise<number> {
    let replayed = 0;
    while (kept.length > 0) {
      const next = kept[0];
      try {
        await next.write();
      } catch (err) {
        if (isUnavailable(err)) {
          opts.failed(`${next.label} (replay)`, err);
          break;
        }
        // Not an availability problem: replaying it again would fail the same way.
        opts.log('error', 'DynamoDB write from the backlog failed; dropping it', {
          operation: next.label,
          error: String(err),
        });
      }
      kept.shift();
      replayed++;
    }
    if (replayed > 0) opts.log('info', 'DynamoDB write backlog replayed', { replayed, left: kept.length });
    if (kept.length === 0) opts.ok();
    return kept.length;
  }

  return {
    async run(label, write) {
      try {
        await write();
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        opts.failed(label, err);
        keep(label, write);
      }
    },
    flush() {
      if (kept.length === 0) return Promise.resolve(0);
      flushing ??= replay().finally(() => {
        flushing = null;
      });
      return flushing;
    },
    size: () => kept.length,
  };
}
