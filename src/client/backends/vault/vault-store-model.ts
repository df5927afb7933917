/**
 * The Vault backend's record types, input validation and the pure helpers around them (no I/O),
 * split from vault-secret-store.ts so the store file holds the request logic only.
 */
import { createHash, randomUUID } from 'node:crypto';
import { assertSecretValue, throwIfViolated } from '../../validation';
import { SecretConflictError, SecretStoreError, SecretValidationError } from '../../errors';
import {
  checkEnabledHasTarget,
  checkEnvName,
  checkFileMode,
  checkFileOptionsHaveFile,
  checkFileOwner,
  checkFilePath,
  checkName,
  checkUser,
  type RuleViolation,
} from '../../rules';
import type { CreateSecretInput, SecretMetadata, UpdateSecretInput } from '../../secret-store';
import { isOwnerClaim } from '../../ownership';
import type { SecretText } from '../../secret-text';
import type { TokenInfo } from './vault-auth';
import {
  MAX_DESCRIPTION_BYTES,
  MAX_FILE_OWNER_BYTES,
  MirrorTooLargeError,
  packMirror,
  revision,
  type StoredMeta,
} from './vault-metadata';

/** Metadata this backend returns: the shared fields plus file owner/mode and the default flag. */
export interface VaultSecretMetadata extends SecretMetadata {
  /** Owner the delivered file gets (`user` or `user:group`); absent when unset. */
  readonly fileOwner?: string;
  /** Mode the delivered file gets, e.g. 0o440; absent when unset. */
  readonly fileMode?: number;
  /** Delivered to every workspace by default. */
  readonly isDefault: boolean;
  /** The KV version at which the current value was written. */
  readonly valueVersion: number;
}

export interface VaultCreateSecretInput extends CreateSecretInput {
  /** @default "" (unset) */
  readonly fileOwner?: string;
  /** @default unset */
  readonly fileMode?: number;
  /** @default false */
  readonly isDefault?: boolean;
}

export interface VaultUpdateSecretInput extends UpdateSecretInput {
  /** `""` clears it. */
  readonly fileOwner?: string;
  /** `null` clears it. */
  readonly fileMode?: number | null;
  readonly isDefault?: boolean;
}

export interface SecretStoreCapabilities {
  readonly fileOwnerAndMode: boolean;
  readonly defaults: boolean;
  readonly valueVersion: boolean;
  readonly readValue: boolean;
  readonly ownerClaim: boolean;
}

/** The state of one KV key as this store sees it. */
/** The fields of a new secret after defaults. */
export interface NewFields {
  readonly name: string;
  readonly value: SecretText;
  readonly description: string;
  readonly envName: string;
  readonly filePath: string;
  readonly enabled: boolean;
  readonly fileOwner: string;
  readonly fileMode: number | undefined;
  readonly isDefault: boolean;
  readonly ownerClaim?: string;
}

export interface KvMetadata {
  readonly currentVersion: number;
  readonly createdTime: string;
  readonly customMetadata: unknown;
  readonly versions: Readonly<Record<string, { created_time?: unknown; deletion_time?: unknown; destroyed?: unknown }>>;
}

/** The state of one KV key as this store sees it. */
export interface Current {
  readonly meta: StoredMeta;
  /** The key's current KV version. */
  readonly version: number;
  /** Metadata `created_time`: when the key was first written. */
  readonly createdTime: string;
  /** `created_time` of the current version: when the secret last changed. */
  readonly versionTime: string;
  /** Read without the data document although the mirror is stale: `meta` is the last mirrored one. */
  readonly unverified?: boolean;
}

// -----------------------------------------------------------------------------------------------
// Identity

/**
 * Who `me` is for a token obtained by logging in, from `auth/token/lookup-self`, first usable of:
 * 1. `meta.username` (userpass, LDAP, OIDC/JWT roles with a `username` claim mapping);
 * 2. `display_name` without the auth mount prefix Vault puts in front (`jwt-alice` → `alice`);
 * 3. `meta.role_name` (AppRole: its display name is only the mount);
 * 4. `entity_id`.
 * Candidates that break the user-name rules (e.g. contain `/`) are skipped.
 */
