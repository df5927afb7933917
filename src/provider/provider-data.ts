import type { CoderBuildContext } from '../client/backends/coder/build-context';
import type { DynamicSecrets } from '../client/dynamic-secrets';
import type { ClaimRegistry, ClaimScope } from '../client/ownership';
import type { SecretStore } from '../client/secret-store';

/** What every Coffer resource receives once the provider is configured. */
export interface CofferProviderData {
  /** The configured backend, wrapped so every write and value read is audited. */
  readonly store: SecretStore;
  /** Leased credentials on the same backend connection (Vault/OpenBao); absent = none. */
  readonly dynamicSecrets?: DynamicSecrets;
  /**
   * Owner claims (see client/ownership.ts): the configuration's scope and the claims this run
   * took. Absent = resources write no claim and never adopt an existing record.
   */
  readonly claims?: { readonly scope: ClaimScope; readonly registry: ClaimRegistry };
  /** The Coder workspace build the provider runs in (coder backend inside Coder's provisioner). */
  readonly coderBuild?: CoderBuildContext;
}
