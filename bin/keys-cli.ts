/**
 * `npm run keys -- <command>`: manage virtual API keys in the keys table, locally or on AWS.
 * The logic lives here (exported for tests); bin/keys.ts is the entry point.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseArgs } from 'node:util';
import { isLoopbackEndpoint, LOCAL_CREDENTIALS } from '../functions/adapters/dynamo/client';
import { createDynamoKeyStore } from '../functions/adapters/dynamo/key-store';
import { KEYS_TABLE } from '../functions/contracts/table-specs';
import { generateApiKey, keyFieldProblems, type KeyLimits, type KeyRecord } from '../functions/core/keys';

export const KEYS_USAGE = `Usage: npm run keys -- <command> [options] <target>

Commands:
  create --name NAME [--admin] [--models a,b] [--rpm N] [--tpm N] [--daily-budget USD] [--budget-factor F]
                      create a key and print it (once: only its hash is stored)
  list [--json]       every key: id, name, status, last use, limits
  show KEY_ID         one key's record
  revoke KEY_ID       revoke a key (refused within the authorizer cache TTL, 60 s by default)

Target (one of):
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
}

class UsageError extends Error {}

const parseKeysArgs = (argv: string[]) =>
  parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      endpoint: { type: 'string' },
      table: { type: 'string' },
      region: { type: 'string' },
      name: { type: 'string' },
      admin: { type: 'boolean', default: false },
      models: { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      'daily-budget': { type: 'string' },
      'budget-factor': { type: 'string' },
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
  const ddb = dynamoClient(target, io.env);
  const keys = createDynamoKeyStore(ddb, target.table);
  try {
    switch (command) {
      case 'create': {
        const fields = { name: values.name ?? '', admin: values.admin, ...limitsFrom(values) };
        const problems = keyFieldProblems(fields);
        if (problems.length) throw new UsageError(`invalid key: ${problems.join('; ')}`);
        const apiKey = generateApiKey();
        const record = await keys.create(apiKey, fields);
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
        const record = await keys.getById(id);
        if (!record) {
          io.err(`No key with id ${id}.`);
          return 1;
        }
        io.out(JSON.stringify(record, null, 2));
        return 0;
      }
      case 'revoke': {
        if (!id) throw new UsageError('revoke needs a key id (key_...)');
        if (!(await keys.setStatus(id, 'revoked'))) {
          io.err(`No key with id ${id}.`);
          return 1;
        }
        io.out(`Revoked ${id}. Requests with it are refused once the authorizer cache (60 s by default) expires.`);
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
    const name = (e as Error)?.name;
    io.err(
      name === 'ResourceNotFoundException'
        ? `Table ${target.table} not found${target.endpoint ? ` at ${target.endpoint}` : ''}.`
        : `keys ${command} failed: ${(e as Error)?.message ?? e}`,
    );
    return 1;
  } finally {
    ddb.destroy();
  }
}

export interface Target {
  table: string;
  endpoint?: string;
  region?: string;
}

function resolveTarget(values: { endpoint?: string; table?: string; region?: string }, env: NodeJS.ProcessEnv): Target {
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

function limitsFrom(values: Record<string, string | boolean | undefined>): KeyLimits {
  const models =
    typeof values.models === 'string'
      ? values.models
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean)
      : undefined;
  const limits: KeyLimits = {
    allowedModels: models?.length ? models : undefined,
    rpm: number('rpm', values.rpm as string | undefined),
    tpm: number('tpm', values.tpm as string | undefined),
    dailyBudgetUsd: number('daily-budget', values['daily-budget'] as string | undefined),
    defaultBudgetFactor: number('budget-factor', values['budget-factor'] as string | undefined),
  };
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as KeyLimits;
}

function limitsText(r: KeyRecord): string {
  const parts = [
    r.rpm !== undefined ? `rpm=${r.rpm}` : '',
    r.tpm !== undefined ? `tpm=${r.tpm}` : '',
    r.dailyBudgetUsd !== undefined ? `budget=$${r.dailyBudgetUsd}/day` : '',
    r.defaultBudgetFactor !== undefined ? `factor=${r.defaultBudgetFactor}` : '',
    r.allowedModels?.length ? `models=${r.allowedModels.join(',')}` : '',
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
