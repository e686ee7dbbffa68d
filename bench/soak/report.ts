/** Tallies of the soak's outcomes, the verdict, and the Markdown tables printed at the end. */
import type { Audit, DrainResult, MemorySample, ScopeDrift } from './protocol';
import type { Outcome } from './traffic';

export class Tally {
  sent = 0;
  byStatus = new Map<string, number>();
  byClass = new Map<string, number>();
  byKind = new Map<string, { n: number; ok: number; errors: number }>();
  retried = 0;
  fellBack = 0;
  answered2xx = 0;
  okLatencies: number[] = [];
  violations = new Map<string, { n: number; example: string }>();

  add(o: Outcome): void {
    this.sent++;
    inc(
      this.byStatus,
      o.status === 0
        ? o.cls === 'client_disconnect'
          ? 'none (client hung up)'
          : 'none (network error)'
        : String(o.status),
    );
    inc(this.byClass, o.cls);
    const k = this.byKind.get(o.kind) ?? { n: 0, ok: 0, errors: 0 };
    k.n++;
    if (o.cls === 'ok') k.ok++;
    else if (o.cls !== 'client_disconnect') k.errors++;
    this.byKind.set(o.kind, k);
    if (o.retried) this.retried++;
    if (o.fellBack) this.fellBack++;
    if (o.status >= 200 && o.status < 300) this.answered2xx++;
    if (o.cls === 'ok' && !o.kind.startsWith('get:')) this.okLatencies.push(o.ms);
    if (o.violation) {
      const key = o.violation.replace(/\d+(\.\d+)?/g, 'N').slice(0, 100);
      const v = this.violations.get(key) ?? { n: 0, example: o.violation };
      v.n++;
      this.violations.set(key, v);
    }
  }

  violationCount(): number {
    return [...this.violations.values()].reduce((s, v) => s + v.n, 0);
  }
}

