/** The pre-traffic check, its hook and its two AWS adapters, with fakes instead of AWS. */
import { InvokeWithResponseStreamCommand } from '@aws-sdk/client-lambda';
import { PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import defaultConfig from '../../config/switchyard.json';
import { createLifecycleReporter } from '../../functions/adapters/codedeploy/lifecycle-status';
import { createStreamingInvoker } from '../../functions/adapters/lambda/streaming-invoke';
import { compileConfig } from '../../functions/core/config/compile';
import {
  checkVersion,
  judge,
  planChecks,
  PRE_TRAFFIC_CALLER,
  syntheticEvent,
  type VersionInvoker,
} from '../../functions/pre-traffic/check-version';
import { REPORT_MARGIN_MS, runPreTrafficHook, type HookDeps } from '../../functions/pre-traffic/hook';
import { decodeHttpStream, type InvokedResponse } from '../../functions/pre-traffic/http-stream';
import { isPreTrafficInvocation } from '../../functions/router/pre-traffic-marker';
import { requestContextFrom } from '../../functions/router/request-context';
import {
  PRE_TRAFFIC_API_ID,
  PRE_TRAFFIC_HEADER,
  PRE_TRAFFIC_MARKER,
  isPreTrafficEvent,
} from '../../functions/contracts/pre-traffic';
import { createUnsetProviderProbe } from '../../functions/adapters/secrets/unset-providers';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';

const config = compileConfig(defaultConfig);

/** What a streaming handler writes: prelude JSON, 8 NUL bytes, body. */
function wire(statusCode: number, headers: Record<string, string>, body: string): Buffer {
  return Buffer.concat([Buffer.from(JSON.stringify({ statusCode, headers })), Buffer.alloc(8), Buffer.from(body)]);
}

const completion = JSON.stringify({ object: 'chat.completion', choices: [{ message: { content: 'OK' } }] });
const embeddingList = JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1] }] });
/** A 200 from `model`, in the shape of its API (embedding models answer a list of embeddings). */
const ok = (model: string): InvokedResponse => ({
  statusCode: 200,
  headers: { 'x-switchyard-model': model },
  body: config.models.get(model)?.kind === 'embedding' ? embeddingList : completion,
});
const error = (status: number, code: string, message: string): InvokedResponse => ({
  statusCode: status,
  headers: {},
  body: JSON.stringify({ error: { message, type: 'upstream_error', param: null, code } }),
});
const modelOf = (event: APIGatewayProxyEvent) => (JSON.parse(event.body!) as { model: string }).model;
const noSleep = async () => undefined;

describe('decodeHttpStream', () => {
  it('splits the prelude from the body and lower-cases header names', () => {
    const bytes = wire(502, { 'Content-Type': 'application/json', 'x-switchyard-model': 'gpt-4.1' }, '{"error":{}}');
    expect(decodeHttpStream(bytes)).toEqual({
      statusCode: 502,
      headers: { 'content-type': 'application/json', 'x-switchyard-model': 'gpt-4.1' },
      body: '{"error":{}}',
    });
  });

  it('treats bytes without a prelude as a 200 body, as Lambda does', () => {
    expect(decodeHttpStream(Buffer.from('plain'))).toEqual({ statusCode: 200, headers: {}, body: 'plain' });
  });
});

describe('synthetic requests', () => {
  it('checks every model alone (fallbacks off) and every route', () => {
    expect(planChecks(config)).toEqual([
      ...[...config.models.values()].map((m) => ({
        kind: 'model',
        name: m.id,
        ...(m.kind === 'embedding' ? { api: 'embeddings' } : {}),
      })),
      { kind: 'route', name: 'auto' },
      { kind: 'route', name: 'chat-default' },
    ]);
    const embedding = syntheticEvent({ kind: 'model', name: 'titan-embed-text-v2', api: 'embeddings' }, 'req-3');
    expect(embedding.path).toBe('/v1/embeddings');
    expect(JSON.parse(embedding.body!)).toEqual({ model: 'titan-embed-text-v2', input: 'OK' });
    // An embeddings check is not passed by a chat completion body, nor the reverse.
    const embeddingCheck = { kind: 'model' as const, name: 'titan-embed-text-v2', api: 'embeddings' as const };
    expect(judge(embeddingCheck, { statusCode: 200, headers: {}, body: completion })).toMatchObject({ ok: false });
    expect(judge(embeddingCheck, { statusCode: 200, headers: {}, body: embeddingList })).toMatchObject({ ok: true });
    expect(
      judge({ kind: 'model', name: 'gpt-4.1' }, { statusCode: 200, headers: {}, body: embeddingList }),
    ).toMatchObject({
      ok: false,
    });
    const model = syntheticEvent({ kind: 'model', name: 'gpt-4.1' }, 'req-1');
    expect(model.headers['x-switchyard-fallback']).toBe('off');
    expect(JSON.parse(model.body!)).toMatchObject({ model: 'gpt-4.1', max_tokens: 1 });
    expect(syntheticEvent({ kind: 'route', name: 'auto' }, 'req-2').headers['x-switchyard-fallback']).toBeUndefined();
  });

  it('reaches the router as an ordinary, non-admin caller named after the check', () => {
    const event = syntheticEvent({ kind: 'model', name: 'gpt-4.1' }, 'pre-traffic-d-1');
    const ctx = requestContextFrom(event, { functionVersion: '8' }, 0);
    expect(ctx).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      requestId: 'pre-traffic-d-1',
      functionVersion: '8',
    });
    expect(ctx.key).toMatchObject({ keyId: PRE_TRAFFIC_CALLER.keyId, admin: false });
  });
});

