import type { SecretStore } from '../client/secret-store';

export type AuditAction = 'create' | 'update' | 'delete' | 'import' | 'read_value';

/** What every Coffer resource receives once the provider is configured. */
export interface CofferProviderData {
  readonly store: SecretStore;
  /** Records one secret operation (never its value). */
  readonly audit: (action: AuditAction, secretName: string, outcome: 'success' | 'failure') => void;
}
