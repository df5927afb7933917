/**
 * Typed errors of the secret client. Every message is written by Coffer from metadata only:
 * no constructor here accepts a secret value, so none can end up in a message.
 */
export type SecretErrorCode =
  | 'not_found'
  | 'conflict'
  | 'validation'
  | 'unauthorized'
  | 'unavailable'
  | 'limit'
  | 'unsupported';

export class SecretStoreError extends Error {
  readonly code: SecretErrorCode;
  /** The input field the error is about (`name`, `env_name`, `file_path`, `value`, …), if any. */
  readonly field?: string;
  /** True when the same call may succeed later (network, server busy, lock contention). */
  readonly retryable: boolean;

  constructor(code: SecretErrorCode, message: string, options: { field?: string; retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SecretStoreError';
    this.code = code;
    this.field = options.field;
    this.retryable = options.retryable ?? code === 'unavailable';
  }
}

export class SecretNotFoundError extends SecretStoreError {
  constructor(user: string, name: string) {
    super('not_found', `secret "${name}" of user "${user}" does not exist`);
    this.name = 'SecretNotFoundError';
  }
}

export class SecretConflictError extends SecretStoreError {
  constructor(message: string, field: string) {
    super('conflict', message, { field });
    this.name = 'SecretConflictError';
  }
}

export class SecretValidationError extends SecretStoreError {
  constructor(field: string, message: string) {
    super('validation', message, { field });
    this.name = 'SecretValidationError';
  }
}

export class BackendUnavailableError extends SecretStoreError {
  constructor(message: string, cause?: unknown) {
    super('unavailable', message, { retryable: true, cause });
    this.name = 'BackendUnavailableError';
  }
}

/** How to find out more and how to repair: the same words in every integrity error. */
export const STORE_RECOVERY_HINT =
  'Nothing was written. Run "coffer store verify" for a full report, and "coffer store recover --from-backup DIR" to restore a backup made with "coffer store backup DIR"';

/**
 * The embedded store found missing, damaged, rolled-back or unsafe files. Never retried and never
 * repaired silently: the message names the file and the recovery command.
 */
export class StoreIntegrityError extends SecretStoreError {
  /** The file (or directory) at fault. */
  readonly file: string;

  constructor(file: string, message: string) {
    super('unavailable', message, { retryable: false });
    this.name = 'StoreIntegrityError';
    this.file = file;
  }
}

export function isSecretStoreError(error: unknown): error is SecretStoreError {
  return error instanceof SecretStoreError;
}
