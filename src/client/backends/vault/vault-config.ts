/**
 * Configuration of the Vault/OpenBao backend: explicit options first, then environment variables.
 *
 * For every setting that both OpenBao and Vault define, `BAO_*` wins over `VAULT_*` when both are
 * set (OpenBao's own CLI reads `BAO_*` with a fallback to `VAULT_*`). Empty variables count as
 * unset.
 *
 * | Setting | Option | Environment |
 * |---|---|---|
 * | server | `address` | `BAO_ADDR`, `VAULT_ADDR` |
 * | namespace | `namespace` | `BAO_NAMESPACE`, `VAULT_NAMESPACE` |
 * | token | `auth: {method:'token', token}` | `BAO_TOKEN`, `VAULT_TOKEN`, else the file `~/.vault-token` |
 * | CA bundle | `caCertFile` / `caCert` | `BAO_CACERT`, `VAULT_CACERT` (file); `BAO_CAPATH`, `VAULT_CAPATH` (directory) |
 * | skip TLS verification | `tlsSkipVerify` | `BAO_SKIP_VERIFY`, `VAULT_SKIP_VERIFY` (Go booleans: 1/t/true/0/f/false) |
 * | TLS server name | `tlsServerName` | `BAO_TLS_SERVER_NAME`, `VAULT_TLS_SERVER_NAME` |
 * | client certificate | `clientCertFile`, `clientKeyFile` | `BAO_CLIENT_CERT`/`BAO_CLIENT_KEY`, `VAULT_CLIENT_CERT`/`VAULT_CLIENT_KEY` |
 * | KV v2 mount | `mount` (default `secret`) | `COFFER_VAULT_MOUNT` |
 * | path prefix | `pathPrefix` (default `coffer/users`) | `COFFER_VAULT_PATH_PREFIX` |
 * | auth method | `auth.method` | `COFFER_VAULT_AUTH` = `token`, `approle`, `jwt`, `kubernetes` |
 * | auth mount | `auth.mount` | `COFFER_VAULT_AUTH_MOUNT` (default: the method's name) |
 * | AppRole | `auth.roleId`, `auth.secretId`/`secretIdFile`/`wrappedSecretId` | `COFFER_VAULT_ROLE_ID`, `COFFER_VAULT_SECRET_ID`, `COFFER_VAULT_SECRET_ID_FILE`, `COFFER_VAULT_WRAPPED_SECRET_ID` (a response-wrapping token, unwrapped once) |
 * | JWT | `auth.role`, `auth.jwt`/`jwtEnv`/`jwtFile` | `COFFER_VAULT_ROLE`, `COFFER_VAULT_JWT` (or the variable named by `COFFER_VAULT_JWT_ENV`), `COFFER_VAULT_JWT_FILE` |
 * | Kubernetes | `auth.role`, `auth.tokenFile` | `COFFER_VAULT_ROLE`, `COFFER_VAULT_K8S_TOKEN_FILE` (default `/var/run/secrets/kubernetes.io/serviceaccount/token`) |
 * | who `me` is | `identity` | with a login method: the token's identity (see `resolveIdentity`); else `COFFER_USER`, else the OS user |
 *
 * Without `COFFER_VAULT_AUTH`, the method is `token` when a token is found, else `approle` when a
 * role id is set, else `jwt` when a JWT role and a JWT source are set.
 */
import { X509Certificate } from 'node:crypto';
import { FileInputError, readBoundedTextFile } from '../../bounded-fs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SecretStoreError } from '../../errors';
import type { VaultRequestLog } from './vault-http';

