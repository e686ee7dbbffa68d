/**
 * `npm run keys` against the local runtime's DynamoDB (dynalite, real SDK): create prints the key
 * once and stores only its hash; list, show and revoke; a revoked key is refused by the authorizer.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { KEYS_USAGE, runKeysCli } from '../../bin/keys-cli';
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { createDynamoKeyStore } from '../../functions/adapters/dynamo/key-store';
import { KEYS_TABLE } from '../../functions/contracts/table-specs';
import { authorize } from '../../functions/authorizer/authorize';
import { startLocalDynamo, type LocalDynamo } from '../../local/dynamo';

describe('keys CLI', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(() => dynamo.close());

  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runKeysCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const target = () => ['--endpoint', dynamo.endpoint];

  it('creates a key, prints it once, and stores only its hash', async () => {
    const r = await cli(
      'create',
      '--name',
      'team a',
      '--models',
      'gpt-4.1, auto',
      '--rpm',
      '60',
      '--tpm',
      '90000',
      '--daily-budget',
      '5',
      '--budget-factor',
      '0.5',
      ...target(),
    );
    expect(r.code).toBe(0);
    const apiKey = r.out.match(/sk-sy-[A-Za-z0-9_-]{43}/)![0];
    const keyId = r.out.match(/key_[0-9a-f]{16}/)![0];
    expect(r.out).toContain('shown only now');
    expect(r.out).toContain('rpm=60 tpm=90000 budget=$5/day factor=0.5 models=gpt-4.1,auto');

    const ddb = createDynamoClient(dynamo.env);
    const items = (await ddb.send(new ScanCommand({ TableName: dynamo.env[KEYS_TABLE.envVar] }))).Items ?? [];
    ddb.destroy();
    expect(JSON.stringify(items)).not.toContain(apiKey);
    expect(items).toHaveLength(1);

    const list = await cli('list', ...target());
    expect(list.out).toMatch(new RegExp(`${keyId}\\s+team a\\s+active`));
    expect(list.out).not.toContain(apiKey);
    const show = await cli('show', keyId, ...target());
    expect(JSON.parse(show.out)).toMatchObject({
      keyId,
      name: 'team a',
      status: 'active',
      admin: false,
      rpm: 60,
      tpm: 90000,
      allowedModels: ['gpt-4.1', 'auto'],
    });
    expect(JSON.parse((await cli('list', '--json', ...target())).out)).toHaveLength(1);

    // A new key works at once; a revoked one is refused.
    const ddb2 = createDynamoClient(dynamo.env);
    const keys = createDynamoKeyStore(ddb2, dynamo.env[KEYS_TABLE.envVar]);
    const event = {
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:1:api/prod/GET/v1/models',
      headers: { Authorization: `Bearer ${apiKey}` },
    } as unknown as APIGatewayRequestAuthorizerEvent;
    expect((await authorize(event, keys)).principalId).toBe(keyId);
    expect((await cli('revoke', keyId, ...target())).code).toBe(0);
    await expect(authorize(event, keys)).rejects.toThrow('Unauthorized');
    expect(JSON.parse((await cli('show', keyId, ...target())).out).status).toBe('revoked');
    ddb2.destroy();
  });

  it('creates admin keys', async () => {
    const r = await cli('create', '--name', 'ops', '--admin', ...target());
    expect(r.code).toBe(0);
    expect(r.out).toContain('[admin]');
  });

  it.each([
    [['create', '--name', 'x', '--rpm', '0'], 'rpm: must be a whole number >= 1'],
    [['create', '--name', 'x', '--tpm', 'lots'], '--tpm must be a number'],
    [['create'], 'name: must be 1..100 characters'],
    [['show'], 'show needs a key id'],
    [['frobnicate'], 'unknown command "frobnicate"'],
  ])('refuses %j with a usage message (exit 2)', async (argv, message) => {
    const r = await cli(...argv, ...target());
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain('Usage: npm run keys');
  });

  it('says how to find the table when no target is given', async () => {
    const r = await cli('list');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--endpoint URL (local runtime) or --table NAME / SWITCHYARD_KEYS_TABLE');
    expect(KEYS_USAGE).toContain('aws cloudformation describe-stacks --stack-name Switchyard');
  });

  it('reports unknown ids and a missing table plainly (exit 1)', async () => {
    expect((await cli('revoke', 'key_0000000000000000', ...target())).err).toContain(
      'No key with id key_0000000000000000',
    );
    const r = await cli('list', ...target(), '--table', 'no-such-table');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`Table no-such-table not found at ${dynamo.endpoint}`);
  });
});
