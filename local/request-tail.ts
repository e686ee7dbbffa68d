/**
 * The last N requests the emulator answered, for the console's requests view (GET
 * /v1/admin/requests). Bounded ring; holds what the request log line shows, never a key or a body.
 */
import type { RequestLogEntry } from '../functions/router/admin/admin-deps';
import type { RequestLog } from './apigw-emulator';

export function createRequestTail(capacity = 500) {
  const entries: RequestLogEntry[] = [];
  return {
    add(log: RequestLog): void {
      // The console's own polling would drown the traffic it is there to show.
      if (log.path.startsWith('/console') || log.path.startsWith('/v1/admin/')) return;
      const h = log.headers;
      entries.push({
        at: new Date().toISOString(),
        method: log.method,
        path: log.path,
        status: log.status,
        ms: log.ms,
        model: h['x-switchyard-model'],
        route: h['x-switchyard-route'],
        variant: h['x-switchyard-variant'],
        attempts: h['x-switchyard-attempts'],
        costUsd: h['x-switchyard-cost-usd'],
        overheadMs: h['x-switchyard-overhead-ms'] ? Number(h['x-switchyard-overhead-ms']) : undefined,
        requestId: h['x-request-id'],
      });
      if (entries.length > capacity) entries.splice(0, entries.length - capacity);
    },
    recent: (limit: number): RequestLogEntry[] => entries.slice(-limit),
  };
}
