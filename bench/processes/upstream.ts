/**
 * The one upstream every bench target calls: the simulated OpenAI-compatible provider with its
 * model latency at 0 (it answers as soon as it has generated the reply), in its own process so
 * neither the gateway nor the load generator shares its event loop.
 *
 * Command: `pace` { chunkDelayMs } spaces stream chunks (0 = clear). The simulator's request
 * log is trimmed every second (it keeps every request otherwise).
 */
import { failChild, serveChild } from '../child';
import { startSimulatedProviders } from '../../local/providers';

export type UpstreamCommand = { cmd: 'pace'; chunkDelayMs: number } | { cmd: 'close' };

export interface UpstreamInfo {
  /** e.g. http://127.0.0.1:PORT: providers live under /<provider>/v1 */
  url: string;
  openaiBaseUrl: string;
}

async function main(): Promise<void> {
  const sim = await startSimulatedProviders({ timeScale: 0 });
  // The request log would otherwise grow by one record per request for the whole run.
  const trim = setInterval(() => sim.resetRequests(), 1_000);
  serveChild<UpstreamCommand>(
    { url: sim.url, openaiBaseUrl: sim.baseUrlFor('openai') } satisfies UpstreamInfo,
    {
      pace: ({ chunkDelayMs }) => {
        sim.clearFaults();
        if (chunkDelayMs > 0) sim.setFault({ chunkDelayMs });
      },
    },
    async () => {
      clearInterval(trim);
      await sim.close();
    },
  );
}

main().catch(failChild);
