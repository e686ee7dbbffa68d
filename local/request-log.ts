import type { RequestLog } from './apigw-emulator';

/**
 * One concise line per request for humans, or JSON for tools, from what the emulator sees when the
 * response head goes out. For a stream that is the time to the head (the body is still coming), and
 * its cost is not known yet: the router's `request` log (npm start -- --emf) has the final figures.
 */
export function formatRequestLog(log: RequestLog, mode: 'text' | 'json'): string {
  const h = log.headers;
  const fields = {
    method: log.method,
    path: log.path,
    status: log.status,
    ms: log.ms,
    version: log.version,
    route: h['x-switchyard-route'],
    intent: h['x-switchyard-intent'],
    variant: h['x-switchyard-variant'],
    stream: h['content-type']?.includes('text/event-stream') || undefined,
    model: h['x-switchyard-model'],
    attempts: h['x-switchyard-attempts'],
    costUsd: h['x-switchyard-cost-usd'],
    cache: h['x-switchyard-cache'],
    overheadMs: h['x-switchyard-overhead-ms'] ? Number(h['x-switchyard-overhead-ms']) : undefined,
    requestId: h['x-request-id'],
  };
  if (mode === 'json') return JSON.stringify(fields);
  const time = new Date().toISOString().slice(11, 19);
  const parts = [
    time,
    log.method.padEnd(4),
    log.path,
    String(log.status),
    fields.stream ? `${log.ms}ms to head (stream)` : `${log.ms}ms`,
  ];
  if (fields.model) parts.push(`model=${fields.model}`);
  if (fields.route && fields.route !== 'direct') parts.push(`route=${fields.route}`);
  if (fields.intent) parts.push(`intent=${fields.intent}`);
  if (fields.variant) parts.push(`variant=${fields.variant}`);
  if (fields.attempts) parts.push(`attempts=${fields.attempts}`);
  if (fields.costUsd) parts.push(`cost=$${fields.costUsd}`);
  if (fields.cache) parts.push(`cache=${fields.cache}`);
  if (fields.overheadMs !== undefined) parts.push(`overhead=${fields.overheadMs}ms`);
  return parts.join(' ');
}
