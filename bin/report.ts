/**
 * `npm run report -- --days 7`: the usage and budget report as terminal tables.
 *
 * It asks a running gateway for GET /v1/stats rather than reading DynamoDB itself: the local
 * runtime's DynamoDB lives inside the `npm start` process, and a deployed stack answers the same
 * call, so one code path serves both and the table always shows what /v1/stats says.
 *
 *   --days N     today and the N-1 days before (1..31, default 2)
 *   --url URL    gateway URL, with or without /v1 (default SWITCHYARD_URL or http://127.0.0.1:8787)
 *   --key KEY    admin API key (default SWITCHYARD_API_KEY or the local demo key)
 *   --json       print the raw JSON instead of tables
 */
import { parseArgs } from 'node:util';
import { DEFAULT_STATS_DAYS } from '../functions/core/stats/days';
import type { StatsWithPeriods } from '../functions/core/stats/period-budgets';
import { renderStatsWithPeriods } from './lib/period-budgets-table';

export const DEFAULT_URL = 'http://127.0.0.1:8787';
/** The local runtime's demo key (an admin key); see local/gateway.ts. */
export const LOCAL_DEMO_KEY = 'sk-sy-demo-local-only-0000000000000000';

export interface ReportOptions {
  url: string;
  apiKey: string;
  days: number;
  fetchFn?: typeof fetch;
}

export function statsUrl(base: string, days: number): string {
  const root = base.replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${root}/v1/stats?days=${days}`;
}

export async function fetchStats(opts: ReportOptions): Promise<StatsWithPeriods> {
  const url = statsUrl(opts.url, opts.days);
  let res: Response;
  try {
    res = await (opts.fetchFn ?? fetch)(url, { headers: { authorization: `Bearer ${opts.apiKey}` } });
  } catch (err) {
    throw new Error(`cannot reach ${url} (${(err as Error).message}); is the gateway running (npm start)?`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${url} answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) {
    const message = (body as { error?: { message?: string } }).error?.message ?? text.slice(0, 200);
    throw new Error(`${url} answered ${res.status}: ${message}`);
  }
  return body as StatsWithPeriods;
}

export async function report(opts: ReportOptions): Promise<string> {
  return renderStatsWithPeriods(await fetchStats(opts));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      days: { type: 'string', default: String(DEFAULT_STATS_DAYS) },
      url: { type: 'string' },
      key: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const opts: ReportOptions = {
    url: values.url ?? process.env.SWITCHYARD_URL ?? DEFAULT_URL,
    apiKey: values.key ?? process.env.SWITCHYARD_API_KEY ?? LOCAL_DEMO_KEY,
    days: Number(values.days),
  };
  const out = values.json ? JSON.stringify(await fetchStats(opts), null, 2) + '\n' : await report(opts);
  process.stdout.write(out);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`report: ${(err as Error).message}`);
    process.exit(1);
  });
}
