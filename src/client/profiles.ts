/**
 * Named backend profiles: `$COFFER_CONFIG`, else `${XDG_CONFIG_HOME:-~/.config}/coffer/config.json`.
 *
 *   { "current": "prod", "backends": { "prod": { "kind": "vault", "url": "https://…", "authMethod": "approle" } } }
 *
 * The file holds where and how to connect, never credentials. A credential comes from the
 * environment (`BAO_TOKEN`/`VAULT_TOKEN`, `CODER_SESSION_TOKEN`, …) or from the embedded encrypted store
 * (user `@coffer-credentials`, secret `backend.<profile>.<key>`); a config file that carries
 * anything that looks like one is refused on load.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileInputError, makeDirectories, readBoundedTextFile } from './bounded-fs';
import { SecretStoreError } from './errors';
import { SecretText } from './secret-text';

export const BACKEND_KINDS = ['local', 'vault', 'coder'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

export const AUTH_METHODS = ['token', 'approle', 'jwt', 'kubernetes'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export interface BackendProfile {
  readonly kind: BackendKind;
  /** Server address (vault, coder). */
  readonly url?: string;
  /** How to log in to Vault/OpenBao. @default 'token' */
  readonly authMethod?: AuthMethod;
  /** Vault KV v2 mount. */
  readonly mount?: string;
  /** Vault Enterprise / OpenBao namespace. */
  readonly namespace?: string;
  /** Prefix of the secret paths inside the mount. */
  readonly pathPrefix?: string;
  /** Coffer home of a local store (absolute or `~/…`). */
  readonly home?: string;
  /** Role name for jwt/kubernetes/approle login (a name, not a credential). */
  readonly role?: string;
}

export interface CofferConfig {
  readonly current?: string;
  readonly backends: Readonly<Record<string, BackendProfile>>;
}

/** The profile fields, in the order they are written and shown. */
export const PROFILE_FIELDS = [
  'kind',
  'url',
  'authMethod',
  'mount',
  'namespace',
  'pathPrefix',
  'home',
  'role',
] as const;

/** Which profile fields each kind uses; anything else is refused so a typo is not ignored. */
const FIELDS_BY_KIND: Record<BackendKind, ReadonlySet<string>> = {
  local: new Set(['kind', 'home']),
  vault: new Set(['kind', 'url', 'authMethod', 'mount', 'namespace', 'pathPrefix', 'role']),
  coder: new Set(['kind', 'url']),
};

/**
 * The reserved owner of stored backend credentials in the embedded store. Reachable only
 * through `CredentialStore` (credential-store.ts): `checkUser` refuses it everywhere else.
 */
export const CREDENTIALS_USER = '@coffer-credentials';

/** Far above any real config; `COFFER_CONFIG=/dev/zero` must fail, not fill memory. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export const PROFILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** The embedded store's name when no profile by that name exists. */
export const BUILTIN_LOCAL = 'local';

/** A credential a backend needs: where it may come from. Keys are what `--store-credential` takes. */
export interface CredentialSpec {
  readonly key: string;
  /** Environment variables checked first, in order. */
  readonly envVars: readonly string[];
  readonly description: string;
  /**
   * Other sources the backend reads itself, after `envVars` and before a stored credential:
   * a variable naming a file, or a response-wrapped credential. When one is set, nothing stored is used.
   */
  readonly backendReads?: readonly { readonly envVar: string; readonly label: string }[];
  /** A file under $HOME the backend falls back to when nothing else is set (`~/.vault-token`). */
  readonly homeFile?: string;
}

/**
 * The credentials each kind (and Vault auth method) reads. Adding a backend or an auth method
 * means adding a line here; `openStore` resolves them with `BackendContext.credential(key)`.
 */
export function credentialSpecs(profile: BackendProfile): readonly CredentialSpec[] {
  switch (profile.kind) {
    case 'local':
      return [];
    case 'coder':
      return [{ key: 'session-token', envVars: ['CODER_SESSION_TOKEN'], description: 'Coder session or API token' }];
    case 'vault':
      switch (profile.authMethod ?? 'token') {
        case 'token':
          return [
            {
              key: 'token',
              envVars: ['BAO_TOKEN', 'VAULT_TOKEN'],
              description: 'Vault/OpenBao token',
              homeFile: '.vault-token',
            },
          ];
        case 'approle':
          return [
            { key: 'role-id', envVars: ['COFFER_VAULT_ROLE_ID', 'VAULT_ROLE_ID'], description: 'AppRole role_id' },
            {
              key: 'secret-id',
              envVars: ['COFFER_VAULT_SECRET_ID', 'VAULT_SECRET_ID'],
              description: 'AppRole secret_id',
              backendReads: [
                { envVar: 'COFFER_VAULT_SECRET_ID_FILE', label: 'file:$COFFER_VAULT_SECRET_ID_FILE' },
                { envVar: 'COFFER_VAULT_WRAPPED_SECRET_ID', label: 'wrapped:COFFER_VAULT_WRAPPED_SECRET_ID' },
              ],
            },
          ];
        case 'jwt':
          return [
            {
              key: 'jwt',
              envVars: ['COFFER_VAULT_JWT'],
              description: 'JWT/OIDC token to log in with',
              backendReads: [{ envVar: 'COFFER_VAULT_JWT_FILE', label: 'file:$COFFER_VAULT_JWT_FILE' }],
            },
          ];
        case 'kubernetes':
          // The service account token is read from its mounted file at login, never stored.
          return [];
      }
  }
}

