/**
 * Shared by the DynamoDB and Lambda-timeout fault cases: the gateway they run against (with the
 * DynamoDB fault proxy, budgets in every scope) and a view of it that reads dynalite directly.
 */
import type { LocalGateway, LocalGatewayOptions } from '../../local/gateway';
import { startTestGateway, type ConfigEdit, type Reply } from '../helpers/local-gateway';
import { costMicrosHeader } from '../helpers/headers';

/** Models with a daily budget in these cases (each request reserves and settles global, key and model). */
export const BUDGETED_MODELS = ['gpt-4.1'];

export function startDynamoFaultGateway(
  opts: Partial<LocalGatewayOptions> = {},
  edit?: ConfigEdit,
): Promise<LocalGateway> {
  return startTestGateway(
    (c) => {
      c.budgets.perKeyDailyUsd = 20;
      for (const m of c.models) if (BUDGETED_MODELS.includes(m.id)) m.dailyBudgetUsd = 50;
      c.breaker.failureThreshold = 100; // breakers have their own tests
      edit?.(c);
    },
    { dynamoFaults: true, ...opts },
  );
}

/**
 * The same gateway seen through dynalite's own endpoint, bypassing the fault proxy: what
 * test/faults/ledger-check.ts reads with, so the ledger can be inspected while the gateway's
 * DynamoDB is down or throttled.
 */
export function direct(gw: LocalGateway): LocalGateway {
  return { ...gw, env: { ...gw.env, SWITCHYARD_DYNAMODB_ENDPOINT: gw.dynamo.endpoint } };
}

/** The `data:` payloads of an SSE body, in order. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .map((e) => e.trim())
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));
}

/** The cost the gateway put in x-switchyard-cost-usd, in micro-dollars. */
export function costMicrosOf(r: Reply): number {
  return costMicrosHeader(r.headers);
}
