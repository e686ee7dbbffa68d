/**
 * The system under test, in its own process (forked by bench/run.ts) so the load generator's CPU
 * is not charged to the gateway: the local gateway (API Gateway emulator + authorizer + router +
 * dynalite) and the simulated providers, with the simulated model latency at 0.
 *
 * Talks to the parent over IPC: `idle` resolves once no router invocation is running (after-response
 * writes included), `reset`/`stats` bracket a phase (DynamoDB calls by operation and invocation
 * durations, per mode (JSON or stream); this process's CPU time), `probe` times DynamoDB calls alone.
 */
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import defaultConfig from '../config/switchyard.json';
import { createDynamoClient } from '../functions/adapters/dynamo/client';
import { STATE_TABLE, tableName } from '../functions/adapters/dynamo/table-specs';
import { createRouterHandler } from '../functions/router/lambda-handler';
import { startLocalGateway } from '../local/gateway';
import type { StreamingHandler } from '../local/lambda-streaming';

export interface ServerInfo {
  gatewayChatUrl: string;
  directChatUrl: string;
  demoKey: string;
  timeScale: number;
}

export type Mode = 'json' | 'stream';

export interface ModeStats {
  /** Router invocations seen. */
  invocations: number;
  /**
   * DynamoDB requests dynalite received, by operation (X-Amz-Target), attributed to the gateway
   * invocation that most recently started (exact when requests run one at a time, and for a phase
   * that sends one mode only).
   */
  dynamo: Record<string, number>;
  /**
   * Of `dynamo`, the calls made between the invocation's start and the end of its response stream,
   * i.e. the ones the client waits for; counted only for invocations that ran alone.
   */
  dynamoBeforeResponse: Record<string, number>;
  /** Invocations that ran alone (the denominator for dynamoBeforeResponse). */
  aloneInvocations: number;
  /** Router invocation durations (ms): request in to handler return, after-response writes included. */
  invocationMs: number[];
}

export interface PhaseStats {
  byMode: Record<Mode, ModeStats>;
  /** CPU time of this process (user + system), microseconds. */
  cpuMicros: number;
}

export interface ProbeStats {
  calls: number;
  /** Per-call latency (ms) of a sequential UpdateItem, AWS SDK -> dynalite, on loopback. */
  latencyMs: number[];
  /** This process's CPU (SDK + HTTP + dynalite) per call, microseconds. */
  cpuMicrosPerCall: number;
}

export type Command = { id: number; cmd: 'idle' | 'reset' | 'stats' | 'probe' | 'close' };
export type Reply = { id: number; result?: unknown; error?: string } | { ready: ServerInfo } | { failed: string };

/** Same config as `npm start`, minus two limits a load test would hit instead of measuring overhead. */
function benchConfig(): unknown {
  const cfg = structuredClone(defaultConfig) as { models: Array<{ maxConcurrency?: number }>; budgets: { globalDailyUsd: number } };
  // The concurrency lease is still taken and released (same DynamoDB writes), it just never refuses.
  for (const m of cfg.models) if (m.maxConcurrency !== undefined) m.maxConcurrency = Math.max(m.maxConcurrency, 10_000);
  // Reservations are still made and settled; tens of thousands of requests must not exhaust the day.
  cfg.budgets.globalDailyUsd = 1_000_000;
  return cfg;
}

