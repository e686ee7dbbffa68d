/**
 * Case 3: the router handler invoked directly, in this process, with a prepared API Gateway event
 * and an upstream that answers at once: what the router's own code adds, in µs, with no HTTP,
 * emulator or authorizer around it. The handler is the deployed one (`createRouterHandler`:
 * middy pipeline, validation, token estimate, plan, executor, settlement, Powertools logs and EMF)
 * behind the Lambda streaming runtime's local polyfill.
 *
 *  - "ports in memory": every store is an in-memory stub, so only router code runs;
 *  - "DynamoDB adapters": the real stores over the AWS SDK to dynalite (in this process), with the
 *    DynamoDB calls counted at dynalite per request: on the hot path (between the invocation's
 *    start and the end of its response, i.e. what the client waits for) and after it.
 */
import { Readable, Writable } from 'node:stream';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createPowertoolsTelemetry } from '../../functions/adapters/telemetry/powertools-telemetry';
import { quietSink } from '../../functions/adapters/telemetry/sinks';
import type { UpstreamClient } from '../../functions/ports/upstream';
import { createDefaultDeps } from '../../functions/router/default-deps';
import type { RouterDeps } from '../../functions/router/deps';
import { createRouterHandler } from '../../functions/router/lambda-handler';
import { startLocalDynamo } from '../../local/dynamo';
import { installAwsLambdaGlobal, localLambdaContext, type StreamingHandler } from '../../local/lambda-streaming';
import { chatEvent } from '../../local/in-memory/proxy-event';
import { stubDeps } from '../../local/in-memory/stub-deps';
import { benchConfig, providerKeyEnv } from '../config/bench-config';
import { latencyHistogram, recordMs, type Histogram } from '../histogram';

export interface InProcessRow {
  label: string;
  requests: number;
  /** Invocation start to the end of the response stream. */
  response: Histogram;
  /** Invocation start to the handler's return (after-response work included). */
  invocation: Histogram;
  /** DynamoDB calls per request by operation, on the hot path and after the response (DynamoDB rows only). */
  dynamo?: { hot: Record<string, number>; after: Record<string, number> };
}

const REPLY = 'Hello from an upstream that answers at once. '.repeat(3).trim();

/** An upstream that answers at once with a realistic body: a chat.completion, or SSE token events. */
function instantUpstream(): UpstreamClient {
  const json = JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4.1',
    choices: [{ index: 0, message: { role: 'assistant', content: REPLY }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 },
  });
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const sse = [
    chunk({ role: 'assistant', content: '' }),
    ...REPLY.split(' ').map((w) => chunk({ content: `${w} ` })),
    chunk({}, 'stop'),
    `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1', choices: [], usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 } })}\n\n`,
    'data: [DONE]\n\n',
  ];
  return {
    send: async (call) => {
      const stream = typeof call.body === 'string' && call.body.includes('"stream":true');
      const text = stream ? sse.join('') : json;
      return {
        status: 200,
        headers: { 'content-type': stream ? 'text/event-stream' : 'application/json' },
        body: Readable.from(stream ? sse.map((s) => Buffer.from(s)) : [Buffer.from(text)]),
        text: async () => text,
        discard: () => undefined,
      };
    },
  };
}

/** The event API Gateway sends after the authorizer allowed a key without limits. */
function preparedEvent(stream: boolean): APIGatewayProxyEvent {
  const body = JSON.stringify({
    model: 'gpt-4.1',
    messages: [{ role: 'user', content: 'Say hello to the benchmark.' }],
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
  const event = chatEvent(body, { 'content-type': 'application/json' }, 'bench');
  event.requestContext = {
    ...event.requestContext,
    authorizer: { keyId: 'bench-key', keyName: 'bench', admin: 'false', limits: '{}' },
  } as APIGatewayProxyEvent['requestContext'];
  return event;
}

/** A response stream that keeps nothing and says when the response has ended. */
function sink(onEnd: () => void): Writable {
  const w = new Writable({ write: (_c, _e, cb) => cb() });
  w.once('finish', onEnd);
  return w;
}

async function measure(
  label: string,
  handler: StreamingHandler,
  event: APIGatewayProxyEvent,
  n: number,
  warmup: number,
  dynamoCounts?: () => Record<string, number>,
): Promise<InProcessRow> {
  const response = latencyHistogram();
  const invocation = latencyHistogram();
  const hot: Record<string, number> = {};
  const after: Record<string, number> = {};
  const add = (into: Record<string, number>, a: Record<string, number>, b: Record<string, number>) => {
    for (const [op, v] of Object.entries(a)) if (v - (b[op] ?? 0) > 0) into[op] = (into[op] ?? 0) + v - (b[op] ?? 0);
  };
  for (let i = 0; i < warmup + n; i++) {
    const counted = i >= warmup;
    const c0 = counted && dynamoCounts ? dynamoCounts() : undefined;
    let c1: Record<string, number> | undefined;
    const t0 = performance.now();
    let tEnd = Number.NaN;
    const out = sink(() => {
      tEnd = performance.now();
      if (c0) c1 = dynamoCounts!();
    });
    await handler(
      event,
      out,
      localLambdaContext({ functionName: 'switchyard-router', version: '1', qualifier: 'live', timeoutMs: 900_000 }),
    );
    const tDone = performance.now();
    if (!counted) continue;
    recordMs(response, tEnd - t0);
    recordMs(invocation, tDone - t0);
    if (c0 && c1) {
      add(hot, c1, c0);
      add(after, dynamoCounts!(), c1);
    }
  }
  const per = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v / n]));
  return {
    label,
    requests: n,
    response,
    invocation,
    ...(dynamoCounts ? { dynamo: { hot: per(hot), after: per(after) } } : {}),
  };
}

export async function inProcessCase(opts: { n: number; nDynamo: number; warmup: number }): Promise<InProcessRow[]> {
  installAwsLambdaGlobal();
  const upstream = instantUpstream();
  const { telemetry, log } = createPowertoolsTelemetry({ sink: quietSink });
  const rows: InProcessRow[] = [];

  const memoryHandler = createRouterHandler(stubDeps({ upstream, telemetry, log })) as unknown as StreamingHandler;
  rows.push(await measure('ports in memory, non-stream', memoryHandler, preparedEvent(false), opts.n, opts.warmup));
  rows.push(await measure('ports in memory, stream', memoryHandler, preparedEvent(true), opts.n, opts.warmup));

  const dynamo = await startLocalDynamo();
  try {
    const cfg = benchConfig();
    const env = { ...process.env, ...dynamo.env, ...providerKeyEnv(cfg), AWS_REGION: 'us-east-1' };
    const deps: RouterDeps = { ...createDefaultDeps(env, { configJson: cfg, telemetrySink: quietSink }), upstream };
    const handler = createRouterHandler(deps) as unknown as StreamingHandler;
    // The first invocation of a cold instance waits for the state snapshot; load it first, as a warm instance has.
    await deps.state.refresh();
    rows.push(
      await measure(
        'DynamoDB adapters (AWS SDK -> dynalite), non-stream',
        handler,
        preparedEvent(false),
        opts.nDynamo,
        opts.warmup,
        () => dynamo.requestCounts(),
      ),
    );
  } finally {
    await dynamo.close();
  }
  return rows;
}
