import type { CoderBuildContext } from '../client/backends/coder/build-context';
import type { DynamicSecrets } from '../client/dynamic-secrets';
import type { SecretStore } from '../client/secret-store';

/** What every Coffer resource receives once the provider is configured. */
export interface CofferProviderData {
  /** The configured backend, wrapped so every write and value read is audited. */
  readonly store: SecretStore;
  /** Leased credentials on the same backend connection (Vault/OpenBao); absent = none. */
  readonly dynamicSecrets?: DynamicSecrets;
  /** The Coder workspace build the provider runs in (coder backend inside Coder's provisioner). */
  readonly coderBuild?: CoderBuildContext;
}
