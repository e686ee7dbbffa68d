import type { CompiledConfig } from '../core/config/compile';
import type { UpstreamClient } from '../adapters/upstream/types';
import type { UsageStore } from '../adapters/dynamo/usage-store';
import type { SecretSource } from '../adapters/secrets/types';

/** The router's collaborators. Handlers build them once per instance; tests pass their own. */
export interface RouterDeps {
  config: CompiledConfig;
  upstream: UpstreamClient;
  usage: UsageStore;
  secrets: SecretSource;
  now: () => number;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}
