/**
 * Fuzz: nothing a client can send makes the gateway answer a 5xx, and every error has its API's
 * shape with a JSON content type: OpenAI's `{"error":{"message","type","param","code"}}` for chat
 * completions, responses and everything else, Anthropic's `{"type":"error","error":{"type","message"}}`
 * for POST /v1/messages and /v1/messages/count_tokens (except what API Gateway answers itself).
 *
 * Requests go through the local runtime over real HTTP on 127.0.0.1: the API Gateway emulator
 * (routing, body limit, authorizer with its cache), the REQUEST authorizer, the streaming router and
 * the simulated providers, as `npm start` runs them. One share (proxy events an HTTP client cannot
 * shape: base64 flags, null or multi-value-only headers, stage-prefixed paths) invokes the same
 * streaming router handler in-process. Generators describe big inputs (`[unit, times]`) instead of
 * holding them, so a failing case prints small.
 *
 * Fixed seeds: FUZZ_SEED=<n> reproduces a run; fast-check's failure message names the seed and path.
 * Left out on purpose: HTTP framing (invalid methods, content-length, transfer-encoding, host,
 * expect), which Node's HTTP parser (API Gateway's front end on AWS) refuses before any of our code.
 */
import { Buffer } from 'node:buffer';
import http from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { DEMO_KEY, type LocalGateway } from '../../local/gateway';
import { localVersionInvoker } from '../../local/cutover/invoke-local';
import type { StreamingHandler } from '../../local/lambda-streaming';
import { startTestGateway } from '../helpers/local-gateway';

const SEED = Number(process.env.FUZZ_SEED ?? 20_251_123);
const API_GATEWAY_MAX_PAYLOAD = 10 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Bookkeeping: every request counts as a case; the summary is printed once at the end.

const tally = { http: 0, inProcess: 0, serverErrors: 0, byStatus: new Map<number, number>() };
const startedAt = Date.now();

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

interface Sent {
  method: string;
  path: string;
  /** A short description of what was sent, for the failure message. */
  what: string;
}

/** Which error shape and event vocabulary a path answers in. */
type Shape = 'openai' | 'anthropic' | 'responses';

/**
 * The client API a request belongs to: POSTs to the Messages paths (stage prefix and trailing slash
 * as the router strips them). Other methods there are refused by API Gateway or the router's method
 * check, in OpenAI's shape like every unknown route.
 */