describe('judge', () => {
  const model = { kind: 'model' as const, name: 'gpt-4.1-turbo' };
  it('passes a chat completion answered by the model itself', () => {
    expect(judge(model, ok('gpt-4.1-turbo'))).toMatchObject({ ok: true });
  });

  it('fails a model that does not exist upstream, without retrying', () => {
    const v = judge(
      model,
      error(
        502,
        'upstream_model_not_found',
        'Gateway configuration error: upstream gpt-4.1-turbo says the model does not exist: The model `gpt-4.1-turbo` does not exist',
      ),
    );
    expect(v).toEqual({
      ok: false,
      retry: false,
      detail: expect.stringContaining('does not exist'),
      servedBy: undefined,
    });
  });

  it('retries transient failures, not credentials or client errors', () => {
    expect(judge(model, error(502, 'upstream_error', 'HTTP 500'))).toMatchObject({ ok: false, retry: true });
    expect(judge(model, error(503, 'upstream_unavailable', 'down'))).toMatchObject({ ok: false, retry: true });
    expect(judge(model, error(502, 'upstream_auth_failed', 'bad key'))).toMatchObject({ ok: false, retry: false });
    expect(judge(model, error(400, 'invalid_value', 'bad'))).toMatchObject({ ok: false, retry: false });
  });

  it('fails a 200 from another model or without a completion body', () => {
    expect(judge(model, ok('gpt-4.1'))).toMatchObject({
      ok: false,
      retry: false,
      detail: expect.stringContaining('answered by gpt-4.1'),
    });
    expect(judge(model, { statusCode: 200, headers: {}, body: 'hello' })).toMatchObject({ ok: false });
    // Routes may be answered by any of their models.
    expect(judge({ kind: 'route', name: 'auto' }, ok('gemini-2.5-flash'))).toMatchObject({ ok: true });
  });
});

describe('the pre-traffic marker', () => {
  const viaApiGateway = (headers: Record<string, string>, apiId = 'a1b2c3d4e5') =>
    ({
      ...syntheticEvent({ kind: 'model', name: 'gpt-4.1' }, 'r'),
      headers,
      multiValueHeaders: {},
      requestContext: { ...syntheticEvent({ kind: 'model', name: 'gpt-4.1' }, 'r').requestContext, apiId },
    }) as APIGatewayProxyEvent;

  it("marks the check's own direct invocations, and the router context carries it", () => {
    const event = syntheticEvent({ kind: 'model', name: 'gpt-4.1' }, 'r');
    expect(event.requestContext.apiId).toBe(PRE_TRAFFIC_API_ID);
    expect(event.headers[PRE_TRAFFIC_HEADER]).toBe(PRE_TRAFFIC_MARKER);
    expect(isPreTrafficEvent(event)).toBe(true);
    const ctx = requestContextFrom(event, { functionVersion: '7' }, 0);
    expect(ctx.preTraffic).toBe(true);
    expect(isPreTrafficInvocation(ctx)).toBe(true);
  });

  it('a client through API Gateway (or the local emulator) cannot set it, whatever headers it sends', () => {
    const forged = { [PRE_TRAFFIC_HEADER]: PRE_TRAFFIC_MARKER, 'X-Switchyard-Pre-Traffic': PRE_TRAFFIC_MARKER };
    for (const event of [viaApiGateway(forged), viaApiGateway(forged, 'local'), viaApiGateway({})]) {
      expect(isPreTrafficEvent(event)).toBe(false);
      expect(isPreTrafficInvocation(requestContextFrom(event, {}, 0))).toBe(false);
    }
    // API Gateway REST API ids are 10 lower-case letters and digits: never the marker's id.
    expect(PRE_TRAFFIC_API_ID).not.toMatch(/^[a-z0-9]{10}$/);
    // The right apiId without the marker header is not enough either.
    expect(isPreTrafficEvent(viaApiGateway({}, PRE_TRAFFIC_API_ID))).toBe(false);
    expect(isPreTrafficEvent(viaApiGateway({ [PRE_TRAFFIC_HEADER]: 'yes' }, PRE_TRAFFIC_API_ID))).toBe(false);
  });
});

