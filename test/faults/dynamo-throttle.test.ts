/**
 * Fault matrix, DynamoDB throttling: the fault proxy answers HTTP 400 with DynamoDB's own
 * `ProvisionedThroughputExceededException`, which the AWS SDK classifies as throttling and retries
 * (functions/adapters/dynamo/client.ts: 2 attempts, throttling backoff up to 1 s).
 *
 * - occasional throttling is absorbed by the SDK's retry: the request keeps its reservation and
 *   lease, and nothing is reported as an outage;
 * - throttling past the retry behaves like an outage for the calls it hits (fail open, writes kept
 *   and replayed), so whatever the mix, the ledger is consistent once DynamoDB takes writes again;
 * - persistent throttling is an outage: requests are served, /health names the throttling, keys
 *   API Gateway has not cached get the authorizer's 503.
 */
import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { KEYS_TABLE, tableName } from '../../functions/contracts/table-specs';
import { THROTTLE_ERROR_TYPE } from '../../local/dynamo-faults';
import { AUTHORIZER_UNAVAILABLE_RESPONSE } from '../../local/apigw-emulator';
import type { LocalGateway } from '../../local/gateway';
import { seeded } from '../../local/seeded-random';
import { eventually, get, hi, post } from '../helpers/local-gateway';
import { BUDGETED_MODELS, costMicrosOf, direct, sseData, startDynamoFaultGateway } from './dynamo-helpers';
import { expectSettled, readLedger } from './ledger-check';

const chat = (gw: LocalGateway, extra: Record<string, unknown> = {}) =>
  post(gw, '/v1/chat/completions', hi('gpt-4.1', extra));
const total = (m: Record<string, number>) => Object.values(m).reduce((s, v) => s + v, 0);

