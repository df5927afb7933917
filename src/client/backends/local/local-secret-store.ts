import { randomUUID } from 'node:crypto';
import { assertSecretValue, throwIfViolated } from '../../validation';
import { checkBatchDuplicates } from '../../batch-rules';
import * as os from 'node:os';
import {
  BackendUnavailableError,
  SecretConflictError,
  SecretNotFoundError,
  SecretStoreError,
  SecretValidationError,
  STORE_RECOVERY_HINT,
  StoreIntegrityError,
} from '../../errors';
import {
  checkEnabledHasTarget,
  checkFileMode,
  checkFileOptionsHaveFile,
  checkFileOwner,
  checkEnvName,
  checkFilePath,
  checkName,
  checkUser,
} from '../../rules';
import { isOwnerClaim } from '../../ownership';
import type { CreateSecretInput, SecretMetadata, SecretStore, UpdateSecretInput } from '../../secret-store';
import { SecretText } from '../../secret-text';
import { loadKey, loadOrCreateKey, ValueCipher, type SealedValue } from './cipher';
import { JournaledState } from './journaled-state';
import { valueContext } from './value-context';
import { resolveCofferHome, storeLayout, type StoreLayout } from './paths';
import type { Operation, StoredSecret } from './records';
import type { SecretIndex } from './secret-index';
import { compareCodePoints } from '../../ordering';

export interface LocalSecretStoreOptions {
  /** Coffer's data directory; the store lives in `<home>/store`. Default: `resolveCofferHome(env)`. */
  readonly home?: string;
  /** Who the user `me` is. Default: `COFFER_USER`, else the operating-system user name. */
  readonly identity?: string;
  /** Where `COFFER_HOME`, `COFFER_USER`, `XDG_DATA_HOME` and `HOME` are read from. Default: `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The one reserved owner (users starting with "@" are refused by `checkUser`) this instance
   * accepts. Set only by `CredentialStore`, which never hands the instance out.
   */
  readonly internalOwner?: string;
  /** How long a call waits for another process's write. @default 30000 */
  readonly lockTimeoutMs?: number;
  /** The journal is compacted once it exceeds this size… @default 1 MiB */
  readonly compactMinBytes?: number;
  /** …and this many times the size of the live data. @default 4 */
  readonly compactRatio?: number;
}

/** The fields of a secret a caller controls, after defaults. */
interface SecretFields {
  readonly name: string;
  readonly value: SecretText;
  readonly description: string;
  readonly envName: string;
  readonly filePath: string;
  readonly enabled: boolean;
  readonly fileOwner: string;
  readonly fileMode: number | null;
  readonly isDefault: boolean;
}

const ME = 'me';

/**
 * The embedded store: AES-256-GCM encrypted values in a journal plus snapshot under the Coffer
 * home, safe for many processes at once. See `journaled-state.ts` for the file protocol and
 * `cipher.ts` for the encryption.
 */
export class LocalSecretStore implements SecretStore {
  readonly kind = 'local';
  readonly capabilities = { fileOwnerAndMode: true, defaults: true, valueVersion: true, readValue: true, ownerClaim: true } as const;
  /** The Coffer home this store belongs to. */
  readonly home: string;
  /** The directory that holds the store's files. */
  readonly storeDir: string;
  /** What `me` resolves to. */
  readonly identity: string;

  readonly #layout: StoreLayout;
  readonly #state: JournaledState;
  readonly #internalOwner: string | undefined;
  #cipher: ValueCipher | undefined;
  #closed = false;