export const DEFAULT_MOUNT = 'secret';
export const DEFAULT_PATH_PREFIX = 'coffer/users';
export const DEFAULT_K8S_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type VaultAuthOptions =
  | { readonly method: 'token'; readonly token?: string }
  | {
      readonly method: 'approle';
      readonly roleId?: string;
      readonly secretId?: string;
      readonly secretIdFile?: string;
      /**
       * A response-wrapping token around a SecretID (`… secret-id -wrap-ttl=5m`): unwrapped once,
       * at the first login; a token that was already unwrapped is refused as possibly intercepted.
       */
      readonly wrappedSecretId?: string;
      /** @default "approle" */
      readonly mount?: string;
    }
  | {
      readonly method: 'jwt';
      readonly role?: string;
      /** The JWT itself. */
      readonly jwt?: string;
      /** Name of an environment variable that holds the JWT (CI systems put id tokens there). */
      readonly jwtEnv?: string;
      /** A file holding the JWT; re-read at every login, so rotated tokens are picked up. */
      readonly jwtFile?: string;
      /** @default "jwt" */
      readonly mount?: string;
    }
  | {
      readonly method: 'kubernetes';
      readonly role?: string;
      /** @default "/var/run/secrets/kubernetes.io/serviceaccount/token" */
      readonly tokenFile?: string;
      /** @default "kubernetes" */
      readonly mount?: string;
    };

export interface VaultSecretStoreOptions {
  readonly address?: string;
  readonly namespace?: string;
  /** KV v2 mount. @default "secret" */
  readonly mount?: string;
  /** Folder under the mount that holds one folder per user. @default "coffer/users" */
  readonly pathPrefix?: string;
  readonly auth?: VaultAuthOptions;
  /** Who `me` is. Wins over everything else. */
  readonly identity?: string;
  /** PEM text of one or more CA certificates. */
  readonly caCert?: string;
  readonly caCertFile?: string;
  /** A directory of PEM CA certificates. */
  readonly caPath?: string;
  readonly tlsSkipVerify?: boolean;
  readonly tlsServerName?: string;
  readonly clientCertFile?: string;
  readonly clientKeyFile?: string;
  /** Per-attempt HTTP timeout. @default 30000 */
  readonly timeoutMs?: number;
  /** @default 5 */
  readonly maxAttempts?: number;
  /** @default 30000 */
  readonly maxRetryTimeMs?: number;
  /** @default 100 */
  readonly retryBaseMs?: number;
  /** Parallel requests when reading many secrets. @default 16 */
  readonly concurrency?: number;
  /** How long a fresh uniqueness claim is trusted without checking the secret. @default 120000 */
  readonly claimGraceMs?: number;
  /** Renew the token when this fraction of its TTL has passed. @default 2/3 */
  readonly renewFraction?: number;
  /** Revoke a token this store obtained by logging in when it is closed. @default true */
  readonly revokeOnClose?: boolean;
  /** Called once per HTTP attempt with method, path, status, duration and attempt — never headers or bodies. */
  readonly onRequest?: VaultRequestLog;
  /** Where environment variables are read from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** How the front end (provider, CLI) names the settings that errors point at. */
  readonly settingNames?: Partial<VaultSettingNames>;
  /**
   * @internal Test seam: awaited right before a secret's check-and-set data write, so tests can
   * line up two writers deterministically. Never set in production code.
   */
  readonly beforeDataWrite?: (write: {
    readonly op: 'create' | 'update';
    readonly user: string;
    readonly name: string;
    readonly cas: number;
  }) => Promise<void> | void;
}

export type ResolvedAuth =
  | { readonly method: 'token'; readonly token: string }
  | {
      readonly method: 'approle';
      readonly mount: string;
      readonly roleId: string;
      readonly secretId: () => string | undefined;
      /** A response-wrapping token around the SecretID, used when `secretId()` gives none. */
      readonly wrappedSecretId?: string;
    }
  | { readonly method: 'jwt'; readonly mount: string; readonly role: string; readonly jwt: () => string }
  | { readonly method: 'kubernetes'; readonly mount: string; readonly role: string; readonly jwt: () => string };

/**
 * The names of the settings an error asks the user to check, as the front end spells them:
 * the provider says `vault_mount`, the CLI its profile flag. Defaults name the option and the
 * environment variable.
 */
