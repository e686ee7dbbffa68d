import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep as timerSleep, untilAborted } from './abort';
import { bodyFault, resetConnection } from './body-faults';
import { countTokens, generate, lastUserText } from './completion';
import { FaultStore, parseFaultSpec, type FaultSpec } from './faults';
import { errorBody, faultErrorBody, readBody, sendJson, type ErrorBody } from './http';
import { jitter, modelNames, modelProfile } from './models';
import { createBedrockSimulator } from './bedrock/simulator';
import { simulatedEmbedding } from './embedding-vectors';
import { writeHugeBody, writeStream } from './sse';
import { plannedToolCall } from './tool-calls';
import type { RequestRecord, SimulatedProviders, SimulatedProvidersOptions } from './types';

/** Real /models endpoints answer quickly; health probes should see that, scaled like the rest. */
const MODELS_LIST_MS = 60;
const MODEL_CREATED = 1_735_689_600;
/** Simulated OpenAI-compatible embedding models and their native vector length. */
const EMBEDDING_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
};

interface Exchange {
  res: ServerResponse;
  req: IncomingMessage;
  record: RequestRecord;
  requestId: string;
  /** Aborted when the client goes away or the server closes. */
  signal: AbortSignal;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function startSimulatedProviders(opts: SimulatedProvidersOptions = {}): Promise<SimulatedProviders> {
  const timeScale = opts.timeScale ?? 1;
  const sleep = opts.sleep ?? timerSleep;
  const faults = new FaultStore();
  const nextJitter = jitter();
  const closing = new AbortController();
  let log: RequestRecord[] = [];

  const respondJson = (ex: Exchange, status: number, body: unknown, headers: Record<string, string> = {}) => {
    ex.record.status = status;
    sendJson(ex.res, status, body, { ...headers, 'x-request-id': ex.requestId });
  };
  const respondError = (ex: Exchange, status: number, body: ErrorBody) => respondJson(ex, status, body);
  const bedrock = createBedrockSimulator({ faults, timeScale, nextJitter, sleep });

  /** Applies the request-level part of a fault; false when the fault (or a disconnect) ended the exchange. */
  async function preResponseFault(ex: Exchange, fault: FaultSpec | undefined): Promise<boolean> {
    if (!fault) return true;
    if (fault.latencyMs && !(await sleep(fault.latencyMs, ex.signal))) return false;
    if (fault.hang) {
      await untilAborted(ex.signal);
      return false;
    }
    if (fault.reset) {
      resetConnection(ex.res);
      return false;
    }
    if (fault.echoHeaders) {
      const headers = JSON.stringify(ex.req.headers);
      const where = `http://${ex.req.headers.host}${ex.req.url} (10.20.30.40:443, api.internal.example.com)`;
      respondJson(
        ex,
        fault.status ?? 400,
        errorBody(`Bad request to ${where}; headers received: ${headers}`, 'invalid_request_error'),
      );
      return false;
    }
    if (fault.hugeBodyBytes !== undefined) {
      ex.record.status = 200;
      await writeHugeBody(ex.res, fault.hugeBodyBytes, ex.record.stream, ex.signal);
      return false;
    }
    if (fault.status !== undefined) {
      // Error statuses answer without the model's latency: a rate limit or outage is decided before generation.
      respondJson(
        ex,
        fault.status,
        faultErrorBody(fault.status),
        fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
      );
      return false;
    }
    return true;
  }

  async function chatCompletions(ex: Exchange, req: IncomingMessage): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return respondError(
        ex,
        400,
        errorBody('We could not parse the JSON body of your request.', 'invalid_request_error'),
      );
    }
    if (!isObject(body)) {
      return respondError(ex, 400, errorBody('The request body must be a JSON object.', 'invalid_request_error'));
    }
    ex.record.body = body;
    ex.record.stream = body.stream === true;
    if (typeof body.model !== 'string' || body.model.length === 0) {
      return respondError(
        ex,
        400,
        errorBody('you must provide a model parameter', 'invalid_request_error', null, 'model'),
      );
    }
    const model = body.model;
    ex.record.model = model;
    const { messages } = body;
    if (!Array.isArray(messages) || messages.length === 0 || !messages.every(isObject)) {
      return respondError(
        ex,
        400,
        errorBody(
          "'messages' must be a non-empty array of message objects.",
          'invalid_request_error',
          null,
          'messages',
        ),
      );
    }
    // DeepSeek documents only `max_tokens` and ignores `max_completion_tokens`; OpenAI reads either.
    const maxTokensParam =
      body.max_completion_tokens != null && ex.record.provider !== 'deepseek' ? 'max_completion_tokens' : 'max_tokens';
    const maxTokens = body[maxTokensParam];
    if (maxTokens != null && !(typeof maxTokens === 'number' && Number.isInteger(maxTokens) && maxTokens > 0)) {
      return respondError(
        ex,
        400,
        errorBody(
          `Invalid '${maxTokensParam}': expected a positive integer.`,
          'invalid_request_error',
          null,
          maxTokensParam,
        ),
      );
    }

