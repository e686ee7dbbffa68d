/**
 * Switchyard's local runtime as `npm start` runs it (API Gateway emulator -> REQUEST authorizer ->
 * streaming router handler, dynalite), with real upstream calls to the bench's upstream process
 * instead of in-process simulated providers. UPSTREAM_URL names it.
 *
 * Command: `dynamo` (DynamoDB calls by operation
 * since the last call, counted at dynalite).
 */
import { benchConfig, providerKeyEnv } from '../config/bench-config';
import { failChild, serveChild } from '../child';
import { startLocalGateway } from '../../local/gateway';

export type SwitchyardCommand = { cmd: 'dynamo' } | { cmd: 'close' };

export interface SwitchyardInfo {
  chatUrl: string;
  apiKey: string;
}

async function main(): Promise<void> {
  const upstream = process.env.UPSTREAM_URL;
  if (!upstream) throw new Error('UPSTREAM_URL is not set');
  const configJson = benchConfig(upstream);
  const gw = await startLocalGateway({
    host: '127.0.0.1',
    port: 0,
    simulate: false,
    configJson,
    env: providerKeyEnv(configJson),
    // No health-check timer: its probes would add upstream load and DynamoDB writes to the numbers.
    healthCheckIntervalMs: 0,
    telemetry: 'quiet',
  });
  serveChild<SwitchyardCommand>(
    { chatUrl: `${gw.baseUrl}/chat/completions`, apiKey: gw.demoKey } satisfies SwitchyardInfo,
    {
      dynamo: () => {
        const counts = gw.dynamo.requestCounts();
        gw.dynamo.resetRequestCounts();
        return counts;
      },
    },
    () => gw.close(),
  );
}

main().catch(failChild);