describe('refusals for quota reasons and unset provider keys', () => {
  it('a 429 for budget, concurrency or rate limits is not a failure of the version, and is not retried', () => {
    const model = { kind: 'model' as const, name: 'gpt-4.1' };
    for (const code of ['insufficient_quota', 'concurrency_limit', 'rate_limit_exceeded', 'upstream_rate_limited'])
      expect(judge(model, error(429, code, 'not now'))).toMatchObject({ ok: true, skipped: 'quota' });
    // Any other 429 still counts.
    expect(judge(model, error(429, 'something_else', 'no'))).toMatchObject({ ok: false });
  });

  it('passes a version while the day’s budget is spent and gpt-4.1’s slots are all taken', async () => {
    const calls: string[] = [];
    const report = await checkVersion(
      config,
      async (event) => {
        const model = modelOf(event);
        calls.push(model);
        if (model === 'gpt-4.1') return error(429, 'concurrency_limit', 'gpt-4.1 has no free slot');
        return error(429, 'insufficient_quota', 'The global daily budget is spent.');
      },
      { requestTimeoutMs: 1000, sleep: noSleep },
    );
    expect(report.ok).toBe(true);
    expect(report.outcomes.every((o) => o.skipped === 'quota' && o.tries === 1)).toBe(true);
    expect(calls).toHaveLength(planChecks(config).length);
  });

  // deepseek-v3.2: one endpoint, on one provider (a model with another endpoint, as Claude with Bedrock, stays checked).
  it('skips models whose provider key was never set, unless the new version introduces them', async () => {
    const calls: string[] = [];
    const invoke: VersionInvoker = async (event) => {
      const model = modelOf(event);
      calls.push(model);
      const keyless = model === 'deepseek-v3.2';
      return keyless ? error(502, 'upstream_auth_failed', 'no key') : ok(model);
    };
    const serving = new Set([...config.models.keys(), ...config.routes.keys()]);
    const report = await checkVersion(config, invoke, {
      requestTimeoutMs: 1000,
      sleep: noSleep,
      unsetProviders: new Set(['deepseek']),
      servingModels: serving,
    });
    expect(report.ok).toBe(true);
    expect(report.outcomes.find((o) => o.name === 'deepseek-v3.2')).toMatchObject({
      ok: true,
      skipped: 'provider_key_unset',
      tries: 0,
      detail: expect.stringContaining('deepseek'),
    });
    expect(calls).not.toContain('deepseek-v3.2');
    // Routes that can reach keyed models are still checked.
    expect(calls).toEqual(expect.arrayContaining(['auto', 'chat-default']));

    // The same model, new in this version (the serving one does not know it): checked, and it fails.
    serving.delete('deepseek-v3.2');
    const introduced = await checkVersion(config, invoke, {
      requestTimeoutMs: 1000,
      sleep: noSleep,
      unsetProviders: new Set(['deepseek']),
      servingModels: serving,
    });
    expect(introduced.ok).toBe(false);
    expect(introduced.outcomes.find((o) => o.name === 'deepseek-v3.2')).toMatchObject({ ok: false });
  });

  it('the hook logs unset keys and carries on when a lookup fails', async () => {
    const logs: unknown[][] = [];
    const { status, report } = await runPreTrafficHook(
      { DeploymentId: 'd-1', LifecycleEventHookExecutionId: 'h' },
      {
        config: () => config,
        invoke: async (event) =>
          modelOf(event) === 'deepseek-v3.2' ? error(502, 'upstream_auth_failed', 'x') : ok(modelOf(event)),
        report: async () => undefined,
        log: (...args) => void logs.push(args),
        sleep: noSleep,
        unsetProviders: async () => new Set(['deepseek']),
        servingModels: async () => {
          throw new Error('alias unreachable');
        },
      },
    );
    // Serving models unknown: nothing counts as introduced, the keyless model is skipped.
    expect(status).toBe('Succeeded');
    expect(report!.outcomes.find((o) => o.name === 'deepseek-v3.2')?.skipped).toBe('provider_key_unset');
    expect(logs).toContainEqual([
      'info',
      'pre-traffic check: provider keys not set yet',
      expect.objectContaining({ providers: ['deepseek'] }),
    ]);
    expect(logs).toContainEqual([
      'error',
      "pre-traffic check: could not read the serving version's models",
      expect.anything(),
    ]);
  });

  it('finds unset provider keys from secret metadata: one version means never set', async () => {
    const sent: unknown[] = [];
    const probe = createUnsetProviderProbe(
      {
        send: (async (cmd: DescribeSecretCommand) => {
          sent.push(cmd);
          const versions: Record<string, Record<string, string[]>> = {
            'arn:openai': { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] },
            'arn:anthropic': { v1: ['AWSCURRENT'] },
          };
          return { VersionIdsToStages: versions[cmd.input.SecretId!] };
        }) as never,
      },
      { openai: 'arn:openai', anthropic: 'arn:anthropic' },
    );
    expect([...(await probe())]).toEqual(['anthropic']);
    expect(sent.every((c) => c instanceof DescribeSecretCommand)).toBe(true);
  });
});