function shapeOf(method: string, path: string): Shape {
  const p = path.split(/[?#]/)[0].replace(/\/+$/, '');
  if (method.toUpperCase() === 'POST' && /\/v1\/messages(\/count_tokens)?$/.test(p)) return 'anthropic';
  return 'openai';
}

/** The per-case assertions. Throws (fast-check reports the seed and the generated spec). */
function check(sent: Sent, res: Answer, shape: Shape = shapeOf(sent.method, sent.path)): void {
  tally.byStatus.set(res.status, (tally.byStatus.get(res.status) ?? 0) + 1);
  const where = `${sent.method} ${sent.path.slice(0, 200)} [${sent.what.slice(0, 300)}] -> ${res.status} ${res.body.slice(0, 400)}`;
  if (res.status >= 500) {
    tally.serverErrors++;
    throw new Error(`server error for client input: ${where}`);
  }
  if (sent.method === 'HEAD') return; // no body by definition
  if (res.status >= 400) {
    if (!res.contentType.startsWith('application/json'))
      throw new Error(`error without a JSON content type (${res.contentType}): ${where}`);
    // API Gateway itself (authorizer denials, unknown resources) answers in OpenAI's shape on every path.
    if (shape === 'anthropic' && !(API_GATEWAY_STATUSES.has(res.status) && isOpenAiError(res.body)))
      assertAnthropicError(res.body, where);
    else assertOpenAiError(res.body, where);
  } else if (res.contentType.startsWith('application/json')) {
    JSON.parse(res.body);
  } else if (/^text\/(html|css|javascript)/.test(res.contentType)) {
    // The console's static files (GET /console...); anything else in these types is a bug.
    if (!/\/console(\/app\.(js|css))?\/?$/.test(sent.path.replace(/[?#].*$/, '')))
      throw new Error(`static content type outside /console: ${where}`);
  } else if (res.contentType.startsWith('text/event-stream')) {
    for (const line of res.body.split('\n')) {
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
      const event = JSON.parse(line.slice(6));
      // Simulated upstreams without faults never fail mid-stream: an error event is the gateway's.
      if (event.error || event.type === 'error' || event.type === 'response.failed')
        throw new Error(`stream ended in an error event: ${where}`);
    }
  } else {
    throw new Error(`unexpected content type ${res.contentType}: ${where}`);
  }
}

/** Statuses API Gateway answers itself, before the router (and so in OpenAI's shape on every path). */
const API_GATEWAY_STATUSES = new Set([401, 403, 404]);

function isOpenAiError(body: string): boolean {
  try {
    assertOpenAiError(body, '');
    return true;
  } catch {
    return false;
  }
}

const ANTHROPIC_ERROR_TYPES = new Set([
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'rate_limit_error',
  'api_error',
  'timeout_error',
  'overloaded_error',
]);

function assertAnthropicError(body: string, where: string): void {
  let parsed: any;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`error body is not JSON: ${where}`);
  }
  const e = parsed?.error;
  const ok =
    parsed !== null &&
    typeof parsed === 'object' &&
    Object.keys(parsed).sort().join() === 'error,type' &&
    parsed.type === 'error' &&
    e !== null &&
    typeof e === 'object' &&
    // The router's own errors, or API Gateway's, whose one body also carries OpenAI's param and code.
    ['message,type', 'code,message,param,type'].includes(Object.keys(e).sort().join()) &&
    typeof e.message === 'string' &&
    e.message.length > 0 &&
    ANTHROPIC_ERROR_TYPES.has(e.type);
  if (!ok) throw new Error(`error body is not in Anthropic's shape: ${where}`);
}

function assertOpenAiError(body: string, where: string): void {
  let parsed: any;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`error body is not JSON: ${where}`);
  }
  const e = parsed?.error;
  const ok =
    parsed !== null &&
    typeof parsed === 'object' &&
    // The router's own errors, or API Gateway's, whose one body also carries Anthropic's envelope.
    (Object.keys(parsed).join() === 'error' ||
      (Object.keys(parsed).sort().join() === 'error,type' && parsed.type === 'error')) &&
    e !== null &&
    typeof e === 'object' &&
    Object.keys(e).sort().join() === 'code,message,param,type' &&
    typeof e.message === 'string' &&
    e.message.length > 0 &&
    typeof e.type === 'string' &&
    (e.param === null || typeof e.param === 'string') &&
    (e.code === null || typeof e.code === 'string');
  if (!ok) throw new Error(`error body is not in OpenAI's shape: ${where}`);
}

// ---------------------------------------------------------------------------------------------
// Transport: node:http with a keep-alive agent (fetch would normalise paths and refuse bytes).

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function send(
  gw: LocalGateway,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // An explicit length for every body: Node sends GET/DELETE/OPTIONS bodies unframed otherwise.
    const framed = body === undefined ? headers : { ...headers, 'content-length': String(body.length) };
    const req = http.request(
      { host: '127.0.0.1', port: gw.emulator.port, method, path, headers: framed, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error(`no answer in 20 s: ${method} ${path.slice(0, 200)}`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function sendChecked(
  gw: LocalGateway,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body: Buffer | undefined,
  what: string,
): Promise<Answer> {
  tally.http++;
  const res = await send(gw, method, path, headers, body);
  check({ method, path, what }, res);
  return res;
}

// ---------------------------------------------------------------------------------------------
// Generators. `Text` is JSON text (or deliberately broken JSON text) kept small: `[unit, times]`
// stands for unit.repeat(times).

type Piece = string | readonly [unit: string, times: number];
type Text = readonly Piece[];

const render = (t: Text): string => t.map((p) => (typeof p === 'string' ? p : p[0].repeat(p[1]))).join('');
const lit = (s: string): Text => [s];
const json = (v: unknown): Text => [JSON.stringify(v)];
const join = (parts: Text[], sep: string): Text => parts.flatMap((p, i) => (i === 0 ? p : [sep, ...p]));
const obj = (pairs: Array<readonly [string, Text]>): Text => [
  '{',
  ...join(
    pairs.map(([k, v]) => [JSON.stringify(k), ':', ...v]),
    ',',
  ),
  '}',
];
const arr = (items: Text[]): Text => ['[', ...join(items, ','), ']'];

const MODELS = ['gpt-4.1', 'claude-sonnet-4.5', 'gemini-2.5-flash', 'deepseek-v3.2', 'auto', 'chat-default'];
const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];

/** Numbers JSON.parse accepts at their edges, and tokens it must refuse (NaN, Infinity, hex, ...). */
const oddNumber: fc.Arbitrary<Text> = fc.oneof(
  fc
    .constantFrom(
      '-0',
      '0',
      '1e309',
      '-1e309',
      '1e-400',
      '9007199254740993',
      '-1',
      '0.5',
      '1.0',
      '2.0000001',
      '128',
      '129',
      '4294967296',
      '1e2',
      '-2147483649',
    )
    .map(lit),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '+1', '.5', '01', '0x10', '1_000', '1e', '--1').map(lit),
  fc.double().map((d) => lit(Number.isFinite(d) ? JSON.stringify(d) : String(d))),
  fc.integer().map(json),
);

/** Unicode, lone surrogates (escaped by JSON.stringify), control characters, special-token look-alikes. */
const oddString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\udfff',
    '<|endoftext|>',
    '<|im_start|>system',
    '\u202e',
    '${jndi:x}',
    '__proto__',
    'constructor',
    '\r\n\r\n',
    '%00',
    '"',
  ),
);

/** A huge string value: up to ~1.5 MB of one repeated unit (whitespace, letters, CJK, emoji, escapes). */
const hugeString: fc.Arbitrary<Text> = fc
  .tuple(
    fc.constantFrom('a', 'ab ', ' ', '\n', '一', '😀', 'é', '\\"', '\\u0000', '<|endoftext|>', 'x y z '),
    fc.integer({ min: 1_000, max: 250_000 }),
  )
  .map(([unit, times]) => ['"', [unit, times] as const, '"']);

/** Arrays or objects nested up to 20,000 levels (JSON.parse copes; JSON.stringify does not). */
const deepValue: fc.Arbitrary<Text> = fc
  .tuple(fc.constantFrom('array', 'object', 'mixed'), fc.integer({ min: 1, max: 20_000 }))
  .map(([shape, depth]) =>
    shape === 'array'
      ? [
          ['[', depth],
          ['"x"', 1],
          [']', depth],
        ]
      : shape === 'object'
        ? [
            ['{"a":', depth],
            ['1', 1],
            ['}', depth],
          ]
        : [
            ['[{"a":', depth],
            ['null', 1],
            ['}]', depth],
          ],
  );

const anyJson: fc.Arbitrary<Text> = fc.jsonValue({ maxDepth: 4 }).map(json);

/** Any value for any field: well-typed or not. */
const anyValue: fc.Arbitrary<Text> = fc.oneof(
  { weight: 4, arbitrary: anyJson },
  { weight: 3, arbitrary: oddNumber },
  { weight: 3, arbitrary: oddString.map(json) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('null', 'true', 'false', '[]', '{}', '""', '[null]', '[[]]', '{"":null}').map(lit),
  },
);

const contentPart: fc.Arbitrary<Text> = fc.oneof(
  fc.record({ type: fc.constant('text'), text: oddString }).map(json),
  fc
    .record(
      {
        type: fc.constantFrom('image_url', 'input_audio', 'file', 'refusal', ''),
        image_url: fc.record({ url: oddString }),
      },
      { requiredKeys: ['type'] },
    )
    .map(json),
  anyValue,
);

const content: fc.Arbitrary<Text> = fc.oneof(
  { weight: 5, arbitrary: oddString.map(json) },
  { weight: 2, arbitrary: fc.array(contentPart, { maxLength: 4 }).map(arr) },
  { weight: 1, arbitrary: hugeString },
  { weight: 2, arbitrary: anyValue },
);

const message: fc.Arbitrary<Text> = fc
  .record(
    {
      role: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...ROLES).map(json) },
        { weight: 2, arbitrary: oddString.map(json) },
        { weight: 1, arbitrary: anyValue },
      ),
      content,
      name: fc.oneof(oddString.map(json), anyValue),
      tool_calls: anyValue,
      tool_call_id: oddString.map(json),
      extra: anyValue,
    },
    { requiredKeys: [] },
  )
  .map((m) => obj(Object.entries(m)));

