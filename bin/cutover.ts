/**
 * `npm run cutover -- --to config/green.json`: a blue-green cutover of the router, locally and
 * time-scaled, exactly as CodeDeploy runs it on AWS (see README, "Cutting over a model").
 *
 *   --to FILE           the new config (required); --from FILE the current one (default SWITCHYARD_CONFIG
 *                       or config/switchyard.json)
 *   --minute-ms N       real milliseconds per schedule minute (default 1000: a 5-minute canary takes 5 s)
 *   --fail-green N      once traffic shifts (the pre-traffic check has passed), the models only green
 *                       calls answer HTTP N (e.g. 500): the alarms roll green back
 *   --missing-green     the simulator does not know those models: the pre-traffic check refuses green
 *   --outage MODEL[:N]  once traffic shifts, MODEL answers HTTP N (default 500) for blue and green alike
 *                       (a provider incident): the alarms compare green with blue and do not roll back
 *   --concurrency N     simulated clients (default 4), calling the routes both configs share that
 *                       reach a model green adds
 *
 * Exit code 0 when the cutover completed, 1 when it was rolled back or refused, 2 on a usage error.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../functions/core/config/compile';
import { newUpstreamModels, routesUnderCutover } from '../local/cutover/config-diff';
import { formatEvent, formatOutcome } from '../local/cutover/format';
import { startLoad } from '../local/cutover/load';
import { runCutover } from '../local/cutover/run-cutover';
import { defaultConfigPath, startLocalGateway } from '../local/gateway';

const USAGE =
  'usage: npm run cutover -- --to config/green.json [--from FILE] [--minute-ms 1000] [--fail-green 500 | --missing-green] [--outage gemini-2.5-flash:500] [--concurrency 4]';

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(resolve(path), 'utf8'));
}

function positive(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

/** `--outage gemini-2.5-flash:503`: the model (any version's calls to it) fails with that status. */
function parseOutage(raw: string): { model: string; status: number } {
  const [model, status] = raw.split(':');
  if (!model) throw new Error('--outage needs a model id, e.g. --outage gemini-2.5-flash:500');
  return { model, status: positive(status, 500, 'outage status') };
}

async function main(): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: {
      to: { type: 'string' },
      from: { type: 'string' },
      'minute-ms': { type: 'string' },
      'fail-green': { type: 'string' },
      'missing-green': { type: 'boolean', default: false },
      outage: { type: 'string' },
      concurrency: { type: 'string' },
    },
  });
  if (!values.to) {
    console.error(USAGE);
    return 2;
  }
  const blueConfig = readJson(values.from ?? defaultConfigPath());
  const greenConfig = readJson(values.to);
  const minuteMs = positive(values['minute-ms'], 1000, 'minute-ms');
  const concurrency = positive(values.concurrency, 4, 'concurrency');
  const failStatus = values['fail-green'] === undefined ? undefined : positive(values['fail-green'], 500, 'fail-green');
  const outage = values.outage === undefined ? undefined : parseOutage(values.outage);

  // The simulator serves the models green adds (read per request), unless the run is about them missing.
  const added = newUpstreamModels(blueConfig, greenConfig);
  if (!values['missing-green'] && added.length) {
    const known = (process.env.SWITCHYARD_SIM_EXTRA_MODELS ?? '').split(',').filter(Boolean);
    process.env.SWITCHYARD_SIM_EXTRA_MODELS = [...new Set([...known, ...added])].join(',');
  }

  const gw = await startLocalGateway({
    port: 0,
    configJson: blueConfig,
    timeScale: 0.05,
    telemetry: 'quiet',
    healthCheckIntervalMs: 0,
  });
  const routes = routesUnderCutover(blueConfig, greenConfig);
  const load = startLoad({
    url: gw.url,
    apiKey: gw.demoKey,
    concurrency,
    bodies: (routes.length ? routes : ['gpt-4.1']).map((model) => ({
      model,
      messages: [{ role: 'user', content: 'hi' }],
    })),
  });
  try {
    console.log(
      `blue v1: ${values.from ?? 'current config'}   green v2: ${values.to}   new upstream models: ${added.join(', ') || 'none'}`,
    );
    console.log(`clients: ${concurrency} calling ${routes.join(', ')}   1 schedule minute = ${minuteMs} ms`);
    const result = await runCutover({
      gateway: gw,
      greenConfig,
      minuteMs,
      // The model breaks once it takes real traffic, after the pre-traffic check passed: the alarms' job.
      beforeFirstShift: () => {
        if (failStatus !== undefined) for (const model of added) gw.providers!.setFault({ model, status: failStatus });
        if (outage) gw.providers!.setFault(outage);
      },
      onEvent: (e) => {
        for (const line of formatEvent(e)) console.log(line);
      },
    });
    // A little traffic after the decision shows who serves it now.
    await new Promise((r) => setTimeout(r, Math.min(2_000, minuteMs)));
    const clients = await load.stop();
    console.log(formatOutcome(result));
    console.log(
      `clients saw ${clients.errors} errors in ${clients.sent} requests (${Object.entries(clients.byStatus)
        .map(([s, n]) => `${s}: ${n}`)
        .join(
          ', ',
        )}); through the alias v1 served ${result.alias.invocations('1')}, v2 served ${result.alias.invocations('2')}`,
    );
    for (const sample of clients.errorSamples) console.log(`  ${sample}`);
    return result.outcome === 'completed' ? 0 : 1;
  } finally {
    await load.stop();
    await gw.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof ConfigError ? err.message : ((err as Error)?.stack ?? String(err)));
    process.exit(2);
  },
);
