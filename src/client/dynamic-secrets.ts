/**
 * Dynamic secrets: credentials a backend mints on request (a database login, cloud keys) under a
 * lease that must be renewed to stay valid and can be revoked early. Only Vault/OpenBao has
 * them (`backends/vault/vault-leases.ts`); the other backends answer with a clear
 * `unsupported` error.
 *
 * Values travel as `SecretText`; lease IDs, durations and paths are not secret and may be logged.
 */
import { SecretStoreError } from './errors';
import type { SecretStore } from './secret-store';
import type { SecretText } from './secret-text';

/** What a lease looks like after issue or renewal. */
export interface LeaseInfo {
  /** `""` when the path returned an unleased value (nothing to renew or revoke). */
  readonly leaseId: string;
  /** Seconds the credential is valid for from now; 0 = no expiry announced. */
  readonly leaseDuration: number;
  readonly renewable: boolean;
}

export interface DynamicCredential extends LeaseInfo {
  /** The credential's fields, e.g. `username` and `password` for a database role. */
  readonly data: Readonly<Record<string, SecretText>>;
  /** Warnings the backend returned with the credential (never values). */
  readonly warnings: readonly string[];
}

export interface IssueOptions {
  /** Requested TTL in seconds, for engines that accept one at issue. */
  readonly ttlSeconds?: number;
}

export interface DynamicSecrets {
  /** `vault`, or the kind of the backend that has none. */
  readonly kind: string;
  /** Reads a credential-minting path, e.g. `database/creds/readonly`. */
  issue(path: string, options?: IssueOptions): Promise<DynamicCredential>;
  /** Extends a lease by `incrementSeconds` from now (the backend may grant less: its max TTL). */
  renew(leaseId: string, incrementSeconds?: number): Promise<LeaseInfo>;
  /** Revokes a lease and waits until the backend has removed the credential. Idempotent. */
  revoke(leaseId: string): Promise<void>;
}

/** What `local` and `coder` answer: they store secrets but mint none. */
export class UnsupportedDynamicSecrets implements DynamicSecrets {
  constructor(readonly kind: string) {}

  private error(): SecretStoreError {
    return new SecretStoreError(
      'unsupported',
      `dynamic secrets need the vault backend (Vault or OpenBao); the ${this.kind} backend has none. Set backend = "vault" (or COFFER_BACKEND=vault) in the provider configuration`,
      { retryable: false },
    );
  }

  async issue(): Promise<DynamicCredential> {
    throw this.error();
  }

  async renew(): Promise<LeaseInfo> {
    throw this.error();
  }

  async revoke(): Promise<void> {
    throw this.error();
  }
}

/** A store that can mint dynamic secrets on the same connection and login (the Vault backend). */
export interface DynamicSecretsSource {
  dynamicSecrets(): DynamicSecrets;
}

function isSource(value: unknown): value is DynamicSecretsSource {
  return typeof value === 'object' && value !== null && typeof (value as Partial<DynamicSecretsSource>).dynamicSecrets === 'function';
}

/** The dynamic-secrets client of a store: its own for Vault, an `unsupported` answer otherwise. */
export function dynamicSecretsFor(store: SecretStore): DynamicSecrets {
  return isSource(store) ? store.dynamicSecrets() : new UnsupportedDynamicSecrets(store.kind);
}

/** Seconds from a Vault duration: `90`, `90s`, `15m`, `8h`, `2d`, or combinations such as `1h30m`. */
export function parseDurationSeconds(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(trimmed)) return undefined;
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(match[1]) * (units[match[2] as string] as number);
  return Math.round(total);
}

/** A credential path, e.g. `database/creds/readonly`: segments of letters, digits, `_ - .`; no `..`, no leading or trailing `/`. */
const PATH_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function checkLeasePath(path: string): string | undefined {
  if (path === '') return 'path must not be empty';
  if (path.startsWith('/') || path.endsWith('/')) return 'path must not start or end with "/" (e.g. database/creds/readonly)';
  if (path.startsWith('v1/')) return 'path is the API path after /v1/ (e.g. database/creds/readonly)';
  for (const segment of path.split('/')) {
    if (!PATH_SEGMENT.test(segment) || segment === '..') {
      return `path segment "${segment}" must be letters, digits, "_", "-" or "." (e.g. database/creds/readonly)`;
    }
  }
  if (path.split('/').length < 2) return 'path needs a mount and a credential path (e.g. database/creds/readonly)';
  return undefined;
}