const messages: fc.Arbitrary<Text> = fc.oneof(
  { weight: 8, arbitrary: fc.array(message, { minLength: 1, maxLength: 5 }).map(arr) },
  { weight: 1, arbitrary: fc.constant(lit('[]')) },
  { weight: 1, arbitrary: anyValue },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...ROLES), fc.integer({ min: 50, max: 3_000 }))
      .map(
        ([role, n]) =>
          ['[', [`${JSON.stringify({ role, content: 'again' })},`, n], '{"role":"user","content":"hi"}]'] as Text,
      ),
  },
);

const validMessages: Text = json([{ role: 'user', content: 'hi' }]);

/** A chat body: a valid base, then fields added, broken, repeated (duplicate keys: the last wins) or removed. */
const chatBody: fc.Arbitrary<Text> = fc
  .record({
    model: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...MODELS).map(json) },
      { weight: 2, arbitrary: oddString.map(json) },
      { weight: 2, arbitrary: anyValue },
      { weight: 1, arbitrary: hugeString },
    ),
    messages: fc.oneof({ weight: 3, arbitrary: fc.constant(validMessages) }, { weight: 5, arbitrary: messages }),
    drop: fc.constantFrom('none', 'none', 'none', 'model', 'messages', 'both'),
    extra: fc.array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom(
            'model',
            'messages',
            'stream',
            'stream_options',
            'max_tokens',
            'max_completion_tokens',
            'n',
            'temperature',
            'top_p',
            'tools',
            'tool_choice',
            'response_format',
            'user',
            'seed',
            'logit_bias',
            'metadata',
            '__proto__',
            'constructor',
          ),
          oddString,
        ),
        fc.oneof(
          { weight: 6, arbitrary: anyValue },
          {
            weight: 1,
            arbitrary: fc
              .constantFrom(
                'true',
                'false',
                '{"include_usage":true}',
                '[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]',
                '{"type":"json_object"}',
              )
              .map(lit),
          },
          { weight: 1, arbitrary: deepValue },
          { weight: 1, arbitrary: hugeString },
        ),
      ),
      { maxLength: 5 },
    ),
  })
  .map(({ model, messages: msgs, drop, extra }) => {
    const pairs: Array<readonly [string, Text]> = [];
    if (drop !== 'model' && drop !== 'both') pairs.push(['model', model]);
    if (drop !== 'messages' && drop !== 'both') pairs.push(['messages', msgs]);
    return obj([...pairs, ...extra]);
  });

// Anthropic Messages and OpenAI Responses bodies: valid bases with every block / item type, then
// fields broken, added or removed like the chat bodies.

const ALIASES = ['claude-sonnet-4-5-20250929', 'claude-haiku-4-5-20251001', 'claude-opus-4-1', 'claude-3-5-haiku-x'];

const withExtras = (base: Array<readonly [string, Text]>, extras: Array<readonly [string, Text]>, drop: string[]) =>
  obj([...base.filter(([k]) => !drop.includes(k)), ...extras]);

const extraField = (names: string[]) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant([] as Array<[string, Text]>) },
    { weight: 1, arbitrary: extraFields(names) },
  );

const extraFields = (names: string[]) =>
  fc.array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...names), oddString),
      fc.oneof(
        { weight: 6, arbitrary: anyValue },
        { weight: 1, arbitrary: deepValue },
        { weight: 1, arbitrary: hugeString },
      ),
    ),
    { maxLength: 4 },
  );

const anthropicBlock: fc.Arbitrary<Text> = fc.oneof(
  fc.record({ type: fc.constant('text'), text: oddString }).map(json),
  fc
    .record(
      {
        type: fc.constant('image'),
        source: fc.record(
          {
            type: fc.constantFrom('base64', 'url', 'file', ''),
            media_type: fc.constantFrom('image/png', 'image/jpeg', 'image/bmp', ''),
            data: oddString,
            url: oddString,
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['type'] },
    )
    .map(json),
  fc
    .record(
      { type: fc.constant('tool_use'), id: oddString, name: oddString, input: fc.jsonValue({ maxDepth: 3 }) },
      { requiredKeys: ['type'] },
    )
    .map(json),
  fc
    .record(
      {
        type: fc.constant('tool_result'),
        tool_use_id: oddString,
        content: fc.oneof(
          oddString,
          fc.array(fc.record({ type: fc.constantFrom('text', 'image', 'x'), text: oddString })),
        ),
        is_error: fc.boolean(),
      },
      { requiredKeys: ['type'] },
    )
    .map(json),
  fc
    .record({ type: fc.constantFrom('thinking', 'redacted_thinking'), thinking: oddString, signature: oddString })
    .map(json),
  fc
    .record({
      type: fc.constantFrom('document', 'server_tool_use', 'search_result', '', 'x'),
      source: anyJson.map(render),
    })
    .map(json),
  anyValue,
);

const anthropicMessage: fc.Arbitrary<Text> = fc
  .record(
    {
      role: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('user', 'assistant').map(json) },
        { weight: 1, arbitrary: anyValue },
      ),
      content: fc.oneof(
        { weight: 3, arbitrary: oddString.map(json) },
        { weight: 4, arbitrary: fc.array(anthropicBlock, { maxLength: 4 }).map(arr) },
        { weight: 1, arbitrary: anyValue },
      ),
    },
    { requiredKeys: [] },
  )
  .map((m) => obj(Object.entries(m)));