describe('checkVersion', () => {
  it('passes when every model and route answers', async () => {
    const seen: string[] = [];
    const invoke: VersionInvoker = async (event) => {
      seen.push(modelOf(event));
      return ok(event.headers['x-switchyard-fallback'] ? modelOf(event) : 'gemini-2.5-flash');
    };
    const report = await checkVersion(config, invoke, { requestTimeoutMs: 1000, sleep: noSleep });
    expect(report.ok).toBe(true);
    expect(seen.sort()).toEqual([...config.models.keys(), ...config.routes.keys()].sort());
  });

  it('fails the version when one model is missing, and says which', async () => {
    const invoke: VersionInvoker = async (event) =>
      modelOf(event) === 'deepseek-v3.2'
        ? error(502, 'upstream_model_not_found', 'The model `deepseek-chat` does not exist')
        : ok(modelOf(event));
    const report = await checkVersion(config, invoke, { requestTimeoutMs: 1000, sleep: noSleep });
    expect(report.ok).toBe(false);
    expect(report.outcomes.filter((o) => !o.ok)).toEqual([
      expect.objectContaining({
        kind: 'model',
        name: 'deepseek-v3.2',
        status: 502,
        tries: 1,
        detail: expect.stringContaining('does not exist'),
      }),
    ]);
  });

  it('retries a transient failure once, and counts an invocation error as one', async () => {
    const calls = new Map<string, number>();
    const invoke: VersionInvoker = async (event) => {
      const m = modelOf(event);
      const n = (calls.get(m) ?? 0) + 1;
      calls.set(m, n);
      if (m === 'gpt-4.1' && n === 1) return error(503, 'upstream_error', 'overloaded');
      if (m === 'auto') throw new Error('Lambda.TooManyRequestsException');
      return ok(m === 'chat-default' ? 'gemini-2.5-flash' : m);
    };
    const report = await checkVersion(config, invoke, { requestTimeoutMs: 1000, sleep: noSleep });
    expect(report.outcomes.find((o) => o.name === 'gpt-4.1')).toMatchObject({ ok: true, tries: 2 });
    expect(report.outcomes.find((o) => o.name === 'auto')).toMatchObject({
      ok: false,
      tries: 2,
      detail: expect.stringContaining('TooManyRequests'),
    });
    expect(report.ok).toBe(false);
  });

  it('gives every synthetic request its own id under the prefix', async () => {
    const ids: string[] = [];
    await checkVersion(config, async (e) => (ids.push(e.requestContext.requestId), ok(modelOf(e))), {
      requestTimeoutMs: 1000,
      requestIdPrefix: 'pre-traffic-d-42',
    });
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^pre-traffic-d-42-\d+-1$/);
  });
});

