/**
 * Case 4: streaming, direct vs Switchyard, one stream at a time, alternating. First with the
 * upstream sending its events back to back (time to first token), then with the upstream pacing
 * its token events a fixed interval apart (the inter-token gap, which a relay can only stretch).
 */
import { latencyHistogram } from '../histogram';
import type { HttpTarget } from '../http-load';
import { streamClient, type StreamTimings } from '../stream-probe';

export const PACE_MS = 2;

export interface StreamingResult {
  /** Unpaced upstream: time to first token. */
  burst: Map<string, StreamTimings>;
  /** Upstream paced at PACE_MS: inter-token gaps. */
  paced: Map<string, StreamTimings>;
  pacedStreams: number;
}

const empty = (): StreamTimings => ({ ttft: latencyHistogram(), gap: latencyHistogram(), ok: 0, errors: 0 });

async function alternate(targets: HttpTarget[], n: number, warmup: number): Promise<Map<string, StreamTimings>> {
  const clients = targets.map((t) => ({ t, c: streamClient(t), into: empty() }));
  try {
    for (let i = 0; i < warmup; i++) for (const { c } of clients) await c.send(empty());
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < clients.length; k++) {
        const { c, into } = clients[(i + k) % clients.length];
        await c.send(into);
      }
    }
    return new Map(clients.map(({ t, into }) => [t.label, into]));
  } finally {
    for (const { c } of clients) await c.close();
  }
}

export async function streamingCase(
  direct: HttpTarget,
  switchyard: HttpTarget,
  n: number,
  pace: (chunkDelayMs: number) => Promise<unknown>,
): Promise<StreamingResult> {
  const streamBody = (t: HttpTarget): HttpTarget => ({
    ...t,
    body: JSON.stringify({ ...JSON.parse(t.body), stream: true, stream_options: { include_usage: true } }),
  });
  const targets = [streamBody(direct), streamBody(switchyard)];
  await pace(0);
  const burst = await alternate(targets, n, 100);
  const pacedStreams = Math.max(20, Math.round(n / 5));
  await pace(PACE_MS);
  try {
    const paced = await alternate(targets, pacedStreams, 10);
    return { burst, paced, pacedStreams };
  } finally {
    await pace(0);
  }
}