export interface VaultSettingNames {
  readonly address: string;
  readonly mount: string;
  readonly caCert: string;
}

export const DEFAULT_SETTING_NAMES: VaultSettingNames = {
  address: 'the address (BAO_ADDR/VAULT_ADDR)',
  mount: 'the mount (COFFER_VAULT_MOUNT)',
  caCert: 'the CA certificate (BAO_CACERT/VAULT_CACERT)',
};

export interface ResolvedVaultConfig {
  readonly settingNames: VaultSettingNames;
  readonly address: string;
  readonly namespace: string | undefined;
  readonly mount: string;
  readonly pathPrefix: string;
  readonly auth: ResolvedAuth;
  readonly identity: string | undefined;
  /** `COFFER_USER` or the OS user: used for `me` with token auth. */
  readonly fallbackIdentity: () => string;
  readonly ca: string[] | undefined;
  readonly tlsSkipVerify: boolean;
  readonly tlsServerName: string | undefined;
  readonly clientCert: string | undefined;
  readonly clientKey: string | undefined;
}

export function configError(field: string, message: string): SecretStoreError {
  return new SecretStoreError('validation', `Vault backend configuration: ${message}`, { field, retryable: false });
}

/** The first non-empty value among `names`, in order. */
export function envFirst(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** Go's `strconv.ParseBool`, which the Vault and OpenBao CLIs use for `*_SKIP_VERIFY`. */
export function parseGoBool(text: string, name: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw configError(name, `${name} must be a boolean (1, t, true, 0, f, false), got "${text}"`);
}

/** Certificates, keys and tokens are far smaller; a device or a huge file is refused. */
const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

function readFileText(file: string, what: string): string {
  try {
    return readBoundedTextFile(file, MAX_CONFIG_FILE_BYTES, `${what} file ${file}`);
  } catch (error) {
    if (error instanceof FileInputError) throw configError(what, error.message);
    throw error;
  }
}

/**
 * `pem` when it holds only well-formed PEM certificates. Node would otherwise accept anything
 * and fail every handshake later, which looked like an unreachable server and was retried.
 */
function checkPemCertificates(pem: string, what: string, names: VaultSettingNames): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const fail = (detail: string) => configError('ca_cert', `${names.caCert}: ${what} ${detail}`);
  if (blocks.length === 0) throw fail('is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)');
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch {
      throw fail(`holds a damaged certificate (PEM block ${i + 1})`);
    }
  });
  return pem;
}

function readCaPath(dir: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'error';
    throw configError('ca_path', `cannot read CA directory ${dir} (${code})`);
  }
  return entries
    .filter((f) => /\.(pem|crt|cer)$/i.test(f))
    .sort()
    .map((f) => readFileText(path.join(dir, f), 'ca_path'));
}

