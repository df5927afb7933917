/**
 * The double's own field validation, written from coder-secrets-api.md §2 (not from Coffer's
 * `src/client/rules.ts`, so the double can catch a client that validates differently). Every
 * check returns `codersdk.ValidationError`s (`{field, detail}`) that never quote a value.
 */

export interface ValidationError {
  readonly field: string;
  readonly detail: string;
}

export const MAX_NAME_LENGTH = 255;
export const MAX_VALUE_BYTES = 24 * 1024;
export const MAX_ENV_NAME_BYTES = 256;
export const MAX_FILE_PATH_BYTES = 4096;
export const MAX_SECRETS_PER_USER = 50;
export const MAX_TOTAL_VALUE_BYTES = 200 * 1024;
export const MAX_ENV_INJECTED_BYTES = 24 * 1024;
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
export const MAX_SECRETS_FILE_BYTES = 1024 * 1024;
export const MAX_SECRETS_FILE_KEYS = 50;

const POSIX_ENV = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const RESERVED_ENV = new Set([
  'PATH',
  'HOME',
  'SHELL',
  'USER',
  'LOGNAME',
  'PWD',
  'OLDPWD',
  'LANG',
  'TERM',
  'IFS',
  'CDPATH',
  'ENV',
  'BASH_ENV',
  'TMPDIR',
  'TMP',
  'TEMP',
  'HOSTNAME',
  'SSH_AUTH_SOCK',
  'SSH_CLIENT',
  'SSH_CONNECTION',
  'SSH_TTY',
  'EDITOR',
  'VISUAL',
  'PAGER',
  'VSCODE_PROXY_URI',
  'CS_DISABLE_GETTING_STARTED_OVERRIDE',
  'XDG_RUNTIME_DIR',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_CACHE_HOME',
  'XDG_STATE_HOME',
]);
const RESERVED_PREFIXES = ['GIT_', 'LC_', 'LD_', 'DYLD_'];

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

export function validateName(name: unknown, field = 'name'): ValidationError[] {
  if (typeof name !== 'string' || name === '') return [{ field, detail: 'Name is required.' }];
  if (name.trim() === '') return [{ field, detail: 'Name must not be blank.' }];
  if (name.trim() !== name) return [{ field, detail: 'Name must not have leading or trailing whitespace.' }];
  for (const c of ['/', '?', '#']) {
    if (name.includes(c)) return [{ field, detail: `Name must not contain "${c}".` }];
  }
  if ([...name].length > MAX_NAME_LENGTH) {
    return [{ field, detail: `Name must be at most ${MAX_NAME_LENGTH} characters.` }];
  }
  return [];
}

/** `create` requires a non-empty value; a PATCH only checks NUL bytes and size (as documented). */
export function validateValue(value: unknown, required: boolean, field = 'value'): ValidationError[] {
  if (typeof value !== 'string') return required ? [{ field, detail: 'Value is required.' }] : [];
  if (required && value === '') return [{ field, detail: 'Value is required.' }];
  if (value.includes('\0')) return [{ field, detail: 'Value must not contain null bytes.' }];
  if (bytes(value) > MAX_VALUE_BYTES) {
    return [{ field, detail: `Value must be at most ${MAX_VALUE_BYTES} bytes (24 KiB).` }];
  }
  return [];
}

/** Whether a key of an import file becomes the env name (valid and not reserved). */
export function envNameProblem(envName: string): string | undefined {
  if (envName === '') return undefined;
  if (bytes(envName) > MAX_ENV_NAME_BYTES)
    return `Environment variable name must be at most ${MAX_ENV_NAME_BYTES} bytes.`;
  if (!POSIX_ENV.test(envName)) {
    return 'Environment variable name must start with a letter or underscore and contain only letters, digits and underscores.';
  }
  const upper = envName.toUpperCase();
  if (upper === 'CODER' || upper.startsWith('CODER_')) {
    return `Environment variable name "${envName}" is reserved: the CODER_ prefix is used by Coder.`;
  }
  if (RESERVED_ENV.has(upper)) return `Environment variable name "${envName}" is reserved.`;
  const prefix = RESERVED_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix !== undefined) return `Environment variable name "${envName}" uses the reserved prefix ${prefix}.`;
  return undefined;
}

export function validateEnvName(envName: unknown, field = 'env_name'): ValidationError[] {
  if (envName === undefined || envName === null) return [];
  if (typeof envName !== 'string') return [{ field, detail: 'Environment variable name must be a string.' }];
  const problem = envNameProblem(envName);
  return problem === undefined ? [] : [{ field, detail: problem }];
}

export function validateFilePath(filePath: unknown, field = 'file_path'): ValidationError[] {
  if (filePath === undefined || filePath === null || filePath === '') return [];
  if (typeof filePath !== 'string') return [{ field, detail: 'File path must be a string.' }];
  if (!filePath.startsWith('~/') && !filePath.startsWith('/')) {
    return [{ field, detail: 'File path must start with "~/" or "/".' }];
  }
  if (filePath.includes('\0')) return [{ field, detail: 'File path must not contain null bytes.' }];
  if (bytes(filePath) > MAX_FILE_PATH_BYTES) {
    return [{ field, detail: `File path must be at most ${MAX_FILE_PATH_BYTES} bytes.` }];
  }
  return [];
}

export const ENABLED_NEEDS_TARGET =
  'An enabled secret must have an env_name or a file_path. Set enabled to false to store it without injecting it.';
