/**
 * Decodes what a streaming router invocation returns when called directly (not through API
 * Gateway): the HTTP prelude the handler wrote with `HttpResponseStream.from` (JSON), eight NUL
 * bytes, then the body. API Gateway and function URLs strip the prelude; a direct
 * InvokeWithResponseStream hands over the raw bytes, so the hook parses them itself.
 */
export const PRELUDE_DELIMITER = new Uint8Array(8);

export interface InvokedResponse {
  statusCode: number;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: string;
}

function indexOfDelimiter(bytes: Uint8Array): number {
  outer: for (let i = 0; i + PRELUDE_DELIMITER.length <= bytes.length; i++) {
    for (let j = 0; j < PRELUDE_DELIMITER.length; j++) if (bytes[i + j] !== 0) continue outer;
    return i;
  }
  return -1;
}

export function decodeHttpStream(bytes: Uint8Array): InvokedResponse {
  const text = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  const at = indexOfDelimiter(bytes);
  let prelude: { statusCode?: unknown; headers?: unknown; multiValueHeaders?: unknown } | undefined;
  if (at > 0) {
    try {
      prelude = JSON.parse(text(bytes.subarray(0, at)));
    } catch {
      prelude = undefined;
    }
  }
  // Without a prelude Lambda would serve the bytes as a 200 (the emulator does the same).
  if (!prelude || typeof prelude !== 'object') return { statusCode: 200, headers: {}, body: text(bytes) };
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries((prelude.headers ?? {}) as Record<string, unknown>))
    headers[k.toLowerCase()] = String(v);
  for (const [k, vs] of Object.entries((prelude.multiValueHeaders ?? {}) as Record<string, unknown>)) {
    if (Array.isArray(vs)) headers[k.toLowerCase()] = vs.map(String).join(', ');
  }
  return {
    statusCode: typeof prelude.statusCode === 'number' ? prelude.statusCode : 200,
    headers,
    body: text(bytes.subarray(at + PRELUDE_DELIMITER.length)),
  };
}