const messagesBody: fc.Arbitrary<Text> = fc
  .record({
    model: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...MODELS, ...ALIASES).map(json) },
      { weight: 1, arbitrary: anyValue },
    ),
    max_tokens: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 400 }).map(json) },
      { weight: 1, arbitrary: oddNumber },
    ),
    messages: fc.oneof(
      { weight: 3, arbitrary: fc.constant(validMessages) },
      { weight: 5, arbitrary: fc.array(anthropicMessage, { minLength: 1, maxLength: 4 }).map(arr) },
      { weight: 1, arbitrary: anyValue },
    ),
    drop: fc.constantFrom('none', 'none', 'none', 'model', 'messages', 'max_tokens'),
    extras: extraField([
      'system',
      'tools',
      'tool_choice',
      'stop_sequences',
      'temperature',
      'top_p',
      'top_k',
      'metadata',
      'thinking',
      'stream',
      'service_tier',
    ]),
    tools: fc.option(
      fc.constantFrom(
        '[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]',
        '[{"name":"web","type":"web_search_20250305"}]',
        '[{"name":""}]',
      ),
    ),
  })
  .map(({ model, max_tokens, messages: m, drop, extras, tools }) =>
    withExtras(
      [
        ['model', model],
        ['max_tokens', max_tokens],
        ['messages', m],
        ...(tools ? ([['tools', lit(tools)]] as const) : []),
      ],
      extras,
      [drop],
    ),
  );

const responsesItem: fc.Arbitrary<Text> = fc.oneof(
  fc
    .record(
      {
        type: fc.constantFrom('message', undefined),
        role: fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool', ''),
        content: fc.oneof(
          oddString,
          fc.array(
            fc.record(
              {
                type: fc.constantFrom('input_text', 'output_text', 'input_image', 'input_file', 'refusal', ''),
                text: oddString,
                image_url: oddString,
                file_id: oddString,
                refusal: oddString,
              },
              { requiredKeys: ['type'] },
            ),
            { maxLength: 3 },
          ),
        ),
      },
      { requiredKeys: ['role'] },
    )
    .map(json),
  fc
    .record(
      { type: fc.constant('function_call'), call_id: oddString, name: oddString, arguments: oddString },
      { requiredKeys: ['type'] },
    )
    .map(json),
  fc
    .record(
      {
        type: fc.constant('function_call_output'),
        call_id: oddString,
        output: fc.oneof(oddString, fc.array(fc.record({ type: fc.constantFrom('input_text', 'x'), text: oddString }))),
      },
      { requiredKeys: ['type'] },
    )
    .map(json),
  fc.record({ type: fc.constantFrom('reasoning', 'item_reference', 'web_search_call', 'x'), id: oddString }).map(json),
  anyValue,
);

const responsesBody: fc.Arbitrary<Text> = fc
  .record({
    model: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...MODELS, ...ALIASES).map(json) },
      { weight: 1, arbitrary: anyValue },
    ),
    input: fc.oneof(
      { weight: 3, arbitrary: oddString.map(json) },
      { weight: 5, arbitrary: fc.array(responsesItem, { minLength: 1, maxLength: 5 }).map(arr) },
      { weight: 1, arbitrary: anyValue },
    ),
    drop: fc.constantFrom('none', 'none', 'none', 'model', 'input'),
    extras: extraField([
      'instructions',
      'tools',
      'tool_choice',
      'max_output_tokens',
      'temperature',
      'top_p',
      'text',
      'store',
      'previous_response_id',
      'conversation',
      'background',
      'parallel_tool_calls',
      'reasoning',
      'include',
      'stream',
    ]),
    tools: fc.option(
      fc.constantFrom(
        '[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]',
        '[{"type":"web_search"}]',
        '[{"type":"function"}]',
      ),
    ),
  })
  .map(({ model, input, drop, extras, tools }) =>
    withExtras([['model', model], ['input', input], ...(tools ? ([['tools', lit(tools)]] as const) : [])], extras, [
      drop,
    ]),
  );

const auth = (gw: LocalGateway) => ({ authorization: `Bearer ${gw.demoKey}` });

// ---------------------------------------------------------------------------------------------

