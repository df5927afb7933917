/**
 * The rules a secret's fields must follow, written once for the provider, the CLI, the
 * constructs and every backend. They follow Coder's user-secrets API so a secret accepted
 * here is accepted there. Each check returns a problem (field + rule, never the value) or
 * undefined.
 */

export const MAX_NAME_LENGTH = 255;
export const MAX_ENV_NAME_BYTES = 256;
export const MAX_FILE_PATH_BYTES = 4096;
export const MAX_VALUE_BYTES = 24 * 1024;

export interface RuleViolation {
  /** The field as users write it in HCL and on the CLI: `name`, `env_name`, `file_path`, `value`. */
  readonly field: string;
  /** One sentence naming the rule that was broken. */
  readonly message: string;
}

const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names the workspace itself relies on (Coder's list); compared case-insensitively. */
export const RESERVED_ENV_NAMES: ReadonlySet<string> = new Set([
  'PATH', 'HOME', 'SHELL', 'USER', 'LOGNAME', 'PWD', 'OLDPWD', 'LANG', 'TERM', 'IFS', 'CDPATH',
  'ENV', 'BASH_ENV', 'TMPDIR', 'TMP', 'TEMP', 'HOSTNAME', 'SSH_AUTH_SOCK', 'SSH_CLIENT',
  'SSH_CONNECTION', 'SSH_TTY', 'EDITOR', 'VISUAL', 'PAGER', 'VSCODE_PROXY_URI',
  'CS_DISABLE_GETTING_STARTED_OVERRIDE', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME',
  'XDG_CACHE_HOME', 'XDG_STATE_HOME',
]);

/**
 * Coffer's addition to Coder's list: variables that make a program load code, libraries or
 * settings from somewhere else, run a command, or weaken TLS. A secret delivered under one of
 * these names (by `coffer run`, or after the backend was edited) would hijack every process of
 * the workspace, so they are refused. Compared case-insensitively. See docs/provider.md.
 */
export const HOOK_ENV_NAMES: ReadonlySet<string> = new Set([
  // Node.js: flags, module search path, REPL module, extra CAs, TLS verification off.
  'NODE_OPTIONS', 'NODE_PATH', 'NODE_REPL_EXTERNAL_MODULE', 'NODE_EXTRA_CA_CERTS', 'NODE_TLS_REJECT_UNAUTHORIZED',
  // Perl and Ruby: options and library paths (PERL5* and PERL_* are prefixes below).
  'PERLLIB', 'PERLIO', 'PERLDB_OPTS', 'RUBYOPT', 'RUBYLIB', 'RUBYPATH', 'RUBYSHELL', 'GEM_HOME', 'GEM_PATH', 'BUNDLE_GEMFILE',
  // Java and .NET: agent and startup hooks, class path.
  'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'JAVA_OPTS', 'CLASSPATH',
  'DOTNET_STARTUP_HOOKS', 'COR_ENABLE_PROFILING', 'COR_PROFILER', 'COR_PROFILER_PATH',
  // Shells: startup files and prompts that are evaluated, option sets.
  'PROMPT_COMMAND', 'PS0', 'PS1', 'PS2', 'PS3', 'PS4', 'SHELLOPTS', 'BASHOPTS', 'ZDOTDIR', 'FPATH', 'INPUTRC', 'HISTFILE', 'GLOBIGNORE',
  // C library and resolver: code/config loaded from a path, allocator and resolver tuning.
  'GCONV_PATH', 'GLIBC_TUNABLES', 'NLSPATH', 'LOCPATH', 'HOSTALIASES', 'LOCALDOMAIN', 'RES_OPTIONS', 'GETCONF_DIR',
  // Other interpreters and tool chains: PHP, Lua (LUA_* prefix), Tcl, Go, Rust.
  'PHPRC', 'PHP_INI_SCAN_DIR', 'TCLLIBPATH', 'GOFLAGS', 'GOTOOLCHAIN', 'GOENV', 'RUSTC_WRAPPER', 'RUSTC_WORKSPACE_WRAPPER',
  // Commands other programs run for us.
  'SSH_ASKPASS', 'SUDO_ASKPASS', 'BROWSER', 'MANPAGER', 'LESSOPEN', 'LESSCLOSE', 'LESSKEY',
  // TLS: key logging and trust stores.
  'SSLKEYLOGFILE', 'SSL_CERT_FILE', 'SSL_CERT_DIR',
]);

/** Prefixes owned by Coder, git, the C library and the dynamic loaders (Coder's list). */
export const RESERVED_ENV_PREFIXES: readonly string[] = ['GIT_', 'LC_', 'LD_', 'DYLD_'];

/** Coffer's addition: families of interpreter, shell and allocator hooks (see HOOK_ENV_NAMES). */
export const HOOK_ENV_PREFIXES: readonly string[] = [
  'PYTHON', 'PERL5', 'PERL_', 'NPM_CONFIG_', 'BASH_', 'MALLOC_', 'LUA_', 'CORECLR_',
];

/**
 * Characters that must never appear in a name, user or path: C0 and C1 controls and DEL (Cc),
 * invisible format characters such as the bidirectional overrides U+202A–U+202E and isolates
 * U+2066–U+2069, U+200E/U+200F and zero-width characters (Cf), line and paragraph separators
 * (Zl, Zp) and unpaired surrogates (Cs). Printed raw they rewrite a terminal or disguise a name.
 */
const UNSAFE_CHARACTER = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/** `U+001B` for the first unsafe character of `text`, or undefined. */
export function findUnsafeCharacter(text: string): string | undefined {
  const match = UNSAFE_CHARACTER.exec(text);
  if (match === null) return undefined;
  return `U+${(match[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
}

function unsafeCharacterViolation(text: string, field: string): RuleViolation | undefined {
  const found = findUnsafeCharacter(text);
  if (found === undefined) return undefined;
  return violation(
    field,
    `${field} must not contain control, invisible or bidirectional formatting characters (found ${found})`,
  );
}

/**
 * Owners starting with "@" belong to Coffer itself (`@coffer-credentials` keeps stored backend
 * credentials). No Coder, Vault or operating-system user name starts with "@", so refusing them
 * costs nothing and keeps Coffer's own data out of reach of every secret API.
 */
export const RESERVED_USER_PREFIX = '@';

function violation(field: string, message: string): RuleViolation {
  return { field, message };
}

export function checkName(name: string, field = 'name'): RuleViolation | undefined {
  if (name.trim() === '') return violation(field, `${field} must not be blank`);
  if (name.trim() !== name) {
    return violation(field, `${field} must not start or end with whitespace`);
  }
  const bad = ['/', '?', '#'].find((c) => name.includes(c));
  if (bad !== undefined) {
    return violation(field, `${field} must not contain "${bad}" (names are used in URL paths; "/", "?" and "#" are not allowed)`);
  }
  if (name.includes('\0')) return violation(field, `${field} must not contain NUL characters`);
  const unsafe = unsafeCharacterViolation(name, field);
  if (unsafe !== undefined) return unsafe;
  const length = [...name].length;
  if (length > MAX_NAME_LENGTH) {
    return violation(field, `${field} must be at most ${MAX_NAME_LENGTH} characters (got ${length})`);
  }
  return undefined;
}

/** `""` means "not injected" and is valid. */
export function checkEnvName(envName: string, field = 'env_name'): RuleViolation | undefined {
  if (envName === '') return undefined;
  if (Buffer.byteLength(envName, 'utf8') > MAX_ENV_NAME_BYTES) {
    return violation(field, `${field} must be at most ${MAX_ENV_NAME_BYTES} bytes`);
  }
  if (!ENV_NAME_PATTERN.test(envName)) {
    return violation(
      field,
      `${field} "${envName}" is not a POSIX environment variable name: use letters, digits and "_", not starting with a digit`,
    );
  }
  const upper = envName.toUpperCase();
  if (upper === 'CODER' || upper.startsWith('CODER_')) {
    return violation(field, `${field} "${envName}" is reserved: names starting with CODER_ belong to Coder`);
  }
  if (RESERVED_ENV_NAMES.has(upper)) {
    return violation(field, `${field} "${envName}" is reserved: the workspace itself relies on it`);
  }
  const prefix = RESERVED_ENV_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix !== undefined) {
    return violation(field, `${field} "${envName}" is reserved: names starting with ${prefix} are not allowed`);
  }
  const hook = HOOK_ENV_NAMES.has(upper) ? upper : HOOK_ENV_PREFIXES.find((p) => upper.startsWith(p));
  if (hook !== undefined) {
    const what = hook === upper ? `${field} "${envName}"` : `${field} "${envName}" (names starting with ${hook})`;
    return violation(
      field,
      `${what} is reserved: it makes programs load code or settings, run commands or weaken TLS (loader and interpreter hooks are never delivered)`,
    );
  }
  return undefined;
}

/**
 * `""` means "no file" and is valid. Otherwise the path must name one file: `~/` or `/` first,
 * no empty, `.` or `..` component, no trailing `/`, no control or formatting characters.
 */
export function checkFilePath(filePath: string, field = 'file_path'): RuleViolation | undefined {
  if (filePath === '') return undefined;
  if (!filePath.startsWith('~/') && !filePath.startsWith('/')) {
    return violation(field, `${field} must start with "~/" or "/"`);
  }
  if (filePath.includes('\0')) return violation(field, `${field} must not contain NUL characters`);
  const bytes = Buffer.byteLength(filePath, 'utf8');
  if (bytes > MAX_FILE_PATH_BYTES) {
    return violation(field, `${field} must be at most ${MAX_FILE_PATH_BYTES} bytes (got ${bytes})`);
  }
  const unsafe = unsafeCharacterViolation(filePath, field);
  if (unsafe !== undefined) return unsafe;
  if (filePath.endsWith('/')) {
    return violation(field, `${field} must name a file, not a directory (it must not end with "/")`);
  }
  const components = filePath.slice(filePath.startsWith('~/') ? 2 : 1).split('/');
  if (components.some((c) => c === '')) return violation(field, `${field} must not contain "//"`);
  if (components.some((c) => c === '.' || c === '..')) {
    return violation(field, `${field} must not contain "." or ".." components (write the path it names)`);
  }
  return undefined;
}

/**
 * Checks a value without ever quoting it. Takes the plaintext because the checks need its
 * bytes; the message names only sizes and rules.
 */
export function checkValue(value: string, field = 'value'): RuleViolation | undefined {
  if (value.length === 0) return violation(field, `${field} must not be empty`);
  if (value.includes('\0')) return violation(field, `${field} must not contain NUL bytes`);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_VALUE_BYTES) {
    return violation(field, `${field} must be at most ${MAX_VALUE_BYTES} bytes (24 KiB); it is ${bytes} bytes`);
  }
  return undefined;
}

/** An enabled secret must be delivered somewhere: Coder rejects enabled secrets without a target. */
export function checkEnabledHasTarget(enabled: boolean, envName: string, filePath: string): RuleViolation | undefined {
  if (enabled && envName === '' && filePath === '') {
    return violation('env_name', 'an enabled secret needs env_name or file_path (set enabled = false to keep it without delivering it)');
  }
  return undefined;
}

/**
 * `me`, a username, or a UUID; the same path-segment rules as a name, and never a user
 * reserved for Coffer (see RESERVED_USER_PREFIX). Every backend and every entry point (provider,
 * CLI, constructs) calls this, so the reserved users are refused in one place.
 */
export function checkUser(user: string, field = 'user'): RuleViolation | undefined {
  if (user.startsWith(RESERVED_USER_PREFIX)) {
    return violation(
      field,
      `${field} "${user}" is reserved: users starting with "${RESERVED_USER_PREFIX}" belong to Coffer (stored backend credentials are managed with "coffer backend")`,
    );
  }
  return checkName(user, field);
}

/** `user` or `user:group`, each a POSIX login name or a numeric id. */
const OWNER_PATTERN = /^([a-z_][a-z0-9_-]{0,31}\$?|\d{1,10})(:([a-z_][a-z0-9_-]{0,31}\$?|\d{1,10}))?$/;

/** `""` means "the workspace user" and is valid. */
export function checkFileOwner(owner: string, field = 'file_owner'): RuleViolation | undefined {
  if (owner === '' || OWNER_PATTERN.test(owner)) return undefined;
  return violation(field, `${field} "${owner}" must be USER or USER:GROUP (login names or numeric ids)`);
}

export function checkFileMode(mode: number, field = 'file_mode'): RuleViolation | undefined {
  if (Number.isInteger(mode) && mode >= 0 && mode <= 0o777) return undefined;
  return violation(field, `${field} must be a permission mode from 0000 to 0777 (e.g. 0440)`);
}

/** Parses a mode written as octal text (`0440`, `440`, `0o440`). */
export function parseFileMode(text: string): number | undefined {
  const match = /^(?:0o?)?([0-7]{1,4})$/.exec(text.trim());
  return match ? Number.parseInt(match[1] as string, 8) : undefined;
}

/** Owner and mode describe the file target: without file_path they would be dropped silently. */
export function checkFileOptionsHaveFile(filePath: string, fileOwner: string, fileMode: number | null): RuleViolation | undefined {
  if (filePath !== '') return undefined;
  if (fileOwner !== '') return violation('file_owner', 'file_owner applies only to a secret with file_path');
  if (fileMode !== null) return violation('file_mode', 'file_mode applies only to a secret with file_path');
  return undefined;
}
