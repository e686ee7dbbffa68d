import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function errorBody(
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): ErrorBody {
  return { error: { message, type, param, code } };
}

/** Error bodies shaped like the ones real OpenAI-compatible upstreams send for each status. */
export function faultErrorBody(status: number): ErrorBody {
  const note = ' (simulated fault)';
  if (status === 401)
    return errorBody(`Incorrect API key provided.${note}`, 'invalid_request_error', 'invalid_api_key');
  if (status === 403) return errorBody(`You are not allowed to access this resource.${note}`, 'permission_error');
  if (status === 404)
    return errorBody(`The requested resource was not found.${note}`, 'invalid_request_error', 'not_found');
  if (status === 429) {
    return errorBody(
      `Rate limit reached for requests. Please try again later.${note}`,
      'requests',
      'rate_limit_exceeded',
    );
  }
  if (status === 503) {
    return errorBody(`The engine is currently overloaded, please try again later.${note}`, 'server_error');
  }
  if (status >= 500) {
    return errorBody(`The server had an error while processing your request. Sorry about that!${note}`, 'server_error');
  }
  return errorBody(`The request was rejected.${note}`, 'invalid_request_error');
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
