import type { SecretText } from './secret-text';

/** What every backend knows about a secret. Never carries the value. */
export interface SecretMetadata {
  /** Backend-assigned stable identifier (a UUID on the embedded store and on Coder). */
  readonly id: string;
  /** The owner as the backend resolved it (`me` resolved to a concrete user where possible). */
  readonly user: string;
  readonly name: string;
  /** `""` when unset. */
  readonly description: string;
  /** Environment variable the value is injected as; `""` when not injected. */
  readonly envName: string;
  /** File the value is written to (`~/…` or absolute); `""` when not written. */
  readonly filePath: string;
  readonly enabled: boolean;
  /** RFC 3339 timestamps. */
  readonly createdAt: string;
  readonly updatedAt: string;
  /**
   * Increases on every value change (not on metadata-only changes), so drift of a value can be
   * detected without reading it. Backends that cannot tell leave it undefined.
   */
  readonly valueVersion?: number;
  /** Owner (`user` or `user:group`, names or numeric ids) of the materialized file; absent = the workspace user. */
  readonly fileOwner?: string;
  /** Mode of the materialized file (e.g. 0o440); absent = 0o600. */
  readonly fileMode?: number;
  /** Delivered to every workspace by default (`coffer run`/`materialize` without `--no-defaults`). */
  readonly isDefault?: boolean;
  /**
   * True when the backend could not confirm this metadata without a value-bearing read (Vault:
   * its metadata mirror is stale after an interrupted write). The fields are the last confirmed
   * ones, `valueVersion` the newest version the value may have; the next write repairs it.
   */
  readonly metadataUnverified?: boolean;
  /** The owner claim written with the create (see `ownership.ts`); absent when none. */
  readonly ownerClaim?: string;
}

/**
 * What a backend can hold beyond Coder's common fields. Callers check these and say plainly
 * when a field cannot be kept, instead of dropping it.
 */
export interface StoreCapabilities {
  /** Keeps `fileOwner` and `fileMode`. */
  readonly fileOwnerAndMode: boolean;
  /** Keeps `isDefault`. */
  readonly defaults: boolean;
  /** Reports `valueVersion`, so a value changed elsewhere is detectable without reading it. */
  readonly valueVersion: boolean;
  /** Can return values (`readValue`). Coder's API never does. */
  readonly readValue: boolean;
  /** Keeps the owner claim of a create (`ownerClaim`, see `ownership.ts`); absent = false. */
  readonly ownerClaim?: boolean;
}

/** Delivery options shared by create and update inputs. */
export interface DeliveryOptions {
  /** `""` clears it (update). */
  readonly fileOwner?: string;
  /** `null` clears it (update). */
  readonly fileMode?: number | null;
  readonly isDefault?: boolean;
}

export interface CreateSecretInput extends DeliveryOptions {
  readonly name: string;
  readonly value: SecretText;
  /** @default "" */
  readonly description?: string;
  /** @default "" (not injected) */
  readonly envName?: string;
  /** @default "" (no file) */
  readonly filePath?: string;
  /** @default true */
  readonly enabled?: boolean;
  /**
   * Which resource instance creates the record (see `ownership.ts`); kept unchanged by updates.
   * Backends without `capabilities.ownerClaim` ignore it.
   */
  readonly ownerClaim?: string;
}

/** A partial update: an absent field is left as it is; `""` clears a description or a target. */
export interface UpdateSecretInput extends DeliveryOptions {
  readonly value?: SecretText;
  readonly description?: string;
  readonly envName?: string;
  readonly filePath?: string;
  readonly enabled?: boolean;
}

/**
 * The one client interface that the provider, the CLI and the constructs use. Implementations:
 * `backends/local` (embedded encrypted store), and further backends behind the same contract.
 *
 * Errors are `SecretStoreError`s (see `errors.ts`). Only `readValue` returns a value.
 */
export interface SecretStore {
  /** Short backend kind for logs and audit lines, e.g. `local`. */
  readonly kind: string;
  readonly capabilities: StoreCapabilities;
  create(user: string, input: CreateSecretInput): Promise<SecretMetadata>;
  update(user: string, name: string, patch: UpdateSecretInput): Promise<SecretMetadata>;
  /** Throws `SecretNotFoundError` when absent. */
  get(user: string, name: string): Promise<SecretMetadata>;
  /** All of a user's secrets, sorted by name. */
  list(user: string): Promise<SecretMetadata[]>;
  /** Throws `SecretNotFoundError` when absent. */
  delete(user: string, name: string): Promise<void>;
  /** The only value-returning call. */
  readValue(user: string, name: string): Promise<SecretText>;
  /** Creates all or none; never overwrites an existing secret. */
  importBatch(user: string, inputs: readonly CreateSecretInput[]): Promise<SecretMetadata[]>;
  /** Releases connections, locks and timers. */
  close(): Promise<void>;
}
