/**
 * `npm run keys -- <command>`: manage virtual API keys in the keys table, locally or on AWS.
 * The logic lives here (exported for tests); bin/keys.ts is the entry point.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseArgs } from 'node:util';
import { isLoopbackEndpoint, LOCAL_CREDENTIALS } from '../functions/adapters/dynamo/client';
import { KEYS_TABLE } from '../functions/contracts/table-specs';
import {
  keyFieldProblems,
  keyUpdateProblems,
  parseDuration,
  type KeyLimits,
  type KeyRecord,
  type KeyUpdate,
} from '../functions/core/keys';
import { AdminApiError, adminApiBase, dynamoKeyAdmin, httpKeyAdmin, type KeyAdmin } from './keys-admin';

/** Where `--api` mode reads the admin key: never a flag, which would land in shell history and `ps`. */
export const ADMIN_KEY_ENV = 'SWITCHYARD_ADMIN_KEY';

export const KEYS_USAGE = `Usage: npm run keys -- <command> [options] <target>

Commands:
  create --name NAME [--admin] [--models a,b] [--rpm N] [--tpm N] [--daily-budget USD] [--weekly-budget USD]
         [--monthly-budget USD] [--budget-factor F] [--max-concurrency N] [--cache-ttl SECONDS] [--expires-in DURATION]
                      create a key and print it (once: only its hash is stored)
  update KEY_ID [--models a,b] [--rpm N] [--tpm N] [--daily-budget USD] [--weekly-budget USD]
         [--monthly-budget USD] [--budget-factor F] [--max-concurrency N] [--cache-ttl SECONDS] [--expires-in DURATION]
                      change a key's limits; the value "none" clears one (e.g. --rpm none, --expires-in none)
  rotate KEY_ID [--grace DURATION]
                      print a new secret for the key (once); the old one keeps working for the grace
                      period (default 24h; 0s = stops at once), then is refused
  list [--json]       every key: id, name, status, last use, limits
  show KEY_ID         one key's record
  revoke KEY_ID       revoke a key (every secret of it)

DURATION is a whole number with s, m, h or d: 90s, 15m, 24h, 30d.
--models lists model, route or alias names, or prefixes ending in * (gpt-4*, claude-sonnet-4-5*); every
model a request may reach (fallbacks, an alias's target, a route's models) is checked against the list.
Budgets are in US dollars per UTC day, ISO week (Monday 00:00 UTC) and calendar month (UTC).
Every change (revoke, update, rotate's end of grace, expiry) reaches requests within the authorizer
cache TTL: the routing config's gateway.authorizerCacheTtlSeconds (60 s by default), which the
deployed stack and the local runtime both use.

Target (one of):
  --api URL           the gateway's admin endpoints over HTTPS (/v1/admin/keys): the deployed stack's
                      ApiUrl output (https://<api>/prod/v1, or without /v1) or the local runtime's URL;
                      the admin key from env ${ADMIN_KEY_ENV} (never a flag). No AWS credentials needed.
  --endpoint URL      the local runtime's DynamoDB (npm start prints it); table default switchyard-keys
  --table NAME        the deployed keys table (or env ${KEYS_TABLE.envVar}); AWS credentials and region
                      from the usual AWS environment/profile, or --region. Find the name with:
                        aws cloudformation describe-stacks --stack-name Switchyard \\
                          --query "Stacks[0].Outputs[?OutputKey=='KeysTableName'].OutputValue" --output text
`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /** Clock for --expires-in and --grace (tests). */
  now?: () => number;
}

class UsageError extends Error {}