describe(`client input fuzz (seed ${SEED}; FUZZ_SEED=<n> to change)`, () => {
  let gw: LocalGateway;
  /** The same gateway with keys also accepted in x-api-key (no API Gateway authorizer cache). */
  let gwXApiKey: LocalGateway;

  beforeAll(async () => {
    // The stack's 60 s authorizer cache; near-instant simulated upstreams.
    [gw, gwXApiKey] = await Promise.all([
      startTestGateway(undefined, { timeScale: 0.001, authorizerCacheTtlMs: 60_000 }),
      startTestGateway(undefined, { timeScale: 0.001, keyHeaderMode: 'authorization-or-x-api-key' }),
    ]);
  }, 30_000);

  afterAll(async () => {
    agent.destroy();
    await Promise.all([gw?.close(), gwXApiKey?.close()]);
    const statuses = [...tally.byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}:${n}`)
      .join(' ');
    console.log(
      `fuzz: ${tally.http + tally.inProcess} cases (${tally.http} over HTTP, ${tally.inProcess} in-process), ` +
        `${tally.serverErrors} server errors, ${((Date.now() - startedAt) / 1000).toFixed(1)} s, seed ${SEED}\nstatuses ${statuses}`,
    );
  });

  const opts = (k: number, numRuns: number) => ({ seed: SEED + k, numRuns, endOnFailure: true });

  it('chat bodies: wrong types, odd numbers, unknown roles, empty messages, duplicate keys', async () => {
    await fc.assert(
      fc.asyncProperty(chatBody, fc.boolean(), async (body, stream) => {
        const text = render(body);
        // Half the cases ask for a stream through a header-free body edit: the last `stream` key wins.
        const sent = stream && text.endsWith('}') && text.length > 2 ? `${text.slice(0, -1)},"stream":true}` : text;
        await sendChecked(
          gw,
          'POST',
          '/v1/chat/completions',
          { ...auth(gw), 'content-type': 'application/json' },
          Buffer.from(sent),
          sent.slice(0, 300),
        );
      }),
      opts(1, 1_900),
    );
  }, 120_000);

  /** A well-formed request of each API around any text, so a share of the cases is served end to end. */
  const validMessagesBody = fc.tuple(fc.constantFrom(...MODELS, ...ALIASES), oddString).map(([model, text]) => ({
    model,
    max_tokens: 60,
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
  }));
  const validResponsesBody = fc
    .tuple(fc.constantFrom(...MODELS, ...ALIASES), oddString)
    .map(([model, text]) => ({ model, input: [{ role: 'user', content: [{ type: 'input_text', text }] }] }));

  it.each([
    ['/v1/messages', messagesBody, validMessagesBody, 11],
    ['/v1/messages/count_tokens', messagesBody, validMessagesBody, 12],
    ['/v1/responses', responsesBody, validResponsesBody, 13],
  ] as const)(
    '%s bodies: every block / item type, broken fields, stateful fields, raw bytes',
    async (path, bodies, valid, k) => {
      const raw = fc.oneof(
        {
          weight: 6,
          arbitrary: fc.tuple(bodies, fc.boolean()).map(([b, stream]) => ({ kind: 'body', text: render(b), stream })),
        },
        {
          weight: 2,
          arbitrary: fc
            .tuple(valid, fc.boolean())
            .map(([b, stream]) => ({ kind: 'valid', text: JSON.stringify(b), stream })),
        },
        {
          weight: 1,
          arbitrary: fc
            .oneof(
              fc.string(),
              fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
            )
            .map((text) => ({
              kind: 'raw',
              text,
              stream: false,
            })),
        },
        {
          weight: 1,
          arbitrary: deepValue.map((d) => ({
            kind: 'deep',
            text: render(
              obj([
                ['model', json('gpt-4.1')],
                ['max_tokens', lit('5')],
                ['input', d],
                ['messages', d],
              ]),
            ),
            stream: false,
          })),
        },
      );
      let served = 0;
      await fc.assert(
        fc.asyncProperty(raw, async ({ kind, text, stream }) => {
          const sent = stream && text.endsWith('}') && text.length > 2 ? `${text.slice(0, -1)},"stream":true}` : text;
          const res = await sendChecked(
            gw,
            'POST',
            path,
            { ...auth(gw), 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
            Buffer.from(sent),
            `${kind}: ${sent.slice(0, 300)}`,
          );
          if (res.status === 200) served++;
        }),
        opts(k, 450),
      );
      // Not only validation: a share of the generated requests is served end to end.
      expect(served).toBeGreaterThan(40);
    },
    180_000,
  );

  it('raw bodies: any string, any JSON, invalid UTF-8 bytes, empty and absent bodies, odd content types', async () => {
    const rawBody = fc.oneof(
      fc.string().map((s) => ({ kind: 'string', bytes: Buffer.from(s) })),
      fc.jsonValue().map((v) => ({ kind: 'json', bytes: Buffer.from(JSON.stringify(v) ?? '') })),
      fc.uint8Array({ maxLength: 512 }).map((b) => ({ kind: 'bytes', bytes: Buffer.from(b) })),
      // A valid request whose text carries invalid UTF-8 (API Gateway passes it on as text).
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({
        kind: 'utf8-in-json',
        bytes: Buffer.concat([
          Buffer.from('{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"'),
          Buffer.from(b).filter((x) => x !== 0x22 && x !== 0x5c && x >= 0x20),
          Buffer.from('"}]}'),
        ]),
      })),
      fc
        .constantFrom(
          '',
          ' ',
          'null',
          '[]',
          '{}',
          '""',
          '{"model":"gpt-4.1"}',
          '\ufeff{}',
          '{"messages":[{"role":"user","content":"x"}]}',
        )
        .map((s) => ({ kind: 'fixed', bytes: Buffer.from(s) })),
      fc.constant({ kind: 'absent', bytes: undefined as Buffer | undefined }),
    );
    const contentType = fc.option(
      fc.oneof(
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'application/json; charset=latin1',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/octet-stream',
          'image/png',
          '*/*',
          ';;;',
          'application/json, text/plain',
        ),
        fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(rawBody, contentType, async ({ kind, bytes }, ct) => {
        const headers: Record<string, string> = { ...auth(gw) };
        if (ct !== null) headers['content-type'] = ct;
        await sendChecked(
          gw,
          'POST',
          '/v1/chat/completions',
          headers,
          bytes,
          `${kind} ${ct} ${bytes?.toString('latin1').slice(0, 200)}`,
        );
      }),
      opts(2, 900),
    );
  }, 120_000);

  it('big and deep: huge strings, 20k-level nesting, many messages, bodies over the gateway limit and API Gateway`s 10 MB', async () => {
    const maxBody = gw.deps.config.settings.gateway.maxBodyBytes;
    const shape: fc.Arbitrary<{ kind: string; text: Text; expect?: number }> = fc.oneof(
      {
        weight: 4,
        arbitrary: hugeString.map((h) => ({
          kind: 'huge content',
          text: obj([
            ['model', json('gemini-2.5-flash')],
            ['messages', ['[{"role":"user","content":', ...h, '}]']],
          ]),
        })),
      },
      {
        weight: 4,
        arbitrary: deepValue.map((d) => ({
          kind: 'deep field',
          text: obj([
            ['model', json('deepseek-v3.2')],
            ['messages', validMessages],
            ['metadata', d],
          ]),
        })),
      },
      { weight: 2, arbitrary: deepValue.map((d) => ({ kind: 'deep body', text: d })) },
      {
        weight: 2,
        arbitrary: deepValue.map((d) => ({
          kind: 'deep tools',
          text: obj([
            ['model', json('auto')],
            ['messages', validMessages],
            ['tools', ['[{"type":"function","function":', ...d, '}]']],
          ]),
        })),
      },
      {
        weight: 2,
        arbitrary: messages.map((m) => ({
          kind: 'messages',
          text: obj([
            ['model', json('auto')],
            ['messages', m],
          ]),
        })),
      },
      {
        weight: 2,
        arbitrary: fc.integer({ min: 1, max: 64 * 1024 }).map((over) => ({
          kind: 'over maxBodyBytes',
          text: ['{"model":"gpt-4.1","messages":[{"role":"user","content":"', ['x', maxBody + over], '"}]}'] as Text,
          expect: 413,
        })),
      },
    );
    await fc.assert(
      fc.asyncProperty(shape, async (c) => {
        const text = render(c.text);
        const res = await sendChecked(
          gw,
          'POST',
          '/v1/chat/completions',
          { ...auth(gw), 'content-type': 'application/json' },
          Buffer.from(text),
          `${c.kind}, ${text.length} chars: ${text.slice(0, 150)}`,
        );
        if (c.expect !== undefined) expect(res.status).toBe(c.expect);
        if (Buffer.byteLength(text) > maxBody) expect(res.status).toBe(413);
      }),
      opts(3, 220),
    );
    // API Gateway's own hard limit (10 MB): refused before the authorizer or the router run.
    for (const size of [API_GATEWAY_MAX_PAYLOAD + 1, API_GATEWAY_MAX_PAYLOAD + 4096]) {
      const res = await sendChecked(
        gw,
        'POST',
        '/v1/chat/completions',
        { 'content-type': 'application/json' },
        Buffer.alloc(size, 0x78),
        `${size} bytes, no key`,
      );
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body).error.code).toBe('request_too_large');
    }
  }, 120_000);

  it('headers: odd, huge and duplicate authorization, x-api-key, x-budget-factor, content-type and others', async () => {
    const headerValue = fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 60 }) },
      // Bytes 0x80-0xff: not UTF-8 on the wire (obs-text), as a header may carry.
      {
        weight: 2,
        arbitrary: fc.string({
          unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
          maxLength: 20,
        }),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom('A', 'é', ' ', ','), fc.integer({ min: 1_000, max: 7_000 }))
          .map(([u, n]) => u.repeat(n)),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          '',
          ' ',
          'NaN',
          '-0',
          '0',
          '1',
          '0.5',
          '1e309',
          '-1e309',
          'Infinity',
          '-Infinity',
          '1e-400',
          '0x1',
          ' 0.3 ',
          '.',
          '1,0',
          'off',
          'OFF',
          'on',
          'null',
          'true',
          '[]',
        ),
      },
    );
    const authValue = (key: string) =>
      fc.oneof(
        fc.constantFrom(
          `Bearer ${key}`,
          `bearer ${key}`,
          `Bearer  ${key}`,
          `Bearer ${key} `,
          `Basic ${key}`,
          key,
          'Bearer',
          'Bearer ',
          `Bearer ${key}x`,
          `Bearer ${key.toUpperCase()}`,
          'Bearer sk-sy-',
          `Bearer ${'sk-sy-'.padEnd(70, 'a')}`,
        ),
        headerValue.map((v) => `Bearer ${v}`),
        headerValue,
      );
    const names = fc.constantFrom(
      'authorization',
      'Authorization',
      'x-api-key',
      'x-budget-factor',
      'content-type',
      'x-switchyard-fallback',
      'x-switchyard-region',
      'accept',
      'accept-encoding',
      'content-encoding',
      'x-request-id',
      'x-forwarded-for',
      'cookie',
      'openai-organization',
      'x-amzn-trace-id',
      'user-agent',
    );
    const headerSet = fc.array(
      fc.oneof(
        fc.tuple(names, headerValue),
        fc.tuple(fc.constantFrom('authorization', 'x-api-key'), authValue(DEMO_KEY)),
        fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/), headerValue),
      ),
      { maxLength: 8 },
    );
    const bodies = fc.constantFrom(
      JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }),
      JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }], stream: true }),
      JSON.stringify({ model: 'deepseek-v3.2', messages: [{ role: 'user', content: 'hi' }] }),
      JSON.stringify({ model: 'chat-default', messages: [{ role: 'user', content: 'summarize this' }] }),
      '{"model":1}',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        bodies,
        headerSet,
        async (xApiKeyMode, withKey, duplicateKey, body, set) => {
          const target = xApiKeyMode ? gwXApiKey : gw;
          // Duplicates become repeated header lines (the emulator keeps the last in `headers`, all in `multiValueHeaders`).
          const headers: Record<string, string | string[]> = withKey
            ? { authorization: `Bearer ${target.demoKey}` }
            : {};
          for (const [name, value] of set) {
            const existing = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
            const key = existing ?? name;
            headers[key] = existing && duplicateKey ? [headers[key]].flat().concat(value) : value;
          }
          await sendChecked(
            target,
            'POST',
            '/v1/chat/completions',
            headers,
            Buffer.from(body),
            JSON.stringify(headers).slice(0, 300),
          );
        },
      ),
      opts(4, 1_000),
    );
  }, 120_000);

  it('paths and methods: traversal, encoded and malformed escapes, `//`, query strings, unknown routes (404 in OpenAI shape)', async () => {
    const segment = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom(
          'v1',
          'chat',
          'completions',
          'models',
          'stats',
          'health',
          'gpt-4.1',
          'auto',
          'prod',
          'admin',
          'keys',
          'key_0123456789abcdef',
          'rotate',
          'console',
        ),
      },
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          '',
          '.',
          '..',
          '%2e%2e',
          '%2E',
          '%2F',
          '%2f..%2f',
          '%00',
          '%',
          '%zz',
          '%E0%A4%A',
          '%C3%A9',
          '%F0%9F%98%80',
          '%ff%fe',
          '{model+}',
          ';',
          ';jsessionid=1',
          '~',
          '*',
          '\\',
          '..\\..',
          '%5c',
          '@',
          ':',
          '+',
          '$',
          '!',
          '[',
          ']',
          '[::1]',
          'a:b',
          'user@host:99999',
        ),
      },
      { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@-]{1,20}$/) },
      {
        weight: 1,
        arbitrary: fc
          .uint8Array({ minLength: 1, maxLength: 6 })
          .map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('')),
      },
      { weight: 1, arbitrary: fc.integer({ min: 200, max: 4_000 }).map((n) => 'a'.repeat(n)) },
    );
    const known = fc.constantFrom(
      '/v1/chat/completions',
      '/v1/messages',
      '/v1/messages/count_tokens',
      '/v1/responses',
      '/prod/v1/messages',
      '/v1/models',
      '/v1/models/gpt-4.1',
      '/v1/models/auto',
      '/v1/models/meta/llama',
      '/v1/stats',
      '/health',
      '/v1',
      '/',
      '/prod/v1/models',
      '/v1/chat/completions/',
      '/V1/MODELS',
      '/v1/models/',
      '/v1/models/..',
      '/v1/models/../stats',
      '/v1//models',
      '/v1/admin/keys',
      '/v1/admin/keys/key_0123456789abcdef',
      '/v1/admin/keys/key_0123456789abcdef/revoke',
      '/v1/admin/keys/key_0123456789abcdef/rotate/x',
      '/v1/admin/state',
      '/v1/admin/requests',
      '/v1/admin/cutover',
      '/v1/admin/',
      '/console',
      '/console/',
      '/console/app.js',
      '/console/../v1/admin/keys',
    );
    const query = fc.oneof(
      fc.constant(''),
      fc.constantFrom(
        '?',
        '?&&==',
        '?a=1&a=2',
        '?key=sk-sy-secret',
        '?%',
        '?a=%E0%A4%A',
        '?model=gpt-4.1',
        '#frag',
        '?x=' + 'y'.repeat(3000),
      ),
      fc
        .array(fc.tuple(fc.stringMatching(/^[a-z%0-9]{0,8}$/), fc.stringMatching(/^[A-Za-z0-9%=+]{0,12}$/)), {
          maxLength: 4,
        })
        .map((ps) => `?${ps.map(([k, v]) => `${k}=${v}`).join('&')}`),
    );
    const path = fc.oneof(
      { weight: 2, arbitrary: known },
      {
        weight: 3,
        arbitrary: fc
          .tuple(
            fc.constantFrom('/', '//', '/prod/', '/v1/', '/v1/models/'),
            fc.array(segment, { minLength: 1, maxLength: 6 }),
          )
          .map(([prefix, segs]) => prefix + segs.join('/')),
      },
    );
    const method = fc.constantFrom(
      'GET',
      'GET',
      'POST',
      'POST',
      'PUT',
      'DELETE',
      'PATCH',
      'OPTIONS',
      'HEAD',
      'TRACE',
      'PROPFIND',
    );
    const body = fc.constantFrom(
      undefined,
      '',
      '{}',
      JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] }),
    );
    await fc.assert(
      fc.asyncProperty(method, path, query, body, fc.constantFrom('demo', 'none', 'wrong'), async (m, p, q, b, key) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (key === 'demo') headers.authorization = `Bearer ${gw.demoKey}`;
        if (key === 'wrong') headers.authorization = 'Bearer sk-sy-not-a-key';
        const res = await sendChecked(
          gw,
          m,
          p + q,
          headers,
          b === undefined ? undefined : Buffer.from(b),
          `key ${key}, body ${b?.slice(0, 60)}`,
        );
        // Outside /v1 and /health (and with nothing URL parsing could rewrite): API Gateway's
        // MISSING_AUTHENTICATION_TOKEN, which the stack renders as OpenAI's 404.
        if (!/^\/(v1|health|console$|console\/app\.)/.test(p) && !/[.%\\]/.test(p) && !p.startsWith('//'))
          expect(res.status).toBe(404);
        // Admin endpoints: never served to a caller without the demo (admin) key.
        if (key !== 'demo' && /^\/v1\/admin\//.test(p) && res.status < 400) throw new Error(`admin path served: ${p}`);
      }),
      opts(5, 1_000),
    );
  }, 120_000);

  it('proxy events in-process: base64 flags, null and multi-value-only headers, stage-prefixed paths', async () => {
    const { handler } = gw.newRouterInstance();
    const invoke = localVersionInvoker(handler as StreamingHandler, '1');
    const validBody = JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] });
    const bodyAndFlag = fc.oneof(
      fc.constant({ body: validBody, isBase64Encoded: false }),
      fc.constant({ body: Buffer.from(validBody).toString('base64'), isBase64Encoded: true }),
      fc.constant({ body: validBody, isBase64Encoded: true }), // flag set, body not base64
      fc
        .uint8Array({ maxLength: 256 })
        .map((b) => ({ body: Buffer.from(b).toString('base64'), isBase64Encoded: true })),
      fc.tuple(fc.string(), fc.boolean()).map(([body, isBase64Encoded]) => ({ body, isBase64Encoded })),
      chatBody.map((t) => ({ body: Buffer.from(render(t)).toString('base64'), isBase64Encoded: true })),
      fc.constantFrom(null, '').map((body) => ({ body, isBase64Encoded: false })),
      fc.constant({ body: '!!!not base64!!!', isBase64Encoded: true }),
    );
    const headerDict = fc.dictionary(
      fc.constantFrom(
        'content-type',
        'Content-Type',
        'x-budget-factor',
        'X-Budget-Factor',
        'x-switchyard-fallback',
        'x-switchyard-region',
        'accept',
      ),
      fc.string({ maxLength: 20 }),
      { maxKeys: 4 },
    );
    const event = fc.record({
      method: fc.constantFrom('POST', 'post', 'GET', 'PUT', ''),
      path: fc.constantFrom(
        '/v1/chat/completions',
        '/prod/v1/chat/completions',
        '/v1/chat/completions/',
        '/v1/messages',
        '/v1/messages/count_tokens',
        '/v1/responses',
        '/v1/models',
        '/v1/models/gpt-4.1',
        '/v1/models/%E0%A4%A',
        '/v1/models/',
        '/health',
        '/v1/stats',
        '/v1/admin/keys',
        '/v1/admin/keys/key_0123456789abcdef/rotate',
        '/v1/admin/state',
        '/console',
        '/nope',
        '',
        '/',
      ),
      headers: fc.option(headerDict),
      multiValueHeaders: fc.option(
        fc.dictionary(
          fc.constantFrom('x-budget-factor', 'content-type', 'x-switchyard-fallback'),
          fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
          { maxKeys: 3 },
        ),
      ),
      query: fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 })),
      admin: fc.constantFrom('true', 'false', undefined),
      bodyAndFlag,
    });
    await fc.assert(
      fc.asyncProperty(event, async (e) => {
        const proxyEvent = {
          resource: e.path,
          path: e.path,
          httpMethod: e.method,
          headers: e.headers,
          multiValueHeaders: e.multiValueHeaders,
          queryStringParameters: e.query,
          multiValueQueryStringParameters: null,
          pathParameters: null,
          stageVariables: null,
          body: e.bodyAndFlag.body,
          isBase64Encoded: e.bodyAndFlag.isBase64Encoded,
          requestContext: {
            requestId: `fuzz-${tally.inProcess}`,
            // What the authorizer passes on for a valid key (API Gateway has already refused the rest).
            authorizer:
              e.admin === undefined
                ? null
                : {
                    keyId: 'key_00000000000000f0',
                    keyName: 'fuzz',
                    admin: e.admin,
                    limits: '{}',
                    principalId: 'key_00000000000000f0',
                  },
          },
        } as unknown as APIGatewayProxyEvent;
        tally.inProcess++;
        const res = await invoke(proxyEvent, new AbortController().signal);
        check(
          {
            method: e.method,
            path: e.path,
            what: `in-process ${JSON.stringify({ ...e, bodyAndFlag: { ...e.bodyAndFlag, body: e.bodyAndFlag.body?.slice(0, 120) } })}`,
          },
          { status: res.statusCode, contentType: res.headers['content-type'] ?? '', body: res.body },
        );
      }),
      opts(6, 700),
    );
  }, 120_000);

  it('admin endpoints: odd bodies and ids with the admin key, and every call refused to other keys', async () => {
    const userKey = 'sk-sy-fuzz-user-key-0000000000000000000000';
    await gw.keys.create(userKey, { name: 'fuzz user', admin: false });
    const created = await gw.keys.create('sk-sy-fuzz-target-key-00000000000000000000', {
      name: 'target',
      admin: false,
    });
    const id = fc.constantFrom(
      created.keyId,
      'key_0123456789abcdef',
      'key_',
      'KEY_0123456789ABCDEF',
      '..',
      '%00',
      'a'.repeat(300),
    );
    const value = fc.oneof(
      fc.constantFrom(
        null,
        true,
        0,
        -1,
        1.5,
        Number.POSITIVE_INFINITY,
        '',
        '24h',
        '0s',
        '99999999d',
        'x',
        [],
        ['gpt-4.1'],
        [1],
        {},
      ),
      fc.string({ maxLength: 20 }),
      fc.integer(),
      fc.double(),
    );
    const field = fc.constantFrom(
      'name',
      'admin',
      'rpm',
      'tpm',
      'dailyBudgetUsd',
      'defaultBudgetFactor',
      'maxConcurrency',
      'allowedModels',
      'expiresIn',
      'grace',
      '__proto__',
      'constructor',
    );
    const body = fc.oneof(
      { weight: 5, arbitrary: fc.dictionary(field, value, { maxKeys: 4 }).map((o) => JSON.stringify(o)) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('', 'null', '[]', '"x"', '{', '{"name":"a","name":"b"}', '{"name":"x"}'),
      },
      {
        weight: 1,
        arbitrary: fc.integer({ min: 17_000, max: 40_000 }).map((n) => JSON.stringify({ name: 'a'.repeat(n) })),
      },
    );
    const target = fc.oneof(
      fc.constant(['GET', '/v1/admin/keys'] as const),
      fc.constant(['POST', '/v1/admin/keys'] as const),
      id.map((k) => ['GET', `/v1/admin/keys/${k}`] as const),
      id.map((k) => ['PATCH', `/v1/admin/keys/${k}`] as const),
      id.map((k) => ['POST', `/v1/admin/keys/${k}/revoke`] as const),
      id.map((k) => ['POST', `/v1/admin/keys/${k}/rotate`] as const),
      fc.constantFrom(['GET', '/v1/admin/state'] as const, ['GET', '/v1/admin/requests?limit=-1'] as const),
      fc.constantFrom(['GET', '/v1/admin/cutover'] as const, ['DELETE', '/v1/admin/keys'] as const),
    );
    await fc.assert(
      fc.asyncProperty(target, body, fc.constantFrom('admin', 'user', 'none'), async ([m, p], b, who) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (who === 'admin') headers.authorization = `Bearer ${gw.demoKey}`;
        if (who === 'user') headers.authorization = `Bearer ${userKey}`;
        // Never revoke or rotate the key the other cases use.
        const path =
          who === 'admin' && p.includes(created.keyId) && m === 'POST'
            ? p.replace(created.keyId, 'key_0123456789abcdef')
            : p;
        const res = await sendChecked(
          gw,
          m,
          path,
          headers,
          m === 'GET' ? undefined : Buffer.from(b),
          `${who} ${b.slice(0, 80)}`,
        );
        if (who !== 'admin') expect(res.status).toBeGreaterThanOrEqual(400);
        if (who === 'user' && res.status !== 404) expect(res.status).toBe(403);
        if (who === 'admin' && res.status === 201) expect(JSON.parse(res.body).secret).toMatch(/^sk-sy-/);
      }),
      opts(7, 600),
    );
  }, 120_000);

  it('ran at least 5,000 cases without a server error', () => {
    expect(tally.http + tally.inProcess).toBeGreaterThanOrEqual(5_000);
    expect(tally.serverErrors).toBe(0);
  });
});
