/** Fault injection: the point of the simulator is to make upstreams misbehave on demand. */
export interface FaultSpec {
  /** Path prefix name, e.g. 'openai'; omitted = any provider. */
  provider?: string;
  /** Upstream model name, e.g. 'gpt-4.1'; omitted = any model. */
  model?: string;
  /** Answer with this HTTP status and an OpenAI-style error body. */
  status?: number;
  /** Retry-After header value sent with `status`. */
  retryAfter?: string;
  /** Extra delay before headers; not scaled by timeScale. */
  latencyMs?: number;
  /** Never answer, until the client disconnects or the server closes. */
  hang?: boolean;
  /** Apply to the next N matching requests only; omitted = until cleared. */
  times?: number;
  /** Streams: destroy the socket after N content chunks. */
  streamCutAfterChunks?: number;
  /** Streams: after N content chunks emit a `data: {not json` event, then carry on. */
  malformedAfterChunks?: number;
  /** Streams: after N content chunks send nothing more but keep the connection open. */
  stallAfterChunks?: number;
  /** Streams: delay between chunks; not scaled by timeScale. */
  chunkDelayMs?: number;
  /**
   * Reset the connection (TCP RST) once the request has been read, before any response byte: what a
   * crashing upstream process or a load balancer dropping the connection looks like.
   */
  reset?: boolean;
  /**
   * Send the 200 headers, then wait this long (not scaled) before the body: non-stream, the first half
   * of the JSON body goes with the headers and the rest after the wait; stream, the first event comes
   * after the wait. A wait longer than the gateway's `bodyIdleTimeoutMs` is a slow-body timeout.
   */
  slowBodyMs?: number;
  /**
   * Send the 200 headers (non-stream: and the first half of the JSON body; stream: one keep-alive
   * comment, no event), then close the connection: the body is cut before it is complete.
   */
  bodyCut?: boolean;
  /**
   * Answer 200 with a body that does not parse: non-stream, the completion JSON cut in half (still
   * `application/json`, with a matching content-length); stream, a first event whose JSON is cut in
   * half, then the end of the stream.
   */
  malformedBody?: boolean;
  /**
   * Answer 200 with this content-type and a body of that kind instead of the requested one, for stream
   * and non-stream requests alike: `text/html...` an HTML error page (a proxy or captive portal in
   * front of the upstream), `application/json...` the complete non-stream completion (an upstream that
   * ignores `stream: true`), anything else a line of plain text.
   */
  contentType?: string;
  /**
   * Bedrock simulator: answer with this exception (e.g. 'ThrottlingException', 'ModelNotReadyException')
   * at its real HTTP status; with `exceptionAfterChunks`, as an exception frame mid-stream instead.
   */
  bedrockException?: string;
  /** Bedrock streams: after N content events send an exception frame (`bedrockException`, default ModelStreamErrorException). */
  exceptionAfterChunks?: number;
  /**
   * With `status` (default 400): the error message quotes every request header, the Authorization
   * header with the gateway's provider key included, plus the provider's URL and address, as some
   * misbehaving upstreams and proxies do.
   */
  echoHeaders?: boolean;
  /**
   * Answer 200 with a body of this many bytes, generated as it is sent (never held in memory):
   * non-stream, one completion whose content is that long; stream, a role chunk and then content
   * chunks of 64 KB until that many bytes went out.
   */
  hugeBodyBytes?: number;
}

export type FaultTarget = { provider: string; model?: string };

const STRING_FIELDS = ['provider', 'model', 'retryAfter', 'contentType', 'bedrockException'] as const;
const NUMBER_FIELDS = [
  'status',
  'latencyMs',
  'times',
  'streamCutAfterChunks',
  'malformedAfterChunks',
  'stallAfterChunks',
  'chunkDelayMs',
  'slowBodyMs',
  'exceptionAfterChunks',
  'hugeBodyBytes',
] as const;
const BOOLEAN_FIELDS = ['hang', 'reset', 'bodyCut', 'malformedBody', 'echoHeaders'] as const;
const ALL_FIELDS: readonly string[] = [...STRING_FIELDS, ...NUMBER_FIELDS, ...BOOLEAN_FIELDS];

/** Checks a FaultSpec that arrived over HTTP; returns an error message or the spec. */
export function parseFaultSpec(value: unknown): FaultSpec | string {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'fault must be a JSON object';
  const spec = value as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!ALL_FIELDS.includes(key)) return `unknown fault field '${key}'`;
  }
  for (const key of STRING_FIELDS) {
    if (spec[key] !== undefined && typeof spec[key] !== 'string') return `'${key}' must be a string`;
  }
  for (const key of NUMBER_FIELDS) {
    const n = spec[key];
    if (n !== undefined && !(typeof n === 'number' && Number.isInteger(n) && n >= 0)) {
      return `'${key}' must be a non-negative integer`;
    }
  }
  for (const key of BOOLEAN_FIELDS) {
    if (spec[key] !== undefined && typeof spec[key] !== 'boolean') return `'${key}' must be a boolean`;
  }
  if (spec.status !== undefined && ((spec.status as number) < 400 || (spec.status as number) > 599)) {
    return "'status' must be an HTTP error status (400-599)";
  }
  return spec as FaultSpec;
}

interface ActiveFault {
  id: string;
  spec: FaultSpec;
  remaining: number;
}

export class FaultStore {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): string {
    const id = `fault-${this.nextId++}`;
    if (spec.times === 0) return id; // a fault for zero requests never fires
    this.faults.push({ id, spec: { ...spec }, remaining: spec.times ?? Infinity });
    return id;
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * The newest fault matching the target, consuming one of its `times`.
   * For GET /models `target.model` is undefined: a fault without `model` applies to that provider's
   * /models, and a model-scoped fault applies only when it also names the provider — "this
   * provider's gpt-4.1 is down" should fail that provider's health probe, while a bare
   * "gpt-4.1 is down everywhere" should not take down every provider's model list.
   */
  take(target: FaultTarget): FaultSpec | undefined {
    for (let i = this.faults.length - 1; i >= 0; i--) {
      const fault = this.faults[i];
      if (!matches(fault.spec, target)) continue;
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.faults.splice(i, 1);
      return fault.spec;
    }
    return undefined;
  }
}

function matches(spec: FaultSpec, target: FaultTarget): boolean {
  if (spec.provider !== undefined && spec.provider !== target.provider) return false;
  if (spec.model === undefined) return true;
  if (target.model === undefined) return spec.provider !== undefined;
  return spec.model === target.model;
}