async function main(): Promise<void> {
  const send = (m: Reply) => process.send?.(m);
  const timeScale = 0;
  const gw = await startLocalGateway({
    port: 0,
    timeScale,
    configJson: benchConfig(),
    // No health-check timer: its probes would be counted as DynamoDB calls and upstream load.
    healthCheckIntervalMs: 0,
    telemetry: 'quiet',
  });
  if (!gw.providers) throw new Error('expected simulated providers');

  // The same router (same deps, caches and clients as the gateway's main instance), wrapped to know
  // when an invocation, after-response work included, has returned.
  const inner = createRouterHandler(gw.deps) as unknown as StreamingHandler;
  let inFlight = 0;
  let waiters: Array<() => void> = [];
  const emptyModes = (): Record<Mode, ModeStats> => {
    const m = (): ModeStats => ({ invocations: 0, dynamo: {}, dynamoBeforeResponse: {}, aloneInvocations: 0, invocationMs: [] });
    return { json: m(), stream: m() };
  };
  let byMode = emptyModes();
  const add = (into: Record<string, number>, now: Record<string, number>, since: Record<string, number>) => {
    for (const [op, v] of Object.entries(now)) {
      const d = v - (since[op] ?? 0);
      if (d > 0) into[op] = (into[op] ?? 0) + d;
    }
  };
  /** DynamoDB calls since `window.at` belong to `window.mode`; closed when the next invocation starts or at `stats`. */
  let window: { mode: Mode; at: Record<string, number> } | undefined;
  const closeWindow = () => {
    if (window) add(byMode[window.mode].dynamo, gw.dynamo.requestCounts(), window.at);
    window = undefined;
  };
  // The bench's own bodies are JSON.stringify output; a substring test keeps the wrapper's cost negligible.
  const modeOf = (event: unknown): Mode => (((event as { body?: string | null }).body ?? '').includes('"stream":true') ? 'stream' : 'json');

  const wrapped = awslambda.streamifyResponse(async (event: unknown, stream: Writable, context: unknown) => {
    inFlight++;
    const t0 = performance.now();
    const mode = modeOf(event);
    const stats = byMode[mode];
    stats.invocations++;
    closeWindow();
    const atStart = gw.dynamo.requestCounts();
    window = { mode, at: atStart };
    if (inFlight === 1) {
      stream.once('finish', () => {
        if (inFlight !== 1) return;
        stats.aloneInvocations++;
        add(stats.dynamoBeforeResponse, gw.dynamo.requestCounts(), atStart);
      });
    }
    try {
      await inner(event, stream, context);
    } finally {
      stats.invocationMs.push(performance.now() - t0);
      if (--inFlight === 0) {
        const w = waiters;
        waiters = [];
        for (const resolve of w) resolve();
      }
    }
  });
  gw.setTargetSelector(() => ({ handler: wrapped, version: '1' }));

  let cpuAt = process.cpuUsage();
  const idle = () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => waiters.push(r)));
  /** Idle, then no new DynamoDB call for `quietMs` (fire-and-forget refreshes land too). */
  const settled = async (quietMs = 30) => {
    await idle();
    for (;;) {
      const before = JSON.stringify(gw.dynamo.requestCounts());
      await new Promise((r) => setTimeout(r, quietMs));
      await idle();
      if (JSON.stringify(gw.dynamo.requestCounts()) === before) return;
    }
  };

  process.on('message', async (m: Command) => {
    try {
      let result: unknown;
      if (m.cmd === 'idle') await idle();
      else if (m.cmd === 'reset') {
        await settled();
        gw.dynamo.resetRequestCounts();
        byMode = emptyModes();
        window = undefined;
        cpuAt = process.cpuUsage();
      } else if (m.cmd === 'stats') {
        await settled();
        const cpu = process.cpuUsage(cpuAt);
        closeWindow();
        result = { byMode, cpuMicros: cpu.user + cpu.system } satisfies PhaseStats;
      } else if (m.cmd === 'probe') {
        await settled();
        result = await probeDynamo(gw.env, 300);
      } else if (m.cmd === 'close') {
        await gw.close();
        send({ id: m.id });
        process.disconnect();
        return;
      }
      send({ id: m.id, result });
    } catch (e) {
      send({ id: m.id, error: String(e) });
    }
  });

  send({
    ready: {
      gatewayChatUrl: `${gw.baseUrl}/chat/completions`,
      directChatUrl: `${gw.providers.baseUrlFor('openai')}/chat/completions`,
      demoKey: gw.demoKey,
      timeScale,
    },
  });
}

/** What one DynamoDB call costs locally, alone: a counter UpdateItem like the ledger's, on a scratch item. */
async function probeDynamo(env: NodeJS.ProcessEnv, calls: number): Promise<ProbeStats> {
  const ddb = createDynamoClient(env);
  const cmd = () =>
    new UpdateItemCommand({
      TableName: tableName(STATE_TABLE, env),
      Key: { pk: { S: 'bench#probe' }, sk: { S: 'probe' } },
      UpdateExpression: 'ADD n :one',
      ExpressionAttributeValues: { ':one': { N: '1' } },
    });
  try {
    for (let i = 0; i < 30; i++) await ddb.send(cmd());
    const latencyMs: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      await ddb.send(cmd());
      latencyMs.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    return { calls, latencyMs, cpuMicrosPerCall: (cpu.user + cpu.system) / calls };
  } finally {
    ddb.destroy();
  }
}

main().catch((e) => {
  process.send?.({ failed: String((e as Error)?.stack ?? e) } satisfies Reply);
  process.exitCode = 1;
});
