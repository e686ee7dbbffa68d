/**
 * `npm run bench:router`: CPU per request of the router's own code (validation, token estimate,
 * plan, executor, settlement, telemetry), with every I/O port stubbed. It separates what the gateway
 * code costs from what the AWS SDK and DynamoDB cost, which `npm run bench` measures together.
 */
import { createPowertoolsTelemetry } from '../functions/adapters/telemetry/powertools-telemetry';
import { quietSink } from '../functions/adapters/telemetry/sinks';
import { createRouterApp } from '../functions/router/app';
import type { RouterDeps } from '../functions/router/deps';
import { stubDeps } from '../test/helpers/stub-deps';
import { chatEvent } from '../test/helpers/proxy-event';

const N = Number(process.env.BENCH_N ?? 3000);


async function measure(deps: RouterDeps, body: string): Promise<{ wallMs: number; cpuMs: number }> {
  const app = createRouterApp(deps);
  const once = async () => {
    const r = await app(chatEvent(body), {});
    await r.afterResponse?.();
  };
  for (let i = 0; i < Math.min(300, N); i++) await once();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await once();
  const cpu = process.cpuUsage(cpu0);
  return { wallMs: (performance.now() - t0) / N, cpuMs: (cpu.user + cpu.system) / 1000 / N };
}

async function main(): Promise<void> {
  const short = JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
  const routed = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Summarize the following notes about switchyards and railway operations in two sentences. '.repeat(20) }] });
  const { telemetry, log } = createPowertoolsTelemetry({ sink: quietSink });
  const rows: string[] = [];
  for (const [name, body] of [
    ['gpt-4.1, "hi"', short],
    ['auto, ~400-token prompt', routed],
  ] as const) {
    const bare = await measure(stubDeps(), body);
    const withTelemetry = await measure(stubDeps({ telemetry, log }), body);
    rows.push(`| ${name} | ${bare.cpuMs.toFixed(3)} | ${withTelemetry.cpuMs.toFixed(3)} |`);
  }
  console.log(`# Router code alone (${N} requests each, I/O stubbed)\n`);
  console.log('| request | CPU per request, ms | with Powertools logs + EMF, ms |');
  console.log('|:--|--:|--:|');
  for (const r of rows) console.log(r);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
