import { Readable } from 'node:stream';
import defaultConfig from '../../config/switchyard.json';
import { createDynamoHealth } from '../../functions/adapters/dynamo/dynamo-health';
import { compileConfig } from '../../functions/core/config/compile';
import type { RouterDeps } from '../../functions/router/deps';
import { createWeightedEndpointPicker } from '../../functions/router/endpoint-picker';
import { createKeyPolicy } from '../../functions/router/key-policy';

/** Router deps with no I/O: every upstream answers 200 with a tiny completion. */
export function stubDeps(overrides: Partial<RouterDeps> = {}): RouterDeps {
  const body = JSON.stringify({ id: 'x', object: 'chat.completion', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } });
  return {
    config: compileConfig(defaultConfig),
    upstream: {
      send: async () => ({ status: 200, headers: {}, body: Readable.from([body]), text: async () => body, discard: () => undefined }),
    },
    usage: { record: async () => undefined, day: async () => [] },
    secrets: { providerKey: async () => undefined },
    endpoints: createWeightedEndpointPicker(),
    telemetry: { requestDone: () => undefined },
    keyPolicy: createKeyPolicy(),
    dynamo: createDynamoHealth(() => undefined),
    now: Date.now,
    random: Math.random,
    sleep: async () => undefined,
    log: () => undefined,
    ...overrides,
  };
}
