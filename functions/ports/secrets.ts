/** Where upstream provider API keys come from; implementations cache, callers just ask. */
export interface SecretSource {
  /** The API key for a provider, or undefined when the provider needs none. */
  providerKey(provider: string, apiKeyRef: string | undefined): Promise<string | undefined>;
}