    const fault = faults.take({ provider: ex.record.provider, model });
    if (!(await preResponseFault(ex, fault))) return;
    const profile = modelProfile(model);
    if (!profile) {
      return respondError(
        ex,
        404,
        errorBody(
          `The model \`${model}\` does not exist or you do not have access to it.`,
          'invalid_request_error',
          'model_not_found',
        ),
      );
    }
    if (!(await sleep(profile.firstByteMs * timeScale * nextJitter(), ex.signal))) return;

    const generated = generate(model, messages, maxTokens ?? undefined, body);
    const toolCall = plannedToolCall(body, lastUserText(messages));
    if (toolCall) {
      generated.content = '';
      generated.finishReason = 'tool_calls';
      generated.completionTokens = countTokens(toolCall.name) + countTokens(toolCall.arguments);
    }
    const usage = {
      prompt_tokens: generated.promptTokens,
      completion_tokens: generated.completionTokens,
      total_tokens: generated.promptTokens + generated.completionTokens,
    };
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);

    const completion = {
      id,
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: 'fp_switchyard_sim',
      choices: [
        {
          index: 0,
          message: toolCall
            ? {
                role: 'assistant',
                content: null,
                refusal: null,
                tool_calls: [
                  {
                    id: toolCall.id,
                    type: 'function',
                    function: { name: toolCall.name, arguments: toolCall.arguments },
                  },
                ],
              }
            : { role: 'assistant', content: generated.content, refusal: null },
          logprobs: null,
          finish_reason: generated.finishReason,
        },
      ],
      usage,
    };
    ex.record.status = 200;
    const faulted = await bodyFault(
      ex.res,
      fault,
      { completion, stream: ex.record.stream, requestId: ex.requestId },
      ex.signal,
      sleep,
    );
    if (faulted === true) return;
    if (!ex.record.stream) return respondJson(ex, 200, completion);

    const streamOptions = body.stream_options;
    const includeUsage = isObject(streamOptions) && streamOptions.include_usage === true;
    if (faulted !== 'then-stream') {
      ex.res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-request-id': ex.requestId,
      });
      ex.res.flushHeaders();
    }
    await writeStream(
      ex.res,
      {
        id,
        created,
        model,
        content: generated.content,
        finishReason: generated.finishReason,
        usage: includeUsage ? usage : undefined,
        chunkDelayMs: fault?.chunkDelayMs ?? profile.chunkMs * timeScale,
        fault,
        ...(toolCall ? { toolCall } : {}),
      },
      ex.signal,
      sleep,
    );
  }

  /** OpenAI's POST /v1/embeddings with deterministic vectors (embedding-vectors.ts). */
  async function embeddings(ex: Exchange, req: IncomingMessage): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return respondError(
        ex,
        400,
        errorBody('We could not parse the JSON body of your request.', 'invalid_request_error'),
      );
    }
    if (!isObject(body) || typeof body.model !== 'string')
      return respondError(
        ex,
        400,
        errorBody('you must provide a model parameter', 'invalid_request_error', null, 'model'),
      );
    ex.record.body = body;
    ex.record.model = body.model;
    const fault = faults.take({ provider: ex.record.provider, model: body.model });
    if (!(await preResponseFault(ex, fault))) return;
    const native = EMBEDDING_DIMENSIONS[body.model];
    if (!native)
      return respondError(
        ex,
        404,
        errorBody(
          `The model \`${body.model}\` does not exist or you do not have access to it.`,
          'invalid_request_error',
          'model_not_found',
        ),
      );
    const input = body.input;
    const texts =
      typeof input === 'string'
        ? [input]
        : Array.isArray(input) && input.every((t) => typeof t === 'string')
          ? (input as string[])
          : Array.isArray(input) && input.every((t) => Array.isArray(t) || typeof t === 'number')
            ? // Token arrays: embedded by their ids' text form (deterministic all the same).
              (Array.isArray(input[0]) ? (input as number[][]) : [input as number[]]).map((t) => t.join(' '))
            : undefined;
    if (!texts || texts.length === 0)
      return respondError(
        ex,
        400,
        errorBody(
          "'input' must be a string, an array of strings or token arrays.",
          'invalid_request_error',
          null,
          'input',
        ),
      );
    const dims = typeof body.dimensions === 'number' ? body.dimensions : native;
    if (!Number.isInteger(dims) || dims < 1 || dims > native)
      return respondError(
        ex,
        400,
        errorBody(`'dimensions' must be between 1 and ${native}.`, 'invalid_request_error', null, 'dimensions'),
      );
    if (!(await sleep(40 * timeScale * nextJitter(), ex.signal))) return;
    const tokens = texts.reduce((n, t) => n + countTokens(t), 0);
    respondJson(ex, 200, {
      object: 'list',
      data: texts.map((t, index) => {
        const v = simulatedEmbedding(t, dims);
        return {
          object: 'embedding',
          index,
          embedding: body.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
        };
      }),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  async function listModels(ex: Exchange): Promise<void> {
    const fault = faults.take({ provider: ex.record.provider });
    if (!(await preResponseFault(ex, fault))) return;
    if (!(await sleep(MODELS_LIST_MS * timeScale * nextJitter(), ex.signal))) return;
    respondJson(ex, 200, {
      object: 'list',
      data: modelNames().map((id) => ({ id, object: 'model', created: MODEL_CREATED, owned_by: ex.record.provider })),
    });
  }

  async function admin(route: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (route === 'POST /_admin/faults') {
      let spec: FaultSpec | string;
      try {
        spec = parseFaultSpec(JSON.parse(await readBody(req)));
      } catch {
        spec = 'body must be JSON';
      }
      if (typeof spec === 'string') return sendJson(res, 400, errorBody(spec, 'invalid_request_error'));
      return sendJson(res, 200, { id: faults.add(spec) });
    }
    if (route === 'DELETE /_admin/faults') {
      faults.clear();
      res.writeHead(204).end();
      return;
    }
    if (route === 'GET /_admin/requests') return sendJson(res, 200, log);
    sendJson(res, 404, errorBody(`Invalid URL (${route})`, 'invalid_request_error'));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://sim').pathname;
    const [provider = '', ...rest] = path.split('/').filter((s) => s.length > 0);
    const route = `${req.method} /${rest.join('/')}`;
    if (provider === '_admin') return admin(`${req.method} ${path}`, req, res);

    // One controller per request, aborted when the client goes or the server closes. Not
    // AbortSignal.any() with the server's long-lived signal: on Node 20 that leaks ~60 bytes per
    // request (nodejs/node#55351), which a long soak shows.
    const gone = new AbortController();
    const onClosing = () => gone.abort();
    closing.signal.addEventListener('abort', onClosing, { once: true });
    res.on('close', () => {
      closing.signal.removeEventListener('abort', onClosing);
      gone.abort();
    });
    const ex: Exchange = {
      res,
      req,
      requestId: `req_${randomBytes(12).toString('hex')}`,
      signal: gone.signal,
      record: {
        provider,
        model: '',
        path,
        at: Date.now(),
        status: 0,
        authorization: req.headers.authorization,
        stream: false,
      },
    };
    log.push(ex.record);

    if (route === 'POST /v1/chat/completions') return chatCompletions(ex, req);
    if (route === 'POST /v1/embeddings') return embeddings(ex, req);
    // Bedrock runtime paths under the provider's prefix (its endpointUrl): /{provider}/model/{id}/{operation}
    if (req.method === 'POST' && rest.length === 3 && rest[0] === 'model') {
      let modelId = rest[1];
      try {
        modelId = decodeURIComponent(modelId);
      } catch {
        // keep it raw: the simulator answers ResourceNotFound
      }
      return bedrock(ex, req, modelId, rest[2]);
    }
    if (route === 'GET /v1/models') return listModels(ex);
    respondError(ex, 404, errorBody(`Invalid URL (${req.method} ${path})`, 'invalid_request_error'));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    port,
    baseUrlFor: (provider) => `${url}/${provider}/v1`,
    setFault(f) {
      const spec = parseFaultSpec(f);
      if (typeof spec === 'string') throw new Error(`invalid fault: ${spec}`);
      return faults.add(spec);
    },
    clearFaults: () => faults.clear(),
    requests: () => log.map((r) => ({ ...r })),
    resetRequests: () => {
      log = [];
    },
    close: async () => {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
