import { SecretStoreError } from '../../errors';
import type { SecretMetadata } from '../../secret-store';

/** `codersdk.UserSecret` as it arrives; `enabled` only exists on v2.36+ servers. */
export interface WireUserSecret {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly env_name?: string;
  readonly file_path?: string;
  readonly enabled?: boolean;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface ParsedSecret {
  readonly metadata: SecretMetadata;
  /** Whether the server sent `enabled` (false: a server from before the flag existed). */
  readonly hasEnabled: boolean;
}

function malformed(what: string): SecretStoreError {
  return new SecretStoreError('unavailable', `Coder answered with ${what} that is not a user secret`, {
    retryable: false,
  });
}

const optionalString = (v: unknown): v is string | undefined | null =>
  v === undefined || v === null || typeof v === 'string';

/**
 * Coder's secret as Coffer metadata. A server without `enabled` (v2.33–v2.35) delivers every secret
 * that has a target and none that has not; such secrets read as `enabled = (env_name or file_path
 * set)`, which is also what Coder's own migration did when the flag arrived ("pre-flag secrets with
 * no target were migrated to disabled"). `valueVersion` stays undefined: Coder has no value version.
 */
export function parseSecret(raw: unknown, user: string): ParsedSecret {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw malformed('a value');
  const r = raw as Record<string, unknown>;
  if (
    typeof r.id !== 'string' ||
    typeof r.name !== 'string' ||
    typeof r.created_at !== 'string' ||
    typeof r.updated_at !== 'string' ||
    !optionalString(r.description) ||
    !optionalString(r.env_name) ||
    !optionalString(r.file_path) ||
    !(r.enabled === undefined || r.enabled === null || typeof r.enabled === 'boolean')
  ) {
    throw malformed('an object');
  }
  const envName = (r.env_name as string | undefined | null) ?? '';
  const filePath = (r.file_path as string | undefined | null) ?? '';
  const hasEnabled = typeof r.enabled === 'boolean';
  return {
    hasEnabled,
    metadata: {
      id: r.id,
      user,
      name: r.name,
      description: (r.description as string | undefined | null) ?? '',
      envName,
      filePath,
      enabled: hasEnabled ? (r.enabled as boolean) : envName !== '' || filePath !== '',
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    },
  };
}

export function parseSecretList(raw: unknown, user: string): ParsedSecret[] {
  if (!Array.isArray(raw)) throw malformed('a list');
  return raw.map((item) => parseSecret(item, user));
}

/** Code-point order, the same on every backend (the server's collation may differ). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