export function identityFromToken(info: TokenInfo, authMount: string): string | undefined {
  const mountPrefix = authMount.replace(/\//g, '-') + '-';
  const display = info.displayName.startsWith(mountPrefix) ? info.displayName.slice(mountPrefix.length) : '';
  const candidates = [info.meta.username, display, info.meta.role_name, info.entityId];
  return candidates.find((c): c is string => c !== undefined && c !== '' && checkUser(c) === undefined);
}

// -----------------------------------------------------------------------------------------------
// Validation

export function checkDescription(description: string): RuleViolation | undefined {
  const bytes = Buffer.byteLength(description, 'utf8');
  if (bytes > MAX_DESCRIPTION_BYTES) {
    return {
      field: 'description',
      message: `description must be at most ${MAX_DESCRIPTION_BYTES} bytes on the Vault backend (got ${bytes})`,
    };
  }
  return undefined;
}

/** The shared rule, plus what Vault's custom_metadata can hold. */
export function checkVaultFileOwner(owner: string): RuleViolation | undefined {
  if (Buffer.byteLength(owner, 'utf8') > MAX_FILE_OWNER_BYTES) {
    return { field: 'file_owner', message: `file_owner must be at most ${MAX_FILE_OWNER_BYTES} bytes` };
  }
  return checkFileOwner(owner);
}

export function checkVaultFileMode(mode: unknown): RuleViolation | undefined {
  if (mode === undefined || mode === null) return undefined;
  return typeof mode === 'number' ? checkFileMode(mode) : { field: 'file_mode', message: 'file_mode must be a number such as 0o440' };
}

export function checkMirrorFits(meta: StoredMeta, prefix: string): void {
  try {
    packMirror(meta, revision(Number.MAX_SAFE_INTEGER, '2006-01-02T15:04:05.999999999Z'));
  } catch (error) {
    if (!(error instanceof MirrorTooLargeError)) throw error;
    throw new SecretValidationError(
      error.field,
      `${prefix}the metadata is too large for Vault's custom_metadata (${error.keys} keys of at most 512 bytes; 64 allowed): shorten ${error.field}`,
    );
  }
}

export function validateCreate(input: VaultCreateSecretInput, prefix: string): NewFields {
  const fields: NewFields = {
    name: input.name,
    value: input.value,
    description: input.description ?? '',
    envName: input.envName ?? '',
    filePath: input.filePath ?? '',
    enabled: input.enabled ?? true,
    fileOwner: input.fileOwner ?? '',
    fileMode: input.fileMode,
    isDefault: input.isDefault ?? false,
    ...(input.ownerClaim !== undefined ? { ownerClaim: input.ownerClaim } : {}),
  };
  if (fields.ownerClaim !== undefined && !isOwnerClaim(fields.ownerClaim)) {
    throw new SecretValidationError('owner_claim', `${prefix}owner_claim is not a Coffer owner claim`);
  }
  throwIfViolated(checkName(fields.name), prefix);
  assertSecretValue(fields.value, prefix);
  throwIfViolated(checkEnvName(fields.envName), prefix);
  throwIfViolated(checkFilePath(fields.filePath), prefix);
  throwIfViolated(checkEnabledHasTarget(fields.enabled, fields.envName, fields.filePath), prefix);
  throwIfViolated(checkDescription(fields.description), prefix);
  throwIfViolated(checkVaultFileOwner(fields.fileOwner), prefix);
  throwIfViolated(checkVaultFileMode(fields.fileMode), prefix);
  throwIfViolated(checkFileOptionsHaveFile(fields.filePath, fields.fileOwner, fields.fileMode ?? null), prefix);
  if (typeof fields.isDefault !== 'boolean')
    throw new SecretValidationError('is_default', `${prefix}is_default must be a boolean`);
  checkMirrorFits({ ...fields, id: randomUUID(), valueVersion: 1 }, prefix);
  return fields;
}

export function validatePatch(patch: VaultUpdateSecretInput): void {
  const given = [
    patch.value,
    patch.description,
    patch.envName,
    patch.filePath,
    patch.enabled,
    patch.fileOwner,
    patch.fileMode,
    patch.isDefault,
  ].filter((v) => v !== undefined);
  if (given.length === 0) throw new SecretValidationError('patch', 'at least one field must be provided');
  if (patch.value !== undefined) assertSecretValue(patch.value);
  if (patch.envName !== undefined) throwIfViolated(checkEnvName(patch.envName));
  if (patch.filePath !== undefined) throwIfViolated(checkFilePath(patch.filePath));
  if (patch.description !== undefined) throwIfViolated(checkDescription(patch.description));
  if (patch.fileOwner !== undefined) throwIfViolated(checkVaultFileOwner(patch.fileOwner));
  if (patch.fileMode !== undefined && patch.fileMode !== null) throwIfViolated(checkVaultFileMode(patch.fileMode));
  if (patch.isDefault !== undefined && typeof patch.isDefault !== 'boolean') {
    throw new SecretValidationError('is_default', 'is_default must be a boolean');
  }
}


// -----------------------------------------------------------------------------------------------
// Helpers

export function alreadyExists(owner: string, name: string, prefix: string): SecretConflictError {
  return new SecretConflictError(`${prefix}secret "${name}" of user "${owner}" already exists`, 'name');
}

export function malformed(path: string): SecretStoreError {
  return new SecretStoreError('unavailable', `Vault sent an unexpected answer for ${path}`, { retryable: false });
}

/** Adds what the rollback of a failed import could not undo to the error that caused it. */
export function withRollbackReport(error: unknown, owner: string, leftovers: readonly string[]): unknown {
  if (leftovers.length === 0 || !(error instanceof SecretStoreError)) return error;
  const note = `; rolling back the import failed for ${leftovers.length} secret(s) of user "${owner}", delete them by hand: ${leftovers.map((n) => `"${n}"`).join(', ')}`;
  return new SecretStoreError(error.code, error.message + note, {
    field: error.field,
    retryable: error.retryable,
    cause: error,
  });
}

export function parseKvMetadata(raw: unknown): KvMetadata | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  if (typeof o.current_version !== 'number') return undefined;
  const versions = typeof o.versions === 'object' && o.versions !== null ? (o.versions as KvMetadata['versions']) : {};
  return {
    currentVersion: o.current_version,
    createdTime: typeof o.created_time === 'string' ? o.created_time : '',
    customMetadata: o.custom_metadata,
    versions,
  };
}