export function resolveVaultConfig(options: VaultSecretStoreOptions = {}): ResolvedVaultConfig {
  const env = options.env ?? process.env;
  const address = options.address ?? envFirst(env, 'BAO_ADDR', 'VAULT_ADDR');
  if (address === undefined) {
    throw configError('address', 'no server address: set the address option, BAO_ADDR or VAULT_ADDR');
  }
  try {
    const url = new URL(address);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw configError('address', `address "${address}" is not an http(s) URL`);
  }
  const namespace = options.namespace ?? envFirst(env, 'BAO_NAMESPACE', 'VAULT_NAMESPACE');

  const settingNames = { ...DEFAULT_SETTING_NAMES, ...options.settingNames };
  const ca: string[] = [];
  if (options.caCert !== undefined) ca.push(checkPemCertificates(options.caCert, 'the CA certificate text', settingNames));
  const caFile =
    options.caCertFile ?? (options.caCert === undefined ? envFirst(env, 'BAO_CACERT', 'VAULT_CACERT') : undefined);
  if (caFile !== undefined) ca.push(checkPemCertificates(readFileText(caFile, 'ca_cert'), `file ${caFile}`, settingNames));
  const caPath = options.caPath ?? envFirst(env, 'BAO_CAPATH', 'VAULT_CAPATH');
  if (caPath !== undefined) ca.push(...readCaPath(caPath));

  let tlsSkipVerify = options.tlsSkipVerify;
  if (tlsSkipVerify === undefined) {
    const raw =
      env.BAO_SKIP_VERIFY !== undefined && env.BAO_SKIP_VERIFY !== '' ? 'BAO_SKIP_VERIFY' : 'VAULT_SKIP_VERIFY';
    const text = env[raw];
    tlsSkipVerify = text !== undefined && text !== '' ? parseGoBool(text, raw) : false;
  }

  const clientCertFile = options.clientCertFile ?? envFirst(env, 'BAO_CLIENT_CERT', 'VAULT_CLIENT_CERT');
  const clientKeyFile = options.clientKeyFile ?? envFirst(env, 'BAO_CLIENT_KEY', 'VAULT_CLIENT_KEY');
  if ((clientCertFile === undefined) !== (clientKeyFile === undefined)) {
    throw configError('client_cert', 'a TLS client certificate needs both a certificate and a key file');
  }

  const identity = options.identity;
  return {
    settingNames,
    address,
    namespace,
    mount: options.mount ?? envFirst(env, 'COFFER_VAULT_MOUNT') ?? DEFAULT_MOUNT,
    pathPrefix: options.pathPrefix ?? envFirst(env, 'COFFER_VAULT_PATH_PREFIX') ?? DEFAULT_PATH_PREFIX,
    auth: resolveAuth(options.auth, env),
    identity,
    fallbackIdentity: () => defaultIdentity(env),
    ca: ca.length > 0 ? ca : undefined,
    tlsSkipVerify,
    tlsServerName: options.tlsServerName ?? envFirst(env, 'BAO_TLS_SERVER_NAME', 'VAULT_TLS_SERVER_NAME'),
    clientCert: clientCertFile === undefined ? undefined : readFileText(clientCertFile, 'client_cert'),
    clientKey: clientKeyFile === undefined ? undefined : readFileText(clientKeyFile, 'client_key'),
  };
}

