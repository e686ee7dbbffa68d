/**
 * The DynamoDB state snapshot hands out decoded records: breaker and health items written to dynalite
 * come back as BreakerState and EndpointHealth, unreadable health items as nothing, and a breaker the
 * instance just wrote is seen before the next refresh. Nothing past the port sees an item.
 */
import { PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { breakerKey } from '../../functions/adapters/dynamo/breaker-item';
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { createDynamoHealth } from '../../functions/adapters/dynamo/dynamo-health';
import { healthKey, toItem } from '../../functions/adapters/dynamo/health-item';
import { createStateSnapshot } from '../../functions/adapters/dynamo/state-snapshot';
import { STATE_TABLE, tableName } from '../../functions/contracts/table-specs';
import { CLOSED } from '../../functions/core/resilience/breaker';
import { startLocalDynamo, type LocalDynamo } from '../../local/dynamo';

let dynamo: LocalDynamo;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dynamo = await startLocalDynamo({ tablePrefix: 'snap-' });
  env = { ...process.env, ...dynamo.env };
});
afterAll(() => dynamo.close());

function snapshotOf(endpointIds: string[], now = () => 5_000) {
  return createStateSnapshot({
    ddb: createDynamoClient(env),
    table: tableName(STATE_TABLE, env),
    endpointIds,
    ttlMs: 60_000,
    dynamo: createDynamoHealth(() => undefined),
    now,
  });
}

async function put(item: Record<string, AttributeValue>): Promise<void> {
  await createDynamoClient(env).send(new PutItemCommand({ TableName: tableName(STATE_TABLE, env), Item: item }));
}

test('breaker and health items come back as domain records', async () => {
  const health = {
    status: 'degraded' as const,
    consecutiveFailures: 0,
    consecutiveSuccesses: 4,
    latencyEwmaMs: 2_400,
    lastLatencyMs: 2_100,
    lastError: 'HTTP 503',
    probedAt: 1_000,
    changedAt: 900,
    version: 3,
  };
  await put(toItem('e-a', health));
  await put({
    ...breakerKey('e-a'),
    phase: { S: 'half_open' },
    failures: { N: '5' },
    windowStart: { N: '100' },
    changedAt: { N: '200' },
    probes: { N: '1' },
    successes: { N: '0' },
    failingKeys: { SS: ['key_a', 'key_b'] },
  });
  const snapshot = snapshotOf(['e-a', 'e-b']);
  await snapshot.refresh();

  expect(snapshot.health('e-a')).toEqual(health);
  expect(snapshot.breaker('e-a')).toEqual({
    phase: 'half_open',
    failures: 5,
    windowStart: 100,
    changedAt: 200,
    probes: 1,
    successes: 0,
    failingKeys: ['key_a', 'key_b'],
  });
  expect(snapshot.health('e-b')).toBeUndefined();
  expect(snapshot.breaker('e-b')).toBeUndefined();
  expect(snapshot.loadedAt()).toBe(5_000);
});

test('an unreadable health item is no record, not a half-decoded one', async () => {
  await put({ ...healthKey('e-bad'), status: { S: 'sideways' }, probedAt: { N: '10' } });
  const snapshot = snapshotOf(['e-bad']);
  await snapshot.refresh();
  expect(snapshot.health('e-bad')).toBeUndefined();
});

test('a breaker written by this instance is seen at once; a refresh brings the stored one back', async () => {
  await put({ ...breakerKey('e-c'), phase: { S: 'closed' }, failures: { N: '2' }, windowStart: { N: '50' } });
  const snapshot = snapshotOf(['e-c']);
  await snapshot.refresh();
  expect(snapshot.breaker('e-c')).toEqual({ ...CLOSED, failures: 2, windowStart: 50 });

  const opened = { ...CLOSED, phase: 'open' as const, failures: 3, windowStart: 50, changedAt: 60 };
  snapshot.putBreaker('e-c', opened);
  expect(snapshot.breaker('e-c')).toEqual(opened);

  await snapshot.refresh();
  expect(snapshot.breaker('e-c')).toEqual({ ...CLOSED, failures: 2, windowStart: 50 });
});
