/**
 * `npm start`: the whole gateway on this machine, no AWS account, no Docker.
 *   PORT=8787  SWITCHYARD_CONFIG=config/switchyard.json
 *   --fast        simulated providers answer ~50x faster
 *   --real        call the configured upstreams instead of the simulated providers (keys from env/.env);
 *                 binds 127.0.0.1 only, refuses foreign Host and browser Origin headers, and creates
 *                 no demo key (create one with `npm run keys`, or pass --demo-key)
 *   --demo-key    with --real: create the well-known demo key anyway
 *   --data-dir D  keep DynamoDB data on disk in D
 *   --dynamodb-endpoint URL  use this DynamoDB (DynamoDB Local, or AWS with --region and the usual
 *                 credentials) instead of the embedded one; env SWITCHYARD_DYNAMODB_ENDPOINT.
 *                 Tables are created if missing. --table-prefix P names them P<state|cost|keys>.
 *   --x-api-key   also accept the key in `x-api-key` (the stack's keyHeaderMode authorization-or-x-api-key)
 *   --json        one JSON log line per request instead of the readable form
 *   --emf         also print the router's Powertools JSON logs and EMF metric lines, as on Lambda
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../functions/core/config/compile';
import { formatRequestLog } from '../local/request-log';
import { startLocalGateway } from '../local/gateway';
import { KEYS_TABLE, tableName } from '../functions/contracts/table-specs';

async function main(): Promise<void> {
  // The SDK warns that Node 20 support ends in 2027; the deployed runtime is nodejs22.x already.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: {
      fast: { type: 'boolean', default: false },
      real: { type: 'boolean', default: false },
      'demo-key': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      'dynamodb-endpoint': { type: 'string' },
      region: { type: 'string' },
      'table-prefix': { type: 'string' },
      'x-api-key': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      emf: { type: 'boolean', default: false },
      port: { type: 'string' },
      config: { type: 'string' },
    },
  });
  if (existsSync('.env')) process.loadEnvFile('.env');
  const port = Number(values.port || process.env.PORT || 8787);
  const real = values.real === true;
  const demoKey = !real || values['demo-key'] === true;
  const gw = await startLocalGateway({
    port,
    // Real upstreams spend real money: this machine's own non-browser clients only.
    ...(real ? { host: '127.0.0.1', loopbackClientsOnly: true } : {}),
    demoKey,
    configPath: values.config || process.env.SWITCHYARD_CONFIG || undefined,
    simulate: !values.real,
    timeScale: values.fast ? 0.02 : 1,
    dataDir: values['data-dir'],
    dynamodbEndpoint: values['dynamodb-endpoint'] || process.env.SWITCHYARD_DYNAMODB_ENDPOINT || undefined,
    region: values.region,
    tablePrefix: values['table-prefix'] || process.env.SWITCHYARD_TABLE_PREFIX || undefined,
    keyHeaderMode: values['x-api-key'] ? 'authorization-or-x-api-key' : 'authorization',
    onRequest: (log) => console.log(formatRequestLog(log, values.json ? 'json' : 'text')),
    telemetry: values.emf ? 'emf' : 'quiet',
  });
  const keysTable = tableName(KEYS_TABLE, gw.env);
  const key = demoKey ? gw.demoKey : '<your key>';
  const curl = `curl -s ${gw.baseUrl}/chat/completions -H "Authorization: Bearer ${key}" -H "content-type: application/json" -d '{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]}'`;
  console.log(
    [
      '',
      `  Switchyard is running at ${gw.url}  (OpenAI base URL: ${gw.baseUrl})`,
      `  upstreams: ${gw.providers ? `simulated at ${gw.providers.url}${values.fast ? ' (fast)' : ''}` : 'real (from the config)'}`,
      demoKey
        ? `  demo API key: ${gw.demoKey}   (an admin key)`
        : `  no demo key (--real): npm run keys -- create --name me --endpoint ${gw.dynamo.endpoint}`,
      `  console: ${gw.url}/console   (sign in with an admin key)`,
      `  DynamoDB: ${gw.dynamo.endpoint}${gw.external ? ` (tables ${gw.external.map((t) => `${t.name}${t.created ? ' created' : ''}`).join(', ')})` : ''}`,
      `  manage keys: npm run keys -- list --endpoint ${gw.dynamo.endpoint}${keysTable === 'switchyard-keys' ? '' : ` --table ${keysTable}`}${values.region ? ` --region ${values.region}` : ''}`,
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
