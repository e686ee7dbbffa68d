import type { RequestLog } from './apigw-emulator';

/** One concise line per request for humans, or JSON for tools. */
export function formatRequestLog(log: RequestLog, mode: 'text' | 'json'): string {
  const h = log.headers;
  const fields = {
    method: log.method,
    path: log.path,
    status: log.status,
    ms: log.ms,
    version: log.version,
    route: h['x-switchyard-route'],
    model: h['x-switchyard-model'],
    attempts: h['x-switchyard-attempts'],
    costUsd: h['x-switchyard-cost-usd'],
    overheadMs: h['x-switchyard-overhead-ms'] ? Number(h['x-switchyard-overhead-ms']) : undefined,
    requestId: h['x-request-id'],
  };
  if (mode === 'json') return JSON.stringify(fields);
  const time = new Date().toISOString().slice(11, 19);
  const parts = [time, log.method.padEnd(4), log.path, String(log.status), `${log.ms}ms`];
  if (fields.model) parts.push(`model=${fields.model}`);
  if (fields.route && fields.route !== 'direct') parts.push(`route=${fields.route}`);
  if (fields.attempts) parts.push(`attempts=${fields.attempts}`);
  if (fields.costUsd) parts.push(`cost=$${fields.costUsd}`);
  if (fields.overheadMs !== undefined) parts.push(`overhead=${fields.overheadMs}ms`);
  return parts.join(' ');
}