/** Metadata for a KV entry Coffer did not write: no targets, disabled, a stable id derived from its path. */
export function foreignMeta(path: string, md: KvMetadata): StoredMeta {
  const hash = createHash('sha256').update(`${path}\0${md.createdTime}`).digest('hex');
  const id = `${hash.slice(0, 8)}-${hash.slice(8, 12)}-5${hash.slice(13, 16)}-${((parseInt(hash[16]!, 16) & 3) | 8).toString(16)}${hash.slice(17, 20)}-${hash.slice(20, 32)}`;
  return {
    id,
    description: '',
    envName: '',
    filePath: '',
    enabled: false,
    fileOwner: '',
    fileMode: undefined,
    isDefault: false,
    valueVersion: md.currentVersion,
  };
}

export function isoTime(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString();
}

export function toMetadata(owner: string, name: string, current: Current): VaultSecretMetadata {
  const m = current.meta;
  return {
    id: m.id,
    user: owner,
    name,
    description: m.description,
    envName: m.envName,
    filePath: m.filePath,
    enabled: m.enabled,
    createdAt: isoTime(current.createdTime),
    // Every change is a new KV version, so the current version's time is the last change.
    updatedAt: isoTime(current.versionTime),
    valueVersion: m.valueVersion,
    isDefault: m.isDefault,
    ...(current.unverified === true ? { metadataUnverified: true } : {}),
    ...(m.ownerClaim !== undefined ? { ownerClaim: m.ownerClaim } : {}),
    ...(m.fileOwner !== '' ? { fileOwner: m.fileOwner } : {}),
    ...(m.fileMode !== undefined ? { fileMode: m.fileMode } : {}),
  };
}