const parseKeysArgs = (argv: string[]) =>
  parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      api: { type: 'string' },
      endpoint: { type: 'string' },
      table: { type: 'string' },
      region: { type: 'string' },
      name: { type: 'string' },
      admin: { type: 'boolean', default: false },
      models: { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      'daily-budget': { type: 'string' },
      'weekly-budget': { type: 'string' },
      'monthly-budget': { type: 'string' },
      'budget-factor': { type: 'string' },
      'max-concurrency': { type: 'string' },
      'cache-ttl': { type: 'string' },
      'expires-in': { type: 'string' },
      grace: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

/** Runs one command; resolves to the process exit code. */
export async function runKeysCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseKeysArgs>;
  try {
    parsed = parseKeysArgs(argv);
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${KEYS_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, id] = positionals;
  if (values.help || !command) {
    (values.help ? io.out : io.err)(KEYS_USAGE);
    return values.help ? 0 : 2;
  }

  let target: Target;
  try {
    target = resolveTarget(values, io.env);
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${KEYS_USAGE}`);
    return 2;
  }
  const now = io.now ?? Date.now;
  const ddb = target.api ? undefined : dynamoClient(target, io.env);
  const keys: KeyAdmin = target.api
    ? httpKeyAdmin({ baseUrl: target.api, adminKey: target.adminKey!, now })
    : dynamoKeyAdmin(ddb!, target.table, now);
  try {
    switch (command) {
      case 'create': {
        const fields = { name: values.name ?? '', admin: values.admin, ...limitsFrom(values, now()) };
        const problems = keyFieldProblems(fields);
        if (problems.length) throw new UsageError(`invalid key: ${problems.join('; ')}`);
        const { record, secret: apiKey } = await keys.create(fields);
        io.out(`Created ${record.keyId} (${record.name})${record.admin ? ' [admin]' : ''}.`);
        io.out('API key (shown only now; store it, it cannot be recovered):');
        io.out(`  ${apiKey}`);
        io.out(describe(record));
        return 0;
      }
      case 'list': {
        const all = await keys.list();
        if (values.json) io.out(JSON.stringify(all, null, 2));
        else io.out(table(all));
        return 0;
      }
      case 'show': {
        if (!id) throw new UsageError('show needs a key id (key_...)');
        const record = await keys.show(id);
        if (!record) {
          io.err(`No key with id ${id}.`);
          return 1;
        }
        io.out(JSON.stringify(record, null, 2));
        return 0;
      }
      case 'update': {
        if (!id) throw new UsageError('update needs a key id (key_...)');
        const changes = updateFrom(values, now());
        const problems = keyUpdateProblems(changes);
        if (problems.length) throw new UsageError(`invalid update: ${problems.join('; ')}`);
        const record = await keys.update(id, changes);
        if (!record) {
          io.err(`No key with id ${id}.`);
          return 1;
        }
        io.out(`Updated ${id}. Requests see the new limits within the authorizer cache TTL.`);
        io.out(describe(record));
        return 0;
      }
      case 'rotate': {
        if (!id) throw new UsageError('rotate needs a key id (key_...)');
        const graceMs = values.grace === undefined ? 24 * 3_600_000 : duration('grace', values.grace);
        const rotated = await keys.rotate(id, graceMs);
        if (!rotated) {
          io.err(`No active key with id ${id}.`);
          return 1;
        }
        const { secret: apiKey, graceUntil } = rotated;
        io.out(`Rotated ${id}. New API key (shown only now; store it, it cannot be recovered):`);
        io.out(`  ${apiKey}`);
        io.out(
          `The previous secret keeps working until ${graceUntil}, then is refused (within the authorizer cache TTL).`,
        );
        return 0;
      }
      case 'revoke': {
        if (!id) throw new UsageError('revoke needs a key id (key_...)');
        if (!(await keys.revoke(id))) {
          io.err(`No key with id ${id}.`);
          return 1;
        }
        io.out(
          `Revoked ${id}. Requests with it are refused once the authorizer cache (gateway.authorizerCacheTtlSeconds, 60 s by default) expires.`,
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n\n${KEYS_USAGE}`);
      return 2;
    }
    if (e instanceof AdminApiError) {
      io.err(`keys ${command} failed: ${e.message}`);
      return 1;
    }
    const name = (e as Error)?.name;
    io.err(
      name === 'ResourceNotFoundException'
        ? `Table ${target.table} not found${target.endpoint ? ` at ${target.endpoint}` : ''}.`
        : `keys ${command} failed: ${(e as Error)?.message ?? e}`,
    );
    return 1;
  } finally {
    ddb?.destroy();
  }
}

export interface Target {
  table: string;
  endpoint?: string;
  region?: string;
  /** `--api`: the gateway's base URL (no trailing /v1) and the admin key to call it with. */
  api?: string;
  adminKey?: string;
}

function resolveTarget(
  values: { api?: string; endpoint?: string; table?: string; region?: string },
  env: NodeJS.ProcessEnv,
): Target {
  if (values.api !== undefined) {
    if (values.endpoint !== undefined || values.table !== undefined)
      throw new Error('--api talks to the gateway; give it alone, without --endpoint or --table.');
    const adminKey = env[ADMIN_KEY_ENV]?.trim();
    if (!adminKey) throw new Error(`--api needs an admin key in the environment: ${ADMIN_KEY_ENV}=sk-sy-...`);
    return { table: '', api: adminApiBase(values.api), adminKey };
  }
  const endpoint = values.endpoint ?? env.SWITCHYARD_DYNAMODB_ENDPOINT;
  const table = values.table ?? env[KEYS_TABLE.envVar] ?? (endpoint ? `switchyard-${KEYS_TABLE.name}` : undefined);
  if (!table)
    throw new Error(
      `Say which keys table: --endpoint URL (local runtime) or --table NAME / ${KEYS_TABLE.envVar} (deployed stack).`,
    );
  return { table, endpoint, region: values.region };
}

