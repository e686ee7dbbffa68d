/**
 * Switchyard's local runtime as `npm start` runs it (API Gateway emulator -> REQUEST authorizer ->
 * streaming router handler, dynalite), with real upstream calls to the bench's upstream process
 * instead of in-process simulated providers, and usage counters written as on AWS. UPSTREAM_URL
 * names the upstream; BENCH_SKIP_HOLDER_WRITES=1 makes the diagnostic target (see skipHolderWrites).
 *
 * Command: `dynamo` (DynamoDB calls by operation
 * since the last call, counted at dynalite).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
  const configJson = benchConfig(upstream) as ReturnType<typeof benchConfig> & {
    sharedState?: Record<string, unknown>;
  };
  // Usage counters as on AWS (every 10 s, the schema's default), not with every request as the
  // local runtime writes them for the console: the bench measures the deployed write path.
  configJson.sharedState = { ...configJson.sharedState, usageFlushMs: 10_000 };
  if (process.env.BENCH_SKIP_HOLDER_WRITES === '1') skipHolderWrites();
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

/**
 * Diagnostic only, never a configuration: answers every holder-record write at once without sending
 * it, so the bench can show what the request path costs without the one write each request makes
 * after its response (on Lambda that write delays no other client; here it shares the event loop
 * and the two cores with the next request).
 */
function skipHolderWrites(): void {
  type Send = (command: { input?: { Key?: { pk?: { S?: string } } } }, ...rest: unknown[]) => Promise<unknown>;
  const proto = DynamoDBClient.prototype as unknown as { send: Send };
  const send = proto.send;
  proto.send = function (this: unknown, command, ...rest) {
    if (command.input?.Key?.pk?.S?.startsWith('holder#')) return Promise.resolve({});
    return send.call(this, command, ...rest);
  };
}

main().catch(failChild);