function inc(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

export interface MemoryVerdict {
  baseline: MemorySample;
  end: MemorySample;
  heapGrowthMB: number;
  externalGrowthMB: number;
  /** heapUsed + external: what the process retains after GC, on and off the V8 heap. */
  retainedGrowthMB: number;
  rssGrowthMB: number;
  /** Least-squares slope of post-GC heapUsed + external over the samples after warm-up, MB per minute. */
  retainedSlopeMBPerMin: number | null;
  leak: boolean;
  reason: string;
}

const retained = (s: MemorySample) => s.heapUsedMB + s.externalMB;

/**
 * Retained memory after a forced GC (heapUsed + external), end of run against end of warm-up. A
 * leak is growth beyond `maxGrowthMB`, or (runs of 5 minutes and more) a steady climb: slope above
 * `maxSlopeMBPerMin` across the samples with growth above a quarter of the limit. RSS is reported
 * but not judged: it includes allocator caches and does not shrink reliably after a peak.
 */
export function judgeMemory(
  baseline: MemorySample,
  end: MemorySample,
  samples: MemorySample[],
  opts: { maxGrowthMB: number; maxSlopeMBPerMin: number; trafficSeconds: number },
): MemoryVerdict {
  const heapGrowthMB = end.heapUsedMB - baseline.heapUsedMB;
  const externalGrowthMB = end.externalMB - baseline.externalMB;
  const retainedGrowthMB = retained(end) - retained(baseline);
  const rssGrowthMB = end.rssMB - baseline.rssMB;
  const after = samples.filter((s) => s.t >= baseline.t);
  const retainedSlopeMBPerMin = after.length >= 4 ? slope(after.map((s) => [s.t / 60, retained(s)])) : null;
  const parts = `heap ${signed(heapGrowthMB)} MB, external ${signed(externalGrowthMB)} MB`;
  let leak = false;
  let reason = `retained memory grew ${signed(retainedGrowthMB)} MB (${parts}), limit ${opts.maxGrowthMB} MB`;
  if (retainedGrowthMB > opts.maxGrowthMB) {
    leak = true;
    reason = `retained memory grew ${fmt(retainedGrowthMB)} MB (${parts}), over the ${opts.maxGrowthMB} MB limit`;
  } else if (
    opts.trafficSeconds >= 300 &&
    retainedSlopeMBPerMin !== null &&
    retainedSlopeMBPerMin > opts.maxSlopeMBPerMin &&
    retainedGrowthMB > opts.maxGrowthMB / 4
  ) {
    leak = true;
    reason = `retained memory climbs ${fmt(retainedSlopeMBPerMin, 2)} MB/min across the samples (limit ${opts.maxSlopeMBPerMin}) and grew ${fmt(retainedGrowthMB)} MB (${parts})`;
  }
  return {
    baseline,
    end,
    heapGrowthMB,
    externalGrowthMB,
    retainedGrowthMB,
    rssGrowthMB,
    retainedSlopeMBPerMin,
    leak,
    reason,
  };
}

function signed(n: number): string {
  return `${n >= 0 ? '+' : ''}${fmt(n)}`;
}

function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

export function usd(micros: number): string {
  return `$${(micros / 1e6).toFixed(6)}`;
}

export function table(head: string[], rows: Array<Array<string | number>>): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(3, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`;
  return [line(cells[0]), sep, ...cells.slice(1).map(line)].join('\n');
}

function sorted(m: Map<string, number>): Array<[string, number]> {
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function cpuLine(r: SoakResult): string {
  const { baseline, end } = r.memory;
  const cpu = end.cpuSeconds - baseline.cpuSeconds;
  const requests = r.tally.sent - r.sentAtBaseline;
  const wall = end.t - baseline.t;
  return `${requests > 0 ? fmt((1000 * cpu) / requests) : '-'} / ${wall > 0 ? `${fmt((100 * cpu) / wall, 0)}%` : '-'}`;
}

function pct(n: number, of: number): string {
  return of === 0 ? '-' : `${((100 * n) / of).toFixed(1)}%`;
}

function quantile(sortedValues: number[], q: number): number {
  if (sortedValues.length === 0) return Number.NaN;
  const pos = (sortedValues.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sortedValues[lo] + (sortedValues[hi] - sortedValues[lo]) * (pos - lo);
}

export interface SoakResult {
  startedAt: string;
  settings: Record<string, string | number | boolean>;
  trafficSeconds: number;
  tally: Tally;
  /** Requests sent when the warm-up ended (for per-request CPU after it). */
  sentAtBaseline: number;
  /** Most router invocations running at once (after-response work included). */
  maxInFlight: number;
  faultRounds: number;
  faultCounts: Record<string, number>;
  optionalFaultFields: string[];
  dynamoFaults: string;
  audit: Audit;
  memory: MemoryVerdict;
  samples: MemorySample[];
  drainSeconds: number;
  drain: DrainResult;
  serverLog: Map<string, number>;
  failures: string[];
}

export function renderReport(r: SoakResult): string {
  const t = r.tally;
  const out: string[] = [];
  out.push(`# Soak run ${r.startedAt}`);
  out.push('');
  out.push(
    Object.entries(r.settings)
      .map(([k, v]) => `${k}=${v}`)
      .join('  '),
  );
  out.push('');

  const lat = [...t.okLatencies].sort((a, b) => a - b);
  out.push('## Traffic');
  out.push('');
  out.push(
    table(
      ['', 'value'],
      [
        ['requests sent', t.sent],
        ['requests/s', fmt(t.sent / Math.max(1, r.trafficSeconds))],
        ['answered 2xx', `${t.answered2xx} (${pct(t.answered2xx, t.sent)})`],
        [
          'ok (valid answer, stream ended with [DONE])',
          `${t.byClass.get('ok') ?? 0} (${pct(t.byClass.get('ok') ?? 0, t.sent)})`,
        ],
        ['more than one upstream attempt', `${t.retried} (${pct(t.retried, t.sent)})`],
        ['answered by a fallback model', `${t.fellBack} (${pct(t.fellBack, t.answered2xx)} of 2xx)`],
        ['ok latency p50 / p99 (ms)', `${fmt(quantile(lat, 0.5), 0)} / ${fmt(quantile(lat, 0.99), 0)}`],
        ['gateway process CPU after warm-up: per request (ms) / utilisation', cpuLine(r)],
        ['router invocations running at once, max (after-response work included)', r.maxInFlight],
        [
          'fault rounds',
          `${r.faultRounds}${r.optionalFaultFields.length ? ` (newer fields: ${r.optionalFaultFields.join(', ')})` : ''}`,
        ],
        ['DynamoDB faults', r.dynamoFaults],
      ],
    ),
  );
  out.push('');
  out.push('### Answers by status');
  out.push('');
  out.push(
    table(
      ['status', 'requests', 'share'],
      sorted(t.byStatus).map(([k, v]) => [k, v, pct(v, t.sent)]),
    ),
  );
  out.push('');
  out.push('### Outcomes by class');
  out.push('');
  out.push(
    '`<status> <code>`: the OpenAI error code the gateway answered; `stream:<code>`: the terminal error event of a stream that had started; `net:<code>`: no HTTP answer; `client_disconnect`: the soak hung up on purpose.',
  );
  out.push('');
  out.push(
    table(
      ['class', 'requests', 'share'],
      sorted(t.byClass).map(([k, v]) => [k, v, pct(v, t.sent)]),
    ),
  );
  out.push('');
  out.push('### By request kind');
  out.push('');
  out.push(
    table(
      ['kind', 'requests', 'ok', 'errors'],
      [...t.byKind.entries()].sort((a, b) => b[1].n - a[1].n).map(([k, v]) => [k, v.n, v.ok, v.errors]),
    ),
  );
  out.push('');
  out.push('### Faults injected (upstream)');
  out.push('');
  out.push(
    table(
      ['fault', 'times set'],
      Object.entries(r.faultCounts).sort((a, b) => b[1] - a[1]),
    ),
  );
  out.push('');

  out.push('## Budget ledger vs usage rows');
  out.push('');
  const backlog =
    r.drain.backlogAtIdle > 0
      ? `; ${r.drain.backlogAtIdle} DynamoDB writes kept by the router during faults were replayed, ${r.drain.backlogAfterFlush} left`
      : '';
  out.push(
    `After traffic stopped and every router invocation returned (drain ${fmt(r.drainSeconds)} s${r.drain.idle ? '' : ', TIMED OUT'}${backlog}); days ${r.audit.days.join(', ')}.`,
  );
  out.push('');
  out.push(
    table(
      ['scope', 'ledger spent', 'usage cost', 'drift', 'reserved', 'open reservations'],
      r.audit.scopes.map((s: ScopeDrift) => [
        s.scope,
        usd(s.ledgerSpentMicros),
        usd(s.usageCostMicros),
        String(s.driftMicros),
        String(s.reservedMicros),
        s.openReservations,
      ]),
    ),
  );
  out.push('');
  out.push(
    `Drift in micro-dollars = ledger spent - usage cost (global: every \`model#\` usage row). Usage rows count ${r.audit.usageRequests} chat requests; the router saw ${r.audit.invocations} invocations.`,
  );
  out.push('');
  out.push(
    table(
      ['lease', 'inflight', 'holders'],
      r.audit.leases.map((l) => [l.model, l.inflight, l.holders]),
    ),
  );
  out.push('');

  out.push('## Memory of the gateway process');
  out.push('');
  const m = r.memory;
  out.push(
    table(
      [
        '',
        't (s)',
        'RSS (MB)',
        'heapUsed (MB)',
        'external (MB)',
        'retained = heapUsed + external (MB)',
        'heapTotal (MB)',
      ],
      [
        [
          'end of warm-up',
          fmt(m.baseline.t),
          fmt(m.baseline.rssMB),
          fmt(m.baseline.heapUsedMB),
          fmt(m.baseline.externalMB),
          fmt(retained(m.baseline)),
          fmt(m.baseline.heapTotalMB),
        ],
        [
          'end (drained)',
          fmt(m.end.t),
          fmt(m.end.rssMB),
          fmt(m.end.heapUsedMB),
          fmt(m.end.externalMB),
          fmt(retained(m.end)),
          fmt(m.end.heapTotalMB),
        ],
        [
          'growth',
          '',
          signed(m.rssGrowthMB),
          signed(m.heapGrowthMB),
          signed(m.externalGrowthMB),
          signed(m.retainedGrowthMB),
          signed(m.end.heapTotalMB - m.baseline.heapTotalMB),
        ],
      ],
    ),
  );
  out.push('');
  out.push(
    `Samples after GC (t s: heapUsed MB / external MB / RSS MB / router invocations running): ${r.samples.map((s) => `${fmt(s.t, 0)}: ${fmt(s.heapUsedMB)}/${fmt(s.externalMB)}/${fmt(s.rssMB, 0)}/${s.inFlight}`).join(', ')}`,
  );
  out.push('');
  out.push(
    `Memory after a forced GC in the gateway process. Slope of retained memory after warm-up: ${m.retainedSlopeMBPerMin === null ? 'n/a (too few samples)' : `${fmt(m.retainedSlopeMBPerMin, 2)} MB/min`}; ${m.reason}.`,
  );
  out.push('');

  if (r.serverLog.size > 0) {
    out.push('## Gateway warnings and errors (stderr of the gateway process)');
    out.push('');
    out.push(table(['message', 'lines'], sorted(r.serverLog).slice(0, 20)));
    out.push('');
  }
  if (t.violations.size > 0) {
    out.push('## Contract violations');
    out.push('');
    out.push(
      table(
        ['violation', 'requests', 'example'],
        [...t.violations.entries()].map(([k, v]) => [k, v.n, v.example.slice(0, 140)]),
      ),
    );
    out.push('');
  }

  out.push('## Verdict');
  out.push('');
  const drift = r.audit.scopes.reduce((s, x) => s + Math.abs(x.driftMicros), 0);
  const outstanding = r.audit.scopes.reduce((s, x) => s + x.openReservations, 0);
  const leases = r.audit.leases.reduce((s, l) => s + l.inflight + l.holders, 0);
  out.push(
    `${r.failures.length === 0 ? 'PASS' : 'FAIL'}: ${t.sent} requests, drift ${drift} micro-USD, ${outstanding} open reservations, ${leases} lease slots held, ` +
      `retained memory ${signed(m.retainedGrowthMB)} MB (heap ${signed(m.heapGrowthMB)}, external ${signed(m.externalGrowthMB)}), ${t.violationCount()} contract violations` +
      (r.failures.length ? `\n- ${r.failures.join('\n- ')}` : ''),
  );
  return out.join('\n') + '\n';
}