/** The secret name of a stored credential in the embedded store. */
export function credentialSecretName(profileName: string, key: string): string {
  return `backend.${profileName}.${key}`;
}

/** Reads stored credentials: `CredentialStore.read`, kept as an interface so profiles.ts needs no store. */
export interface StoredCredentials {
  read(profileName: string, key: string): Promise<SecretText | undefined>;
}

/**
 * Where a credential is found: the first set environment variable, else the embedded store.
 * Returns undefined when neither has it. `credentials` opens the credential store lazily, only
 * when no environment variable is set.
 */
export async function resolveCredential(
  profileName: string,
  spec: CredentialSpec,
  env: NodeJS.ProcessEnv,
  credentials: () => Promise<StoredCredentials>,
): Promise<SecretText | undefined> {
  for (const variable of spec.envVars) {
    const value = env[variable];
    if (value !== undefined && value !== '') return new SecretText(value);
  }
  // The backend reads these itself; a stored credential must not shadow what the environment says.
  if (spec.backendReads?.some((r) => env[r.envVar] !== undefined && env[r.envVar] !== '')) return undefined;
  return (await credentials()).read(profileName, spec.key);
}

/**
 * Where a credential comes from, as `backend list` shows it: `env:VAR`, a `backendReads` label,
 * `stored`, `file:~/.vault-token`, or `missing` — the same order `resolveCredential` and the
 * backend use. `hasStored` is asked only when the environment has nothing.
 */
export async function credentialSource(
  spec: CredentialSpec,
  env: NodeJS.ProcessEnv,
  hasStored: () => Promise<boolean>,
): Promise<string> {
  const variable = spec.envVars.find((e) => env[e] !== undefined && env[e] !== '');
  if (variable !== undefined) return `env:${variable}`;
  const other = spec.backendReads?.find((r) => env[r.envVar] !== undefined && env[r.envVar] !== '');
  if (other !== undefined) return other.label;
  if (await hasStored()) return 'stored';
  if (spec.homeFile !== undefined) {
    const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : undefined;
    if (home !== undefined && nonEmptyFile(path.join(home, spec.homeFile))) return `file:~/${spec.homeFile}`;
  }
  return 'missing';
}

function nonEmptyFile(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() && stat.size > 0;
  } catch {
    return false;
  }
}

/** Where the config lives: `$COFFER_CONFIG`, else `${XDG_CONFIG_HOME:-~/.config}/coffer/config.json`. */
export function resolveConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.COFFER_CONFIG !== undefined && env.COFFER_CONFIG !== '') return path.resolve(env.COFFER_CONFIG);
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg !== undefined && xdg !== '' && path.isAbsolute(xdg)) return path.join(xdg, 'coffer', 'config.json');
  const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : os.homedir();
  return path.join(home, '.config', 'coffer', 'config.json');
}

/** A config file problem. Messages name the file and keys, never values. */
export class ConfigError extends SecretStoreError {
  constructor(message: string) {
    super('validation', message, { field: 'config' });
    this.name = 'ConfigError';
  }
}

/** Keys that smell like a credential anywhere in the file. `role` and `authMethod` are fine. */
const CREDENTIAL_KEY = /token|secret|password|passwd|credential|jwt|role_?id|api_?key|private_?key/i;

function credentialHint(source: string, where: string, key: string): string {
  return (
    `${source}: ${where} has a "${key}" key, but credentials never go into the config file. ` +
    'Set them in the environment (BAO_TOKEN/VAULT_TOKEN, COFFER_VAULT_ROLE_ID, COFFER_VAULT_SECRET_ID, COFFER_VAULT_JWT, CODER_SESSION_TOKEN) ' +
    'or store them encrypted with "coffer backend register NAME … --store-credential KEY", and remove the key from the file'
  );
}

function findCredentialKey(value: unknown, where: string, source: string): void {
  if (value === null || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value)) {
    if (CREDENTIAL_KEY.test(key)) throw new ConfigError(credentialHint(source, where, key));
    findCredentialKey(inner, `${where} > "${key}"`, source);
  }
}

export function validateProfileName(name: string): string | undefined {
  if (!PROFILE_NAME_PATTERN.test(name)) {
    return `backend name "${name}" must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit`;
  }
  return undefined;
}

