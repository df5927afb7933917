export {
  VaultSecretStore,
  identityFromToken,
  type SecretStoreCapabilities,
  type VaultCreateSecretInput,
  type VaultSecretMetadata,
  type VaultUpdateSecretInput,
} from './vault-secret-store';
export { resolveVaultConfig, type VaultAuthOptions, type VaultSecretStoreOptions } from './vault-config';
export type { VaultRequestLog, VaultRequestLogEntry } from './vault-http';
export { VaultDynamicSecrets } from './vault-leases';
