import { Readable } from 'node:stream';
import defaultConfig from '../../config/switchyard.json';
import { createDynamoHealth } from '../../functions/adapters/dynamo/dynamo-health';
import { CLOSED } from '../../functions/core/resilience/breaker';
import { compileConfig } from '../../functions/core/config/compile';
import type { RouterDeps } from '../../functions/router/deps';
import { createHealthAwareEndpointPicker } from '../../functions/router/health-aware-endpoint-picker';
import { createKeyPolicy } from '../../functions/router/key-policy';
import { memoryQuota } from './memory-quota';

/** Router deps with no I/O: every upstream answers 200 with a tiny completion; shared state is always fine. */
export function stubDeps(overrides: Partial<RouterDeps> = {}): RouterDeps {
  const config = compileConfig(defaultConfig);
  const state: RouterDeps['state'] = {
    breaker: () => undefined,
    health: () => undefined,
    ensureFresh: async () => undefined,
    refresh: async () => undefined,
    loadedAt: () => 0,
  };
  const body = JSON.stringify({
    id: 'x',
    object: 'chat.completion',
    choices: [],
    usage: { prompt_tokens: 1, completion_tokens: 1 },
  });
  const answer = async () => ({
    status: 200,
    headers: {},
    body: Readable.from([body]),
    text: async () => body,
    discard: () => undefined,
  });
  return {
    config,
    upstream: { send: answer },
    bedrock: { send: answer },
    secrets: { providerKey: async () => undefined },
    endpoints: createHealthAwareEndpointPicker({ config, snapshot: state }),
    telemetry: { requestDone: () => undefined },
    keyPolicy: createKeyPolicy(),
    state,
    breakers: {
      admit: async () => ({ allowed: true, probe: false, retryAfterMs: 0 }),
      onFailure: async () => false,
      onSuccess: async () => undefined,
      releaseProbe: async () => undefined,
      view: () => CLOSED,
    },
    quota: memoryQuota().quota,
    report: {
      usage: async () => [],
      budgets: async () => [],
      periodBudgets: async () => [],
      recent: async () => [],
      slotsHeld: async () => 0,
    },
    dynamo: createDynamoHealth(() => undefined),
    now: Date.now,
    random: Math.random,
    sleep: async () => undefined,
    log: () => undefined,
    ...overrides,
  };
}