/** Checks one profile; returns it with only known fields. `source` prefixes messages. */
export function validateProfile(name: string, raw: unknown, source: string): BackendProfile {
  const where = `backend "${name}"`;
  const nameProblem = validateProfileName(name);
  if (nameProblem) throw new ConfigError(`${source}: ${nameProblem}`);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`${source}: ${where} must be an object`);
  findCredentialKey(raw, where, source);
  const record = raw as Record<string, unknown>;
  const kind = record.kind;
  if (typeof kind !== 'string' || !(BACKEND_KINDS as readonly string[]).includes(kind)) {
    throw new ConfigError(`${source}: ${where} needs "kind": one of ${BACKEND_KINDS.join(', ')}`);
  }
  const allowed = FIELDS_BY_KIND[kind as BackendKind];
  for (const [key, value] of Object.entries(record)) {
    if (!(PROFILE_FIELDS as readonly string[]).includes(key)) {
      throw new ConfigError(`${source}: ${where} has an unknown key "${key}" (known: ${PROFILE_FIELDS.join(', ')})`);
    }
    if (!allowed.has(key)) throw new ConfigError(`${source}: ${where} of kind ${kind} does not use "${key}"`);
    if (typeof value !== 'string' || value === '')
      throw new ConfigError(`${source}: ${where}: "${key}" must be a non-empty string`);
  }
  const profile = record as unknown as BackendProfile;
  if (profile.authMethod !== undefined && !(AUTH_METHODS as readonly string[]).includes(profile.authMethod)) {
    throw new ConfigError(`${source}: ${where}: "authMethod" must be one of ${AUTH_METHODS.join(', ')}`);
  }
  if (profile.url !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(profile.url);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new ConfigError(`${source}: ${where}: "url" must be an http:// or https:// address`);
    }
    if (url.username !== '' || url.password !== '') {
      throw new ConfigError(
        `${source}: ${where}: "url" must not carry a user name or password (credentials never go into the config file)`,
      );
    }
  }
  if (profile.home !== undefined && !path.isAbsolute(profile.home) && !profile.home.startsWith('~/')) {
    throw new ConfigError(`${source}: ${where}: "home" must be an absolute path or start with "~/"`);
  }
  const clean: Record<string, string> = {};
  for (const key of PROFILE_FIELDS) if (record[key] !== undefined) clean[key] = record[key] as string;
  return clean as unknown as BackendProfile;
}

/** Parses and checks a config file's text. */
export function parseConfig(text: string, source: string): CofferConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConfigError(`${source}: not valid JSON`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`${source}: must hold a JSON object`);
  const record = raw as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (CREDENTIAL_KEY.test(key)) throw new ConfigError(credentialHint(source, 'the file', key));
    if (key !== 'backends') findCredentialKey(value, `"${key}"`, source);
    if (key !== 'current' && key !== 'backends')
      throw new ConfigError(`${source}: unknown key "${key}" (known: current, backends)`);
  }
  const backendsRaw = record.backends ?? {};
  if (backendsRaw === null || typeof backendsRaw !== 'object' || Array.isArray(backendsRaw)) {
    throw new ConfigError(`${source}: "backends" must be an object`);
  }
  const backends: Record<string, BackendProfile> = {};
  for (const [name, profile] of Object.entries(backendsRaw)) backends[name] = validateProfile(name, profile, source);
  const current = record.current;
  if (current !== undefined) {
    if (typeof current !== 'string' || current === '')
      throw new ConfigError(`${source}: "current" must be a backend name`);
    if (backends[current] === undefined && current !== BUILTIN_LOCAL) {
      throw new ConfigError(`${source}: "current" names backend "${current}", which is not registered`);
    }
  }
  return { ...(typeof current === 'string' ? { current } : {}), backends };
}

/** Loads the config; a missing file is an empty config. */
export function loadConfig(file: string): CofferConfig {
  let text: string;
  try {
    text = readBoundedTextFile(file, MAX_CONFIG_BYTES, `the config file ${file}`);
  } catch (error) {
    if (!(error instanceof FileInputError)) throw error;
    if (error.code === 'ENOENT') return { backends: {} };
    throw new ConfigError(error.message);
  }
  return parseConfig(text, file);
}

/** Writes the config atomically (temp file, fsync, rename), mode 0600, directory 0700 if created. */
export function saveConfig(file: string, config: CofferConfig): void {
  // Validate what is written exactly like what is read, so a saved file always loads.
  const text = `${JSON.stringify(config, null, 2)}\n`;
  parseConfig(text, file);
  const dir = path.dirname(file);
  try {
    makeDirectories(dir, 0o700);
  } catch (error) {
    if (error instanceof FileInputError) throw new ConfigError(`cannot save the config file ${file}: ${error.message}`);
    throw error;
  }
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const fd = fs.openSync(temp, 'wx', 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  try {
    const dirFd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename itself is still atomic.
  }
}

/** `~/x` → `<home>/x`; absolute paths unchanged. */
export function expandHome(file: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!file.startsWith('~/')) return file;
  const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : os.homedir();
  return path.join(home, file.slice(2));
}
