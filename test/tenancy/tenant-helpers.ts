/** Shared by the tenancy suite: keys with limits, and what the quota report holds for them. */
import { generateApiKey, type KeyRecord } from '../../functions/core/keys';
import type { LocalGateway } from '../../local/gateway';
import { eventually, startTestGateway } from '../helpers/local-gateway';
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

/**
 * A gateway for the file's tests that tries each model once (so a fallback is what a test sees),
 * with no upstream faults and an empty upstream request log before each test. `ready` hands it to
 * the file's variable.
 */
export function useOneAttemptGateway(ready: (gw: LocalGateway) => void): void {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await startTestGateway((c) => {
      c.retry = { maxAttemptsPerModel: 1, baseDelayMs: 0, maxDelayMs: 0 };
    });
    ready(gw);
  });
  afterAll(() => gw.close());
  beforeEach(() => {
    gw.providers!.clearFaults();
    gw.providers!.resetRequests();
  });
}