describe('DynamoDB throttling', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    // API Gateway's authorizer cache keeps the demo key's decision, as for any warm key.
    gw = await startDynamoFaultGateway({ authorizerCacheTtlMs: 60_000 });
    expect((await chat(gw)).status).toBe(200);
  });
  afterAll(() => gw.close());
  afterEach(async () => {
    await gw.dynamoFaults!.reset();
    // Each case starts with DynamoDB known reachable and nothing kept.
    await eventually(async () => expect((await get(gw, '/health/deep')).json.dynamo).toEqual({ reachable: true }));
  });

  it("answers throttled calls as DynamoDB does, and the SDK sees DynamoDB's throttling error", async () => {
    await gw.dynamoFaults!.throttle({ operations: ['GetItem'] });
    const raw = await fetch(gw.dynamoFaults!.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'DynamoDB_20120810.GetItem', 'content-type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(raw.status).toBe(400);
    expect(raw.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(((await raw.json()) as { __type: string }).__type).toBe(THROTTLE_ERROR_TYPE);

    const ddb = new DynamoDBClient({
      endpoint: gw.dynamoFaults!.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      maxAttempts: 1,
    });
    try {
      const err = await ddb
        .send(new GetItemCommand({ TableName: tableName(KEYS_TABLE, gw.env), Key: { pk: { S: 'x' }, sk: { S: 'y' } } }))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } });
      // Other operations pass: only GetItem is throttled.
      await expect(
        ddb.send(
          new QueryCommand({
            TableName: tableName(KEYS_TABLE, gw.env),
            KeyConditionExpression: 'pk = :p',
            ExpressionAttributeValues: { ':p': { S: 'x' } },
          }),
        ),
      ).resolves.toMatchObject({ Count: 0 });
    } finally {
      ddb.destroy();
    }
  });

  it('absorbs a throttled write with the SDK retry: the request keeps its reservation and nothing is reported', async () => {
    const before = await readLedger(direct(gw));
    gw.dynamoFaults!.resetCounts();
    await gw.dynamoFaults!.throttle({ operations: ['UpdateItem'], times: 1 });
    const r = await chat(gw);
    expect(r.status).toBe(200);
    expect(gw.dynamoFaults!.counts().throttled).toEqual({ UpdateItem: 1 });
    // No call failed after its retry: no fail-open, no outage, nothing kept.
    expect((await get(gw, '/health/deep')).json.dynamo).toEqual({ reachable: true });
    const settled = await expectSettled(direct(gw), before, { requests: 1, modelsWithBudget: BUDGETED_MODELS });
    expect(settled.spentDelta).toBe(costMicrosOf(r));
  });

  /** Served, or refused honestly because the shared store cannot be reached (bounded mode): never anything else. */
  const servedOrBounded = (r: { status: number; json?: { error?: { code?: string } } }) =>
    r.status === 200 || (r.status === 503 && r.json?.error?.code === 'shared_state_unavailable');

  it('under heavy random throttling: answered from held slices or refused as unavailable, and the ledger matches the usage once writes go through', async () => {
    const before = await readLedger(direct(gw));
    gw.dynamoFaults!.resetCounts();
    // 40% of calls throttled: counter writes retry throttles (never applied, so safe to resend),
    // holder-record writes keep what they could not write for the next one.
    await gw.dynamoFaults!.throttle({ fraction: 0.4, random: seeded(20261123) });
    const answers = await Promise.all([
      ...Array.from({ length: 6 }, () => chat(gw)),
      chat(gw, { stream: true }),
      chat(gw, { stream: true }),
      post(gw, '/v1/chat/completions', hi('auto')),
    ]);
    // The body is shown when a reply is neither served nor an honest refusal.
    for (const r of answers) expect(servedOrBounded(r) ? 'ok' : r.text).toBe('ok');
    expect(answers.filter((r) => r.status === 200).length).toBeGreaterThan(answers.length / 2);
    for (const r of answers.slice(6, 8)) if (r.status === 200) expect(sseData(r.text).at(-1)).toBe('[DONE]');
    expect(total(gw.dynamoFaults!.counts().throttled)).toBeGreaterThan(0);

    await gw.dynamoFaults!.pass();
    expect((await chat(gw)).status).toBe(200);
    await expectSettled(direct(gw), before, { requests: answers.length + 1, modelsWithBudget: BUDGETED_MODELS });
  });

  it('persistent throttling is an outage: only what held quota covers is served, it is reported, and charged once it ends', async () => {
    const uncached = 'sk-sy-throttle-uncached-key-00000000000000';
    await gw.keys.create(uncached, { name: 'not in the authorizer cache', admin: false });
    const before = await readLedger(direct(gw));
    await gw.dynamoFaults!.throttle();

    const answers = await Promise.all([chat(gw), chat(gw), chat(gw, { stream: true })]);
    // The body is shown when a reply is neither served nor an honest refusal.
    for (const r of answers) expect(servedOrBounded(r) ? 'ok' : r.text).toBe('ok');
    if (answers[2].status === 200) expect(sseData(answers[2].text).at(-1)).toBe('[DONE]');

    const health = await eventually(async () => {
      const h = await get(gw, '/health/deep');
      expect(h.json.dynamo.reachable).toBe(false);
      return h;
    });
    expect(health.json).toMatchObject({
      status: 'degraded',
      dynamo: { reachable: false, lastError: expect.stringMatching(/: ProvisionedThroughputExceededException$/) },
    });
    expect((await readLedger(direct(gw))).spent).toEqual(before.spent);

    // A key whose decision API Gateway has not cached cannot be verified: fail closed, retryable.
    const refused = await post(gw, '/v1/chat/completions', hi(), { authorization: `Bearer ${uncached}` });
    expect(refused.status).toBe(AUTHORIZER_UNAVAILABLE_RESPONSE.status);
    expect(refused.json.error.code).toBe(AUTHORIZER_UNAVAILABLE_RESPONSE.code);

    await gw.dynamoFaults!.pass();
    const after = await chat(gw);
    expect(after.status).toBe(200);
    const served = answers.filter((r) => r.status === 200).length;
    const settled = await expectSettled(direct(gw), before, {
      requests: answers.length + 1,
      modelsWithBudget: BUDGETED_MODELS,
    });
    expect(served).toBeGreaterThanOrEqual(0);
    expect(settled.spentDelta).toBeGreaterThanOrEqual(costMicrosOf(after));
  });
});