describe('runPreTrafficHook', () => {
  const event = { DeploymentId: 'd-42', LifecycleEventHookExecutionId: 'hook-1' };
  const deps = (invoke: VersionInvoker, overrides: Partial<HookDeps> = {}) => {
    const reports: unknown[][] = [];
    const d: HookDeps = {
      config: () => config,
      invoke,
      report: async (...args) => void reports.push(args),
      log: () => undefined,
      sleep: noSleep,
      ...overrides,
    };
    return { d, reports };
  };

  it('reports Succeeded when the version passes', async () => {
    const { d, reports } = deps(async (e) => ok(modelOf(e)));
    await expect(runPreTrafficHook(event, d)).resolves.toMatchObject({ status: 'Succeeded' });
    expect(reports).toEqual([['d-42', 'hook-1', 'Succeeded']]);
  });

  it('reports Failed when a model fails, and when the check cannot even run', async () => {
    const failing = deps(async () => error(502, 'upstream_model_not_found', 'The model `gpt-4` does not exist'));
    await expect(runPreTrafficHook(event, failing.d)).resolves.toMatchObject({ status: 'Failed' });
    expect(failing.reports).toEqual([['d-42', 'hook-1', 'Failed']]);

    const broken = deps(async (e) => ok(modelOf(e)), {
      config: () => {
        throw new Error('invalid Switchyard config');
      },
    });
    await expect(runPreTrafficHook(event, broken.d)).resolves.toMatchObject({ status: 'Failed' });
    expect(broken.reports).toEqual([['d-42', 'hook-1', 'Failed']]);
  });

  it('reports Failed before the invocation runs out of time when a check hangs', async () => {
    const logs: unknown[][] = [];
    const hung: VersionInvoker = () => new Promise(() => undefined);
    // 80 ms left after the margin the report keeps back.
    const { d, reports } = deps(hung, { remainingMs: () => REPORT_MARGIN_MS + 80, log: (...a) => void logs.push(a) });
    await expect(runPreTrafficHook(event, d)).resolves.toMatchObject({ status: 'Failed' });
    expect(reports).toEqual([['d-42', 'hook-1', 'Failed']]);
    expect(JSON.stringify(logs)).toContain('did not finish');
  });

  it('succeeds without calling anything when the config turns the check off', async () => {
    const off = compileConfig({ ...defaultConfig, cutover: { preTraffic: { enabled: false } } });
    const invoke = jest.fn<ReturnType<VersionInvoker>, Parameters<VersionInvoker>>();
    const { d, reports } = deps(invoke, { config: () => off });
    await expect(runPreTrafficHook(event, d)).resolves.toMatchObject({ status: 'Succeeded' });
    expect(invoke).not.toHaveBeenCalled();
    expect(reports).toEqual([['d-42', 'hook-1', 'Succeeded']]);
  });
});

describe('AWS adapters', () => {
  it('invokes the qualified version with response streaming and collects the chunks', async () => {
    const bytes = wire(200, { 'x-switchyard-model': 'gpt-4.1' }, completion);
    const send = jest.fn(async (_cmd: unknown, _opts?: unknown) => ({
      EventStream: (async function* () {
        yield { PayloadChunk: { Payload: bytes.subarray(0, 10) } };
        yield { PayloadChunk: { Payload: bytes.subarray(10) } };
        yield { InvokeComplete: {} };
      })(),
    }));
    const invoke = createStreamingInvoker({ send } as never, 'arn:aws:lambda:us-east-1:1:function:router:8');
    const event = syntheticEvent({ kind: 'model', name: 'gpt-4.1' }, 'r');
    const out = decodeHttpStream(await invoke(event, new AbortController().signal));
    expect(out).toEqual({ statusCode: 200, headers: { 'x-switchyard-model': 'gpt-4.1' }, body: completion });
    const cmd = send.mock.calls[0][0] as InvokeWithResponseStreamCommand;
    expect(cmd).toBeInstanceOf(InvokeWithResponseStreamCommand);
    expect(cmd.input.FunctionName).toBe('arn:aws:lambda:us-east-1:1:function:router:8');
    expect(JSON.parse(Buffer.from(cmd.input.Payload as Uint8Array).toString())).toEqual(event);
    expect(send.mock.calls[0][1]).toMatchObject({ abortSignal: expect.anything() });
  });

  it('throws a function error reported at the end of the stream', async () => {
    const send = async () => ({
      EventStream: (async function* () {
        yield { InvokeComplete: { ErrorCode: 'Runtime.ExitError', ErrorDetails: 'crashed' } };
      })(),
    });
    const invoke = createStreamingInvoker({ send } as never, 'arn:fn:8');
    await expect(invoke({}, new AbortController().signal)).rejects.toThrow('Runtime.ExitError: crashed');
  });

  it('reports the hook status to CodeDeploy', async () => {
    const send = jest.fn(async (_cmd: unknown) => ({}));
    await createLifecycleReporter({ send } as never)('d-42', 'hook-1', 'Failed');
    const cmd = send.mock.calls[0][0] as PutLifecycleEventHookExecutionStatusCommand;
    expect(cmd).toBeInstanceOf(PutLifecycleEventHookExecutionStatusCommand);
    expect(cmd.input).toEqual({ deploymentId: 'd-42', lifecycleEventHookExecutionId: 'hook-1', status: 'Failed' });
  });
});
