/**
 * Random upstream faults through the simulated providers' fault API (`/_admin/faults`), replaced
 * every few seconds: error statuses (with and without Retry-After), latency, hangs, cut, malformed
 * and stalled streams, slow streams, and whatever newer fault fields the simulator accepts
 * (feature-detected at start). Some rounds are calm, so breakers and health recover in between.
 */
import type { ServerInfo } from './protocol';
import type { Rng } from './random';

type Spec = Record<string, string | number | boolean>;

/**
 * Fault fields newer than the README's list, with a sample value: used when the simulator accepts
 * them (a probe fault with `times: 0` never fires), skipped otherwise.
 */
const OPTIONAL_FIELDS: Array<{ field: string; sample: Spec; make: (rng: Rng) => Spec }> = [
  { field: 'reset', sample: { reset: true }, make: (r) => ({ reset: true, times: r.int(1, 4) }) },
  // Around the soak config's bodyIdleTimeoutMs (2 s): some slow bodies are waited for, some time out.
  {
    field: 'slowBodyMs',
    sample: { slowBodyMs: 1 },
    make: (r) => ({ slowBodyMs: r.int(100, 2_600), times: r.int(1, 3) }),
  },
  { field: 'bodyCut', sample: { bodyCut: true }, make: () => ({ bodyCut: true }) },
  { field: 'malformedBody', sample: { malformedBody: true }, make: () => ({ malformedBody: true }) },
  {
    field: 'contentType',
    sample: { contentType: 'text/plain' },
    make: (r) => ({ contentType: r.pick(['text/html; charset=utf-8', 'application/json', 'text/plain']) }),
  },
];

export interface FaultScheduler {
  /** Replaces the active faults with a fresh random set; returns a one-line description. */
  next(): Promise<string>;
  clear(): Promise<void>;
  /** Fault kinds injected so far, by name. */
  counts: Record<string, number>;
  /** Newer fault fields the simulator accepted. */
  optional: string[];
}

async function post(simUrl: string, spec: Spec): Promise<boolean> {
  const res = await fetch(`${simUrl}/_admin/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  await res.arrayBuffer();
  return res.ok;
}

export async function createFaultScheduler(info: ServerInfo, rng: Rng): Promise<FaultScheduler> {
  const optional: typeof OPTIONAL_FIELDS = [];
  for (const f of OPTIONAL_FIELDS) {
    if (await post(info.simUrl, { model: '__soak_probe__', times: 0, ...f.sample })) optional.push(f);
  }
  const counts: Record<string, number> = {};

  const kinds: Array<readonly [number, (rng: Rng) => [string, Spec]]> = [
    [
      5,
      (r) => {
        const status = r.pick([500, 502, 503]);
        return [`status ${status}`, { status }];
      },
    ],
    [2, (r) => ['status 503 x N', { status: 503, times: r.int(1, 6) }]],
    [3, () => ['429', { status: 429 }]],
    [
      2,
      (r) => ['429 Retry-After', { status: 429, retryAfter: r.pick(['0', '1', '2', 'Wed, 21 Oct 2015 07:28:00 GMT']) }],
    ],
    [3, (r) => ['latency', { latencyMs: r.int(50, 1_500) }]],
    [1, () => ['latency past headers timeout', { latencyMs: 3_500, times: 2 }]],
    [2, (r) => ['hang', { hang: true, times: r.int(1, 3) }]],
    [3, (r) => ['stream cut', { streamCutAfterChunks: r.int(0, 6) }]],
    [2, (r) => ['malformed SSE', { malformedAfterChunks: r.int(0, 6) }]],
    [2, (r) => ['stream stall', { stallAfterChunks: r.int(0, 6), times: r.int(1, 3) }]],
    [1, (r) => ['slow stream', { chunkDelayMs: r.int(20, 120), times: r.int(1, 4) }]],
    ...optional.map((f) => [2, (r: Rng) => [f.field, f.make(r)] as [string, Spec]] as const),
  ];

  /**
   * A provider-wide outage spanning several rounds: long enough for the health check to mark its
   * endpoints down (failuresToDown probes) and, once over, up again.
   */
  let outage: { provider: string; roundsLeft: number } | undefined;

  async function next(): Promise<string> {
    await clear();
    const parts: string[] = [];
    if (!outage && rng.chance(0.06)) {
      outage = { provider: rng.pick(info.models).provider, roundsLeft: rng.int(3, 5) };
      counts['provider outage (several rounds)'] = (counts['provider outage (several rounds)'] ?? 0) + 1;
    }
    if (outage) {
      if (await post(info.simUrl, { provider: outage.provider, status: 503 }))
        parts.push(`provider outage @ ${outage.provider}`);
      if (--outage.roundsLeft <= 0) outage = undefined;
    }
    if (rng.chance(0.25)) return parts.length ? parts.join(', ') : 'calm';
    for (
      let i = rng.weighted([
        [3, 1],
        [2, 2],
        [1, 3],
      ]);
      i > 0;
      i--
    ) {
      const target = rng.pick(info.models);
      const [name, spec] = rng.weighted(kinds)(rng);
      // Mostly one model; now and then the provider as well (its health probe then fails too),
      // or every upstream at once.
      const scope = rng.weighted<Spec>([
        [16, { model: target.upstream }],
        [4, { provider: target.provider, model: target.upstream }],
        [1, {}],
      ]);
      const full = { ...scope, ...spec };
      if (await post(info.simUrl, full)) {
        counts[name] = (counts[name] ?? 0) + 1;
        parts.push(`${name} @ ${full.model ?? 'all'}`);
      }
    }
    return parts.join(', ');
  }

  async function clear(): Promise<void> {
    const res = await fetch(`${info.simUrl}/_admin/faults`, { method: 'DELETE' });
    await res.arrayBuffer();
  }

  return { next, clear, counts, optional: optional.map((f) => f.field) };
}
