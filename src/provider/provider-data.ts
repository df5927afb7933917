import type { SecretStore } from '../client/secret-store';

/** What every Coffer resource receives once the provider is configured. */
export interface CofferProviderData {
  /** The configured backend, wrapped so every write and value read is audited. */
  readonly store: SecretStore;
}
