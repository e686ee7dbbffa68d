/** Simulated OpenAI-compatible upstream providers for the local runtime and integration tests. */
export { startSimulatedProviders } from './server';
export { expectedReply, countPromptTokens, countTokens } from './completion';
export type { FaultSpec } from './faults';
export type { RequestRecord, SimulatedProviders, SimulatedProvidersOptions } from './types';
export { startUnacceptingListener, type UnacceptingListener } from './unaccepting-listener';