function dynamoClient(target: Target, env: NodeJS.ProcessEnv): DynamoDBClient {
  if (target.endpoint) {
    // Fake credentials only for a loopback endpoint, as the handlers do (functions/adapters/dynamo/client.ts).
    return new DynamoDBClient({
      endpoint: target.endpoint,
      region: target.region ?? env.AWS_REGION ?? 'us-east-1',
      ...(isLoopbackEndpoint(target.endpoint) ? { credentials: LOCAL_CREDENTIALS } : {}),
      maxAttempts: 1,
    });
  }
  // Region: --region, else the SDK's own chain (AWS_REGION, profile).
  const region = target.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return new DynamoDBClient(region ? { region } : {});
}

function number(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got "${v}"`);
  return n;
}

function duration(flag: string, v: string): number {
  const ms = parseDuration(v);
  if (ms === undefined) throw new UsageError(`--${flag} must be a duration such as 90s, 15m, 24h or 30d, got "${v}"`);
  return ms;
}

function modelList(v: string): string[] {
  return v
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
}

const LIMIT_FLAGS = {
  rpm: 'rpm',
  tpm: 'tpm',
  'daily-budget': 'dailyBudgetUsd',
  'weekly-budget': 'weeklyBudgetUsd',
  'monthly-budget': 'monthlyBudgetUsd',
  'budget-factor': 'defaultBudgetFactor',
  'max-concurrency': 'maxConcurrency',
  'cache-ttl': 'cacheTtlSeconds',
} as const;

function limitsFrom(values: Record<string, string | boolean | undefined>, nowMs: number): KeyLimits {
  const models = typeof values.models === 'string' ? modelList(values.models) : undefined;
  const limits: KeyLimits = { allowedModels: models?.length ? models : undefined };
  for (const [flag, field] of Object.entries(LIMIT_FLAGS)) limits[field] = number(flag, values[flag] as string);
  const expiresIn = values['expires-in'];
  if (typeof expiresIn === 'string')
    limits.validUntil = new Date(nowMs + duration('expires-in', expiresIn)).toISOString();
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as KeyLimits;
}

/** `keys update` flags: a value sets the limit, `none` clears it, an absent flag leaves it alone. */
function updateFrom(values: Record<string, string | boolean | undefined>, nowMs: number): KeyUpdate {
  const update: KeyUpdate = {};
  const given = (flag: string) => (typeof values[flag] === 'string' ? (values[flag] as string) : undefined);
  const models = given('models');
  if (models !== undefined) update.allowedModels = models === 'none' ? null : modelList(models);
  for (const [flag, field] of Object.entries(LIMIT_FLAGS)) {
    const v = given(flag);
    if (v !== undefined) update[field] = v === 'none' ? null : number(flag, v);
  }
  const expiresIn = given('expires-in');
  if (expiresIn !== undefined)
    update.validUntil = expiresIn === 'none' ? null : new Date(nowMs + duration('expires-in', expiresIn)).toISOString();
  return update;
}

function limitsText(r: KeyRecord): string {
  const parts = [
    r.rpm !== undefined ? `rpm=${r.rpm}` : '',
    r.tpm !== undefined ? `tpm=${r.tpm}` : '',
    r.dailyBudgetUsd !== undefined ? `budget=$${r.dailyBudgetUsd}/day` : '',
    r.weeklyBudgetUsd !== undefined ? `budget=$${r.weeklyBudgetUsd}/week` : '',
    r.monthlyBudgetUsd !== undefined ? `budget=$${r.monthlyBudgetUsd}/month` : '',
    r.defaultBudgetFactor !== undefined ? `factor=${r.defaultBudgetFactor}` : '',
    r.maxConcurrency !== undefined ? `concurrency=${r.maxConcurrency}` : '',
    r.cacheTtlSeconds !== undefined ? `cache-ttl=${r.cacheTtlSeconds}s` : '',
    r.allowedModels?.length ? `models=${r.allowedModels.join(',')}` : '',
    r.validUntil !== undefined ? `expires=${r.validUntil.slice(0, 19)}Z` : '',
  ].filter(Boolean);
  return parts.join(' ') || '-';
}

function describe(r: KeyRecord): string {
  return `  id ${r.keyId}  status ${r.status}  limits ${limitsText(r)}`;
}

function table(records: KeyRecord[]): string {
  if (!records.length) return 'No keys.';
  const rows = [
    ['ID', 'NAME', 'STATUS', 'ADMIN', 'CREATED', 'LAST USED', 'LIMITS'],
    ...records.map((r) => [
      r.keyId,
      r.name,
      r.status,
      r.admin ? 'yes' : '',
      r.createdAt.slice(0, 19),
      r.lastUsedAt?.slice(0, 19) ?? '-',
      limitsText(r),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}
