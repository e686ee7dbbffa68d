/** Shared by the tenancy suite: keys with limits, and what the quota report holds for them. */
import { generateApiKey, type KeyRecord } from '../../functions/core/keys';
import type { LocalGateway } from '../../local/gateway';
import { eventually } from '../helpers/local-gateway';
import { budgetRow } from '../helpers/quota-report';

export async function tenantKey(
  gw: LocalGateway,
  fields: Partial<Omit<KeyRecord, 'keyId' | 'createdAt' | 'status'>>,
): Promise<{ key: string; record: KeyRecord }> {
  const key = generateApiKey();
  const record = await gw.keys.create(key, { name: 'tenant', admin: false, ...fields });
  return { key, record };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Micro-dollars a key has spent today (0 when it has no row yet). */
export async function keySpent(gw: LocalGateway, keyId: string): Promise<number> {
  return (await budgetRow(gw, `key#${keyId}`))?.spentMicros ?? 0;
}

/** Waits until the key's recorded spend is `expected` (usage is written after the response). */
export async function keySpentReaches(gw: LocalGateway, keyId: string, expected: number): Promise<void> {
  await eventually(async () => expect(await keySpent(gw, keyId)).toBe(expected), 10_000);
}
