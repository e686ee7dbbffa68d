/**
 * `npm start`: the whole gateway on this machine, no AWS account, no Docker.
 *   PORT=8787  SWITCHYARD_CONFIG=config/switchyard.json
 *   --fast        simulated providers answer ~50x faster
 *   --real        call the configured upstreams instead of the simulated providers (keys from env/.env)
 *   --data-dir D  keep DynamoDB data on disk in D
 *   --x-api-key   also accept the key in `x-api-key` (the stack's keyHeaderMode authorization-or-x-api-key)
 *   --json        one JSON log line per request instead of the readable form
 *   --emf         also print the router's Powertools JSON logs and EMF metric lines, as on Lambda
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../functions/core/config/compile';
import { formatRequestLog } from '../local/request-log';
import { startLocalGateway } from '../local/gateway';

async function main(): Promise<void> {
  // The SDK warns that Node 20 support ends in 2027; the deployed runtime is nodejs22.x already.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: {
      fast: { type: 'boolean', default: false },
      real: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      'x-api-key': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      emf: { type: 'boolean', default: false },
      port: { type: 'string' },
      config: { type: 'string' },
    },
  });
  if (existsSync('.env')) process.loadEnvFile('.env');
  const port = Number(values.port || process.env.PORT || 8787);
  const gw = await startLocalGateway({
    port,
    configPath: values.config || process.env.SWITCHYARD_CONFIG || undefined,
    simulate: !values.real,
    timeScale: values.fast ? 0.02 : 1,
    dataDir: values['data-dir'],
    keyHeaderMode: values['x-api-key'] ? 'authorization-or-x-api-key' : 'authorization',
    onRequest: (log) => console.log(formatRequestLog(log, values.json ? 'json' : 'text')),
    telemetry: values.emf ? 'emf' : 'quiet',
  });
  const curl = `curl -s ${gw.baseUrl}/chat/completions -H "Authorization: Bearer ${gw.demoKey}" -H "content-type: application/json" -d '{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]}'`;
  console.log(
    [
      '',
      `  Switchyard is running at ${gw.url}  (OpenAI base URL: ${gw.baseUrl})`,
      `  upstreams: ${gw.providers ? `simulated at ${gw.providers.url}${values.fast ? ' (fast)' : ''}` : 'real (from the config)'}`,
      `  demo API key: ${gw.demoKey}   (an admin key)`,
      `  console: ${gw.url}/console   (sign in with the demo key)`,
      `  DynamoDB: ${gw.dynamo.endpoint}   manage keys: npm run keys -- list --endpoint ${gw.dynamo.endpoint}`,
      '',
      `  ${curl}`,
      '',
      gw.providers
        ? `  inject a fault: curl -s -X POST ${gw.providers.url}/_admin/faults -d '{"model":"gpt-4.1","status":503,"times":1}'`
        : '',
      '  Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  const stop = async () => {
    await gw.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(`Switchyard failed to start: ${(err as Error)?.message ?? err}`);
  process.exit(1);
});
