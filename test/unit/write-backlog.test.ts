import { createDynamoHealth } from '../../functions/adapters/dynamo/dynamo-health';
import { createWriteBacklog, isUnavailable } from '../../functions/adapters/dynamo/write-backlog';

const sdkError = (name: string, httpStatusCode?: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', $metadata: { attempts: 2 } });

function setup(maxEntries?: number) {
  const logs: Array<[string, string]> = [];
  const failures: string[] = [];
  let oks = 0;
  const backlog = createWriteBacklog({
    failed: (op) => failures.push(op),
    ok: () => oks++,
    log: (level, msg) => logs.push([level, msg]),
    maxEntries,
  });
  return { backlog, logs, failures, oks: () => oks };
}

describe('isUnavailable', () => {
  it('is true for no answer, throttling and 5xx from the SDK; false for answers about the write and for non-SDK errors', () => {
    expect(isUnavailable(refused())).toBe(true);
    expect(isUnavailable(sdkError('ProvisionedThroughputExceededException', 400))).toBe(true);
    expect(isUnavailable(sdkError('ThrottlingException', 400))).toBe(true);
    expect(isUnavailable(sdkError('InternalServerError', 500))).toBe(true);
    expect(isUnavailable(sdkError('ConditionalCheckFailedException', 400))).toBe(false);
    expect(isUnavailable(sdkError('ValidationException', 400))).toBe(false);
    expect(isUnavailable(new TypeError('x is undefined'))).toBe(false);
  });
});

describe('write backlog', () => {
  it('keeps a write DynamoDB could not take, reports it, and replays it in order once asked', async () => {
    const { backlog, failures, oks } = setup();
    const applied: string[] = [];
    let down = true;
    const write = (name: string) => async () => {
      if (down) throw refused();
      applied.push(name);
    };
    await expect(backlog.run('budget settle', write('a'))).resolves.toBeUndefined();
    await backlog.run('usage counters', write('b'));
    expect(backlog.size()).toBe(2);
    expect(failures).toEqual(['budget settle', 'usage counters']);

    await expect(backlog.flush()).resolves.toBe(2); // still down: nothing lost, nothing reordered
    expect(failures.at(-1)).toBe('budget settle (replay)');
    down = false;
    await expect(backlog.flush()).resolves.toBe(0);
    expect(applied).toEqual(['a', 'b']);
    expect(oks()).toBe(1);
  });

  it('runs writes straight through when DynamoDB answers, and rethrows errors that are not about availability', async () => {
    const { backlog } = setup();
    let ran = 0;
    await backlog.run('lease release', async () => ran++);
    expect(ran).toBe(1);
    await expect(
      backlog.run('budget charge', async () => Promise.reject(sdkError('ValidationException', 400))),
    ).rejects.toThrow('ValidationException');
    expect(backlog.size()).toBe(0);
  });

  it('shares one replay between concurrent flushes, and drops a kept write that now fails for another reason', async () => {
    const { backlog, logs } = setup();
    let calls = 0;
    let fail: Error = refused();
    await backlog.run('usage counters', async () => {
      calls++;
      throw fail;
    });
    fail = sdkError('ValidationException', 400);
    const [a, b] = await Promise.all([backlog.flush(), backlog.flush()]);
    expect([a, b]).toEqual([0, 0]);
    expect(calls).toBe(2);
    expect(logs).toContainEqual(['error', 'DynamoDB write from the backlog failed; dropping it']);
  });

  it('drops (and logs) writes past its bound instead of growing without limit', async () => {
    const { backlog, logs } = setup(2);
    for (let i = 0; i < 3; i++) await backlog.run('usage counters', async () => Promise.reject(refused()));
    expect(backlog.size()).toBe(2);
    expect(logs.filter(([level]) => level === 'error')).toHaveLength(1);
  });

  it('replays from the outage tracker on recovery and shows in its status while writes are kept', async () => {
    let backlogFlushes = 0;
    let pending = 3;
    const health = createDynamoHealth(() => undefined, Date.now, 60_000, {
      onRecovered: () => backlogFlushes++,
      pendingWrites: () => pending,
    });
    health.ok();
    expect(backlogFlushes).toBe(0); // no outage, no recovery
    health.failed('budget charge', refused());
    expect(health.status()).toMatchObject({ reachable: false, pendingWrites: 3 });
    health.ok();
    expect(backlogFlushes).toBe(1);
    pending = 0;
    expect(health.status()).toEqual({ reachable: true });
  });
});