  constructor(options: LocalSecretStoreOptions = {}) {
    const env = options.env ?? process.env;
    this.home = options.home ?? resolveCofferHome(env);
    this.#layout = storeLayout(this.home);
    this.storeDir = this.#layout.dir;
    this.identity = options.identity ?? defaultIdentity(env);
    this.#internalOwner = options.internalOwner;
    this.#state = new JournaledState(this.#layout, {
      lockTimeoutMs: options.lockTimeoutMs ?? 30_000,
      compactMinBytes: options.compactMinBytes ?? 1024 * 1024,
      compactRatio: options.compactRatio ?? 4,
    });
  }

  async create(user: string, input: CreateSecretInput): Promise<SecretMetadata> {
    return this.#run(async () => {
      const owner = this.#resolveUser(user);
      const fields = validateCreate(input, '');
      return this.#state.mutate((index) => {
        checkConflicts(index, owner, fields, undefined);
        const secret = { ...this.#newSecret(index, owner, fields), ...claimOf(input) };
        return { ops: [{ op: 'put', secret }], result: toMetadata(secret) };
      });
    });
  }

  async update(user: string, name: string, patch: UpdateSecretInput): Promise<SecretMetadata> {
    return this.#run(async () => {
      const owner = this.#resolveUser(user);
      throwIfViolated(checkName(name));
      validatePatch(patch);
      return this.#state.mutate((index) => {
        const current = index.get(owner, name);
        if (current === undefined) throw new SecretNotFoundError(owner, name);
        const next = {
          name,
          description: patch.description ?? current.description,
          envName: patch.envName ?? current.envName,
          filePath: patch.filePath ?? current.filePath,
          enabled: patch.enabled ?? current.enabled,
          fileOwner: patch.fileOwner ?? current.fileOwner ?? '',
          fileMode: patch.fileMode !== undefined ? patch.fileMode : (current.fileMode ?? null),
          isDefault: patch.isDefault ?? current.isDefault ?? false,
        };
        throwIfViolated(checkEnabledHasTarget(next.enabled, next.envName, next.filePath));
        throwIfViolated(checkFileOptionsHaveFile(next.filePath, next.fileOwner, next.fileMode));
        checkConflicts(index, owner, next, current.id);
        // Writing the value a secret already holds is not a value change.
        const newValue =
          patch.value !== undefined && !this.#holdsValue(index, current, patch.value) ? patch.value : undefined;
        const valueChanged = newValue !== undefined;
        const metadataChanged =
          next.description !== current.description ||
          next.envName !== current.envName ||
          next.filePath !== current.filePath ||
          next.enabled !== current.enabled ||
          next.fileOwner !== (current.fileOwner ?? '') ||
          next.fileMode !== (current.fileMode ?? null) ||
          next.isDefault !== (current.isDefault ?? false);
        // Nothing changes: no new version, no new timestamp, nothing written.
        if (!valueChanged && !metadataChanged) return { ops: [], result: toMetadata(current) };
        const valueVersion = valueChanged ? current.valueVersion + 1 : current.valueVersion;
        const secret: StoredSecret = {
          ...withoutDelivery(current),
          ...delivery(next),
          description: next.description,
          envName: next.envName,
          filePath: next.filePath,
          enabled: next.enabled,
          updatedAt: new Date().toISOString(),
          valueVersion,
          value: newValue !== undefined ? this.#seal(index, owner, current.id, valueVersion, newValue) : current.value,
        };
        return { ops: [{ op: 'put', secret }], result: toMetadata(secret) };
      });
    });
  }

  async get(user: string, name: string): Promise<SecretMetadata> {
    return this.#run(async () => toMetadata(this.#find(user, name)));
  }

  async list(user: string): Promise<SecretMetadata[]> {
    return this.#run(async () => {
      const owner = this.#resolveUser(user);
      return this.#state
        .refresh()
        .list(owner)
        .sort((a, b) => compareCodePoints(a.name, b.name))
        .map(toMetadata);
    });
  }

  async delete(user: string, name: string): Promise<void> {
    return this.#run(async () => {
      const owner = this.#resolveUser(user);
      throwIfViolated(checkName(name));
      await this.#state.mutate((index) => {
        const current = index.get(owner, name);
        if (current === undefined) throw new SecretNotFoundError(owner, name);
        return { ops: [{ op: 'delete', user: owner, id: current.id }], result: undefined };
      });
    });
  }

  async readValue(user: string, name: string): Promise<SecretText> {
    return this.#run(async () => {
      const secret = this.#find(user, name);
      const plaintext = this.#readCipher().open(
        secret.value,
        valueContext(secret.user, secret.id, secret.valueVersion),
      );
      if (plaintext === undefined) throw undecryptable(secret);
      return new SecretText(plaintext);
    });
  }

  async importBatch(user: string, inputs: readonly CreateSecretInput[]): Promise<SecretMetadata[]> {
    return this.#run(async () => {
      const owner = this.#resolveUser(user);
      const batch = inputs.map((input, i) => validateCreate(input, `import item ${i + 1}: `));
      checkBatchDuplicates(batch);
      if (batch.length === 0) return [];
      return this.#state.mutate((index) => {
        batch.forEach((fields, i) => checkConflicts(index, owner, fields, undefined, `import item ${i + 1}: `));
        const secrets = batch.map((fields) => this.#newSecret(index, owner, fields));
        // One transaction, so a crash mid-write leaves a torn line that commits none of them.
        const ops: Operation[] = secrets.map((secret) => ({ op: 'put', secret }));
        return { ops, result: secrets.map(toMetadata) };
      });
    });
  }

  async close(): Promise<void> {
    // Nothing is held between calls (no open files, no lock, no timers); refuse further use.
    this.#closed = true;
  }

  #find(user: string, name: string): StoredSecret {
    const owner = this.#resolveUser(user);
    throwIfViolated(checkName(name));
    const secret = this.#state.refresh().get(owner, name);
    if (secret === undefined) throw new SecretNotFoundError(owner, name);
    return secret;
  }

  #resolveUser(user: string): string {
    if (this.#internalOwner !== undefined && user === this.#internalOwner) return user;
    throwIfViolated(checkUser(user));
    if (user !== ME) return user;
    throwIfViolated(checkUser(this.identity, 'identity'));
    return this.identity;
  }

  #newSecret(index: SecretIndex, owner: string, fields: SecretFields): StoredSecret {
    const id = randomUUID();
    const now = new Date().toISOString();
    return {
      id,
      user: owner,
      name: fields.name,
      description: fields.description,
      envName: fields.envName,
      filePath: fields.filePath,
      enabled: fields.enabled,
      createdAt: now,
      updatedAt: now,
      valueVersion: 1,
      value: this.#seal(index, owner, id, 1, fields.value),
      ...delivery(fields),
    };
  }

  #seal(index: SecretIndex, owner: string, id: string, valueVersion: number, value: SecretText): SealedValue {
    return this.#writeCipher(index).seal(value.reveal(), valueContext(owner, id, valueVersion));
  }

  /** Constant-time check whether `secret` already holds `value`; false when it cannot be decrypted. */
  #holdsValue(index: SecretIndex, secret: StoredSecret, value: SecretText): boolean {
    const current = this.#writeCipher(index).open(
      secret.value,
      valueContext(secret.user, secret.id, secret.valueVersion),
    );
    return current !== undefined && new SecretText(current).equals(value);
  }

  /**
   * The key for writing. A new key is only made for a store without secrets: if the key file went
   * missing while secrets exist, a fresh key would silently make all of them unreadable. For the
   * same reason a key that does not open the existing records (the key file was replaced) is
   * refused before anything is sealed with it.
   */
  #writeCipher(index: SecretIndex): ValueCipher {
    if (this.#cipher !== undefined) return this.#cipher;
    const key = index.size === 0 ? loadOrCreateKey(this.#layout.keyPath) : loadKey(this.#layout.keyPath);
    if (key === undefined) throw missingKey(this.#layout);
    const cipher = new ValueCipher(key);
    const sample = index.newest();
    if (sample !== undefined && cipher.open(sample.value, valueContext(sample.user, sample.id, sample.valueVersion)) === undefined) {
      throw wrongKey(this.#layout, sample);
    }
    this.#cipher = cipher;
    return this.#cipher;
  }

  #readCipher(): ValueCipher {
    if (this.#cipher !== undefined) return this.#cipher;
    const key = loadKey(this.#layout.keyPath);
    if (key === undefined) throw missingKey(this.#layout);
    this.#cipher = new ValueCipher(key);
    return this.#cipher;
  }

  /** Every failure leaves as a `SecretStoreError`; file-system errors name a path, never data. */
  async #run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#closed)
      throw new SecretStoreError('unavailable', 'the local secret store is closed', { retryable: false });
    try {
      return await operation();
    } catch (error) {
      if (error instanceof SecretStoreError) throw error;
      const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'error';
      throw new BackendUnavailableError(`the local store at ${this.storeDir} failed (${code})`, error);
    }
  }
}

function defaultIdentity(env: NodeJS.ProcessEnv): string {
  if (env.COFFER_USER !== undefined && env.COFFER_USER !== '') return env.COFFER_USER;
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to what the shell says, then the uid.
    return env.USER || env.LOGNAME || `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}


function validateCreate(input: CreateSecretInput, prefix: string): SecretFields {
  const fields: SecretFields = {
    name: input.name,
    value: input.value,
    description: input.description ?? '',
    envName: input.envName ?? '',
    filePath: input.filePath ?? '',
    enabled: input.enabled ?? true,
    fileOwner: input.fileOwner ?? '',
    fileMode: input.fileMode ?? null,
    isDefault: input.isDefault ?? false,
  };
  throwIfViolated(checkName(fields.name), prefix);
  assertSecretValue(fields.value, prefix);
  throwIfViolated(checkEnvName(fields.envName), prefix);
  throwIfViolated(checkFilePath(fields.filePath), prefix);
  throwIfViolated(checkEnabledHasTarget(fields.enabled, fields.envName, fields.filePath), prefix);
  throwIfViolated(checkFileOwner(fields.fileOwner), prefix);
  if (fields.fileMode !== null) throwIfViolated(checkFileMode(fields.fileMode), prefix);
  throwIfViolated(checkFileOptionsHaveFile(fields.filePath, fields.fileOwner, fields.fileMode), prefix);
  return fields;
}

function validatePatch(patch: UpdateSecretInput): void {
  const given = [patch.value, patch.description, patch.envName, patch.filePath, patch.enabled, patch.fileOwner, patch.fileMode, patch.isDefault].filter(
    (v) => v !== undefined,
  );
  if (given.length === 0) throw new SecretValidationError('patch', 'at least one field must be provided');
  if (patch.value !== undefined) assertSecretValue(patch.value);
  if (patch.envName !== undefined) throwIfViolated(checkEnvName(patch.envName));
  if (patch.filePath !== undefined) throwIfViolated(checkFilePath(patch.filePath));
  if (patch.fileOwner !== undefined) throwIfViolated(checkFileOwner(patch.fileOwner));
  if (patch.fileMode !== undefined && patch.fileMode !== null) throwIfViolated(checkFileMode(patch.fileMode));
}

/** Delivery options as stored: only the ones that differ from the defaults. */
function delivery(fields: { fileOwner: string; fileMode: number | null; isDefault: boolean }): Partial<StoredSecret> {
  return {
    ...(fields.fileOwner !== '' ? { fileOwner: fields.fileOwner } : {}),
    ...(fields.fileMode !== null ? { fileMode: fields.fileMode } : {}),
    ...(fields.isDefault ? { isDefault: true } : {}),
  };
}

function withoutDelivery(secret: StoredSecret): StoredSecret {
  const { fileOwner: _owner, fileMode: _mode, isDefault: _default, ...rest } = secret;
  return rest;
}

/** Names, env names and file paths are unique per user; `selfId` is the secret being updated. */
function checkConflicts(
  index: SecretIndex,
  owner: string,
  fields: Omit<SecretFields, 'value'>,
  selfId: string | undefined,
  prefix = '',
): void {
  if (selfId === undefined && index.get(owner, fields.name) !== undefined) {
    throw new SecretConflictError(`${prefix}secret "${fields.name}" of user "${owner}" already exists`, 'name');
  }
  if (fields.envName !== '') {
    const other = index.nameByEnvName(owner, fields.envName);
    if (other !== undefined && other !== fields.name) {
      throw new SecretConflictError(
        `${prefix}env_name "${fields.envName}" is already used by secret "${other}"`,
        'env_name',
      );
    }
  }
  if (fields.filePath !== '') {
    const other = index.nameByFilePath(owner, fields.filePath);
    if (other !== undefined && other !== fields.name) {
      throw new SecretConflictError(
        `${prefix}file_path "${fields.filePath}" is already used by secret "${other}"`,
        'file_path',
      );
    }
  }
}


/** The validated owner claim of a create, as stored (nothing when none was given). */
function claimOf(input: CreateSecretInput): { ownerClaim?: string } {
  if (input.ownerClaim === undefined) return {};
  if (!isOwnerClaim(input.ownerClaim)) throw new SecretValidationError('owner_claim', 'owner_claim is not a Coffer owner claim');
  return { ownerClaim: input.ownerClaim };
}

function toMetadata(secret: StoredSecret): SecretMetadata {
  return {
    id: secret.id,
    user: secret.user,
    name: secret.name,
    description: secret.description,
    envName: secret.envName,
    filePath: secret.filePath,
    enabled: secret.enabled,
    createdAt: secret.createdAt,
    updatedAt: secret.updatedAt,
    valueVersion: secret.valueVersion,
    ...(secret.fileOwner !== undefined ? { fileOwner: secret.fileOwner } : {}),
    ...(secret.fileMode !== undefined ? { fileMode: secret.fileMode } : {}),
    ...(secret.isDefault ? { isDefault: true } : {}),
    ...(secret.ownerClaim !== undefined ? { ownerClaim: secret.ownerClaim } : {}),
  };
}

function undecryptable(secret: StoredSecret): SecretStoreError {
  return new SecretStoreError(
    'unavailable',
    `the value of secret "${secret.name}" of user "${secret.user}" cannot be decrypted: the store key does not match or the data is damaged`,
    { retryable: false },
  );
}

function wrongKey(layout: StoreLayout, sample: StoredSecret): StoreIntegrityError {
  return new StoreIntegrityError(
    layout.keyPath,
    `the store key ${layout.keyPath} does not open the existing records (secret "${sample.name}" of user "${sample.user}" fails to decrypt): it was replaced or the data is damaged, so nothing new is written under it. Restore the original key file. ${STORE_RECOVERY_HINT}`,
  );
}

function missingKey(layout: StoreLayout): SecretStoreError {
  return new SecretStoreError(
    'unavailable',
    `the store key ${layout.keyPath} is missing, so the stored values cannot be decrypted (restore it from a backup)`,
    { retryable: false },
  );
}
