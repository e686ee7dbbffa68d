/**
 * The capacity proxy between the whole local gateway and dynalite: every DynamoDB call the
 * handlers make is charged to a partition key, and the counts add up. It asserts nothing about
 * which keys the stores use (that is the stores' business, and being rewritten), only that the
 * proxy sees the gateway's writes and reports them consistently.
 */
import type { LocalGateway } from '../../local/gateway';
import { eventually, hi, post, startTestGateway } from '../helpers/local-gateway';

describe('the local gateway through the capacity proxy', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway(undefined, { dynamoCapacity: { enforce: true } });
  });
  afterAll(() => gw.close());

  it("charges the chat completion's DynamoDB writes to partition keys and reports the hottest", async () => {
    const cap = gw.dynamoCapacity!;
    cap.resetCounts();
    const dynaliteBefore = gw.dynamo.requestCounts().UpdateItem ?? 0;
    for (let i = 0; i < 3; i++) expect((await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'))).status).toBe(200);
    // After-response writes (settlement, usage) land after the answer.
    const r = await eventually(async () => {
      const now = cap.report();
      const writesSeen =
        (now.operations.UpdateItem ?? 0) + (now.operations.PutItem ?? 0) + (now.operations.DeleteItem ?? 0);
      expect(writesSeen).toBeGreaterThan(0);
      expect(now.writeRequests).toBe(writesSeen);
      // Everything the proxy forwarded reached dynalite (its own size reads are GetItems on top).
      expect((gw.dynamo.requestCounts().UpdateItem ?? 0) - dynaliteBefore).toBe(now.operations.UpdateItem ?? 0);
      return now;
    });
    expect(r.throttledWrites).toBe(0);
    // Every write costs at least one unit, and the per-key rows add up to the totals.
    expect(r.writeUnits).toBeGreaterThanOrEqual(r.writeRequests);
    expect(r.partitions.reduce((s, p) => s + p.writeUnits, 0)).toBe(r.writeUnits);
    const [hottest] = cap.hottest(1);
    expect(hottest.writeUnits).toBe(Math.max(...r.partitions.map((p) => p.writeUnits)));
    expect(hottest.table).toMatch(/^switchyard-(state|cost|keys)$/);
  });
});
