/**
 * Fault matrix, the router Lambda near its timeout. Each case invokes a fresh router instance with a
 * configured timeout (test/faults/lambda-kill.ts): getRemainingTimeInMillis counts down from it and
 * an invocation still running at 0 is killed, as the Lambda runtime does.
 *
 * How the router uses the remaining time (functions/router/chat/route.ts, ANSWER_RESERVE_MS = 1 s):
 * - the request deadline is `startedAt + min(requestDeadlineMs, remaining - 1 s)`: upstream calls,
 *   retries and fallbacks stop there and the client gets a 504 while 1 s is left to answer and
 *   settle;
 * - the deadline bounds the first byte only; a stream still running at `remaining - 1 s` (measured
 *   when it starts) ends with an explicit `stream_timeout` error event, and its tokens are settled.
 * In every case the invocation ends before the kill, with its reservation and lease given back.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { STATE_TABLE, tableName } from '../../functions/contracts/table-specs';
import { ANSWER_RESERVE_MS } from '../../functions/router/chat/route';
import { STREAM_TIME_LIMIT } from '../../functions/router/chat/sse-relay';
import type { LocalGateway } from '../../local/gateway';
import type { FaultSpec } from '../../local/providers';
import { eventually, hi, post } from '../helpers/local-gateway';
import { BUDGETED_MODELS, sseData, startDynamoFaultGateway } from './dynamo-helpers';
import { withLambdaTimeout, type InvocationRecord } from './lambda-kill';
import { expectSettled, readLedger } from './ledger-check';

/** The failures counted in an endpoint's shared breaker item (0 when it has none). */
async function breakerFailures(gw: LocalGateway, endpointId: string): Promise<number> {
  const ddb = createDynamoClient(gw.env);
  try {
    const res = await ddb.send(
      new GetItemCommand({
        TableName: tableName(STATE_TABLE, gw.env),
        Key: { pk: { S: `endpoint#${endpointId}` }, sk: { S: 'breaker' } },
        ConsistentRead: true,
      }),
    );
    return Number(res.Item?.failures?.N ?? 0);
  } finally {
    ddb.destroy();
  }
}

describe('router Lambda near its timeout', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startDynamoFaultGateway();
  });
  afterAll(() => gw.close());
  afterEach(() => gw.providers!.clearFaults());

  /** One request through a fresh router instance whose Lambda has `timeoutMs` configured. */
  async function invoke(timeoutMs: number, body: unknown, fault?: FaultSpec) {
    const invocations: InvocationRecord[] = [];
    const instance = gw.newRouterInstance();
    // Warm, as most invocations are: the cold start's first state load is not what these cases time.
    await instance.deps.state.refresh();
    gw.setTargetSelector(() => ({
      handler: withLambdaTimeout(instance.handler as never, timeoutMs, invocations),
      version: '1',
    }));
    if (fault) gw.providers!.setFault(fault);
    const started = Date.now();
    const reply = await post(gw, '/v1/chat/completions', body);
    const elapsedMs = Date.now() - started;
    // The after-response work (settlement, lease release) is part of the invocation: wait for its end.
    const record = await eventually(async () => {
      expect(invocations).toHaveLength(1);
      expect(invocations[0].finishedAfterMs !== undefined || invocations[0].killed).toBe(true);
      return invocations[0];
    }, timeoutMs + 2_000);
    return { reply, elapsedMs, record };
  }

  it('answers 504 deadline_exceeded at once when less than the reserve is left, without calling upstream', async () => {
    const before = await readLedger(gw);
    const upstreamBefore = gw.providers!.requests().length;
    const { reply, record } = await invoke(800, hi('gpt-4.1'));
    expect(record.remainingAtStartMs).toBeLessThanOrEqual(ANSWER_RESERVE_MS);
    expect(reply.status).toBe(504);
    expect(reply.json).toEqual({
      error: {
        message: 'The request deadline passed before any model could answer.',
        type: 'timeout_error',
        param: null,
        code: 'deadline_exceeded',
      },
    });
    expect(reply.headers.get('x-switchyard-attempts')).toBe('');
    expect(record.killed).toBe(false);
    expect(record.finishedAfterMs).toBeLessThan(800);
    expect(gw.providers!.requests()).toHaveLength(upstreamBefore);
    const settled = await expectSettled(gw, before, { requests: 0, modelsWithBudget: BUDGETED_MODELS });
    expect(settled.spentDelta).toBe(0);
  });

  it('gives up on a hung upstream at remaining - 1 s with a 504, before the kill, and gives back its reservation and lease', async () => {
    const before = await readLedger(gw);
    const { reply, elapsedMs, record } = await invoke(2_000, hi('gpt-4.1'), { model: 'gpt-4.1', hang: true });
    expect(reply.status).toBe(504);
    expect(reply.json.error).toMatchObject({ type: 'timeout_error', code: 'upstream_timeout', param: null });
    expect(reply.json.error.message).toMatch(/the request deadline was reached/);
    expect(reply.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:timeout');
    // The deadline, not the kill, ended it: not before remaining - reserve (timers may round down 1 ms).
    expect(elapsedMs).toBeGreaterThanOrEqual(record.remainingAtStartMs! - ANSWER_RESERVE_MS - 5);
    expect(record.killed).toBe(false);
    expect(record.finishedAfterMs).toBeLessThan(2_000);
    const settled = await expectSettled(gw, before, { requests: 1, modelsWithBudget: BUDGETED_MODELS });
    expect(settled.spentDelta).toBe(0);
    expect(settled.usageErrorsDelta['model#gpt-4.1']).toBe(1);
  });

  it('ends a stream that would outlive the function with the stream_timeout event, settles its tokens, and spares the breaker', async () => {
    const before = await readLedger(gw);
    const failuresBefore = await breakerFailures(gw, 'openai-gpt-4.1');
    const { reply, record } = await invoke(2_000, hi('gpt-4.1', { stream: true }), {
      model: 'gpt-4.1',
      stallAfterChunks: 2,
    });
    expect(reply.status).toBe(200);
    const events = sseData(reply.text);
    expect(events).not.toContain('[DONE]');
    const content = events
      .slice(0, -1)
      .map((e) => JSON.parse(e).choices?.[0]?.delta?.content ?? '')
      .join('');
    expect(content.length).toBeGreaterThan(0);
    expect(JSON.parse(events.at(-1)!)).toEqual({
      error: { message: STREAM_TIME_LIMIT.message, type: 'timeout_error', param: null, code: 'stream_timeout' },
    });
    expect(record.killed).toBe(false);
    expect(record.finishedAfterMs).toBeLessThan(2_000);

    // The tokens relayed are paid for (estimated from the text: no usage chunk arrived), counted as
    // a failed request, and the reservation and lease are back.
    const settled = await expectSettled(gw, before, { requests: 1, modelsWithBudget: BUDGETED_MODELS });
    expect(settled.spentDelta).toBeGreaterThan(0);
    expect(settled.usageErrorsDelta['model#gpt-4.1']).toBe(1);
    // The function's own time limit says nothing about the endpoint: no breaker failure recorded.
    expect(await breakerFailures(gw, 'openai-gpt-4.1')).toBe(failuresBefore);
  });

  it('lets a stream that fits in the remaining time finish normally', async () => {
    const before = await readLedger(gw);
    const { reply, record } = await invoke(3_000, hi('gpt-4.1', { stream: true }));
    expect(reply.status).toBe(200);
    expect(sseData(reply.text).at(-1)).toBe('[DONE]');
    expect(record.killed).toBe(false);
    await expectSettled(gw, before, { requests: 1, modelsWithBudget: BUDGETED_MODELS });
  });
});
