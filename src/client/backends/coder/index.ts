export {
  CoderSecretStore,
  CODER_LIMITS,
  type BackendCapabilities,
  type CoderSecretStoreOptions,
} from './coder-secret-store';
export type { CoderRequestLogEntry } from './http';
