/** Steady client traffic through the emulator during a local cutover, counted the way clients see it. */
export interface LoadOptions {
  /** Gateway base URL without /v1. */
  url: string;
  apiKey: string;
  /** Concurrent clients, each sending one request after the other. */
  concurrency: number;
  /**
   * Chat completion bodies, picked at random: a fixed rotation could line up with the alias's exact
   * split and send the canary only one kind of request.
   */
  bodies: unknown[];
  random?: () => number;
}

export interface LoadReport {
  sent: number;
  ok: number;
  /** Answers with status >= 400 (what a client would call an error), plus transport failures. */
  errors: number;
  byStatus: Record<string, number>;
  /** A few error bodies, for the printout. */
  errorSamples: string[];
}

export interface Load {
  report(): LoadReport;
  stop(): Promise<LoadReport>;
}

export function startLoad(opts: LoadOptions): Load {
  const report: LoadReport = { sent: 0, ok: 0, errors: 0, byStatus: {}, errorSamples: [] };
  let stopping = false;
  const random = opts.random ?? Math.random;
  const one = async () => {
    const body = opts.bodies[Math.floor(random() * opts.bodies.length) % opts.bodies.length];
    report.sent++;
    let status = 'fetch_error';
    let text = '';
    try {
      const res = await fetch(`${opts.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      status = String(res.status);
      text = await res.text();
    } catch (err) {
      text = String((err as Error)?.message ?? err);
    }
    report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
    if (status.startsWith('2')) report.ok++;
    else {
      report.errors++;
      if (report.errorSamples.length < 5) report.errorSamples.push(`${status} ${text.slice(0, 300)}`);
    }
  };
  const worker = async () => {
    while (!stopping) await one();
  };
  const workers = Array.from({ length: Math.max(1, opts.concurrency) }, worker);
  return {
    report: () => report,
    async stop() {
      stopping = true;
      await Promise.all(workers);
      return report;
    },
  };
}