function tokenFromHome(env: NodeJS.ProcessEnv): string | undefined {
  const home = env.HOME;
  if (home === undefined || home === '') return undefined;
  try {
    const token = readBoundedTextFile(path.join(home, '.vault-token'), MAX_CONFIG_FILE_BYTES, '~/.vault-token').trim();
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

function resolveAuth(auth: VaultAuthOptions | undefined, env: NodeJS.ProcessEnv): ResolvedAuth {
  const envMethod = envFirst(env, 'COFFER_VAULT_AUTH');
  let method = auth?.method ?? envMethod;
  if (method === undefined) {
    if (envFirst(env, 'BAO_TOKEN', 'VAULT_TOKEN') !== undefined) method = 'token';
    else if (envFirst(env, 'COFFER_VAULT_ROLE_ID') !== undefined) method = 'approle';
    else if (
      envFirst(env, 'COFFER_VAULT_ROLE') !== undefined &&
      envFirst(env, 'COFFER_VAULT_JWT', 'COFFER_VAULT_JWT_FILE', 'COFFER_VAULT_JWT_ENV') !== undefined
    )
      method = 'jwt';
    else method = 'token';
  }
  const authMount = (fallback: string, explicit: string | undefined): string => {
    const mount = explicit ?? envFirst(env, 'COFFER_VAULT_AUTH_MOUNT') ?? fallback;
    return mount.replace(/^\/+|\/+$/g, '');
  };
  switch (method) {
    case 'token': {
      const token =
        (auth?.method === 'token' ? auth.token : undefined) ??
        envFirst(env, 'BAO_TOKEN', 'VAULT_TOKEN') ??
        tokenFromHome(env);
      if (token === undefined) {
        throw configError(
          'token',
          'no Vault token: set BAO_TOKEN or VAULT_TOKEN, or configure AppRole, JWT or Kubernetes auth',
        );
      }
      return { method: 'token', token };
    }
    case 'approle': {
      const o = auth?.method === 'approle' ? auth : undefined;
      const roleId = o?.roleId ?? envFirst(env, 'COFFER_VAULT_ROLE_ID');
      if (roleId === undefined) throw configError('role_id', 'AppRole auth needs a role_id (COFFER_VAULT_ROLE_ID)');
      const secretId =
        o?.secretId ?? (o?.secretIdFile === undefined ? envFirst(env, 'COFFER_VAULT_SECRET_ID') : undefined);
      const secretIdFile = o?.secretIdFile ?? envFirst(env, 'COFFER_VAULT_SECRET_ID_FILE');
      const wrappedSecretId =
        secretId === undefined && secretIdFile === undefined
          ? (o?.wrappedSecretId ?? envFirst(env, 'COFFER_VAULT_WRAPPED_SECRET_ID'))
          : undefined;
      return {
        method: 'approle',
        mount: authMount('approle', o?.mount),
        roleId,
        ...(wrappedSecretId !== undefined ? { wrappedSecretId: wrappedSecretId.trim() } : {}),
        // A role with bind_secret_id=false needs no secret id.
        secretId: () =>
          secretId ?? (secretIdFile === undefined ? undefined : readFileText(secretIdFile, 'secret_id').trim()),
      };
    }
    case 'jwt': {
      const o = auth?.method === 'jwt' ? auth : undefined;
      const role = o?.role ?? envFirst(env, 'COFFER_VAULT_ROLE');
      if (role === undefined) throw configError('role', 'JWT auth needs a role (COFFER_VAULT_ROLE)');
      const jwtEnv = o?.jwtEnv ?? envFirst(env, 'COFFER_VAULT_JWT_ENV') ?? 'COFFER_VAULT_JWT';
      const jwtFile = o?.jwtFile ?? envFirst(env, 'COFFER_VAULT_JWT_FILE');
      const direct = o?.jwt;
      if (direct === undefined && jwtFile === undefined && envFirst(env, jwtEnv) === undefined) {
        throw configError('jwt', `JWT auth needs a token: set ${jwtEnv} or COFFER_VAULT_JWT_FILE`);
      }
      return {
        method: 'jwt',
        mount: authMount('jwt', o?.mount),
        role,
        jwt: () => {
          if (direct !== undefined) return direct;
          // A file wins over the variable: it is re-read at every login, so a rotated token is picked up.
          if (jwtFile !== undefined) return readFileText(jwtFile, 'jwt').trim();
          const fromEnv = envFirst(env, jwtEnv);
          if (fromEnv !== undefined) return fromEnv.trim();
          throw configError('jwt', `the JWT variable ${jwtEnv} is empty`);
        },
      };
    }
    case 'kubernetes': {
      const o = auth?.method === 'kubernetes' ? auth : undefined;
      const role = o?.role ?? envFirst(env, 'COFFER_VAULT_ROLE');
      if (role === undefined) throw configError('role', 'Kubernetes auth needs a role (COFFER_VAULT_ROLE)');
      const tokenFile = o?.tokenFile ?? envFirst(env, 'COFFER_VAULT_K8S_TOKEN_FILE') ?? DEFAULT_K8S_TOKEN_FILE;
      return {
        method: 'kubernetes',
        mount: authMount('kubernetes', o?.mount),
        role,
        // Re-read at every login: projected service-account tokens rotate.
        jwt: () => readFileText(tokenFile, 'service account token').trim(),
      };
    }
    default:
      throw configError('auth', `unknown auth method "${method}" (use token, approle, jwt or kubernetes)`);
  }
}

export function defaultIdentity(env: NodeJS.ProcessEnv): string {
  const fromEnv = envFirst(env, 'COFFER_USER');
  if (fromEnv !== undefined) return fromEnv;
  try {
    return os.userInfo().username;
  } catch {
    return env.USER || env.LOGNAME || `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}
