/** Reads budgets and usage the way /v1/stats does, straight from the local gateway's DynamoDB. */
import { createDynamoClient } from '../../functions/adapters/dynamo/client';
import { createQuotaAdapters } from '../../functions/adapters/dynamo/quota/create';
import { createDynamoHealth } from '../../functions/adapters/dynamo/dynamo-health';
import { COST_TABLE, tableName } from '../../functions/contracts/table-specs';
import { utcDay } from '../../functions/core/time';
import type { BudgetRow, UsageRow } from '../../functions/core/stats/stats-report';
import type { LocalGateway } from '../../local/gateway';

export const today = () => utcDay(Date.now());

/** A quota adapter (an extra "router instance") and the report, on the gateway's tables. */
export function quotaOn(gw: LocalGateway, now: () => number = Date.now) {
  return createQuotaAdapters({
    ddb: createDynamoClient(gw.env),
    table: tableName(COST_TABLE, gw.env),
    config: gw.deps.config.settings,
    health: createDynamoHealth(() => undefined),
    log: () => undefined,
    now,
  });
}

export async function budgetRow(gw: LocalGateway, scope: string, day = today()): Promise<BudgetRow | undefined> {
  return (await quotaOn(gw).report.budgets(day)).find((r) => r.scope === scope);
}

export async function usageRow(gw: LocalGateway, scope: string, day = today()): Promise<UsageRow | undefined> {
  return (await quotaOn(gw).report.usage(day)).find((r) => r.scope === scope);
}
