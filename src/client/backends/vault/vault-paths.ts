/**
 * Where a user's secrets live in a KV v2 mount, and how names become URL path segments.
 *
 * Layout (every segment URL-encoded):
 *
 *   <mount>/data/<pathPrefix>/<user>/<name>      the value and the authoritative metadata
 *   <mount>/metadata/<pathPrefix>/<user>/<name>  versions + the value-free `custom_metadata` mirror
 *   <mount>/data/<pathPrefix>/<user>/.coffer/env/<ENV_NAME>        claim of an env name (see vault-claims.ts)
 *   <mount>/data/<pathPrefix>/<user>/.coffer/file/<sha256(path)>   claim of a file path
 *   <mount>/data/<pathPrefix>/<user>/.coffer/index   the former one-document index, migrated away on first write
 *
 * Names and users follow `rules.ts`, so they never contain `/`, `?` or `#`. Vault and OpenBao
 * still refuse some of them as a path segment: `.` and `..` (the HTTP layer cleans them away) and
 * any character Go's `unicode.IsPrint` rejects (control and format characters such as U+200D,
 * non-ASCII spaces, unassigned code points). Such a name is stored under an escaped key:
 * `#` + base64url(UTF-8 of the name). `#` never starts a real name, so the mapping is reversible
 * and cannot collide; every other name is stored verbatim, so the tree stays readable in the
 * Vault UI and CLI.
 */

/** Characters Vault accepts verbatim in a path segment: letters, marks, numbers, punctuation, symbols and ASCII space. */
const VERBATIM_SEGMENT = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]+$/u;
const ESCAPE_PREFIX = '#';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The folder inside a user's directory that holds Coffer's own documents (never a secret: names have no `/`). */
export const COFFER_FOLDER = '.coffer';
export const INDEX_KEY = 'index';

/** The KV key (one path segment, not yet URL-encoded) a name or user is stored under. */
export function keyForName(name: string): string {
  if (name !== '.' && name !== '..' && VERBATIM_SEGMENT.test(name) && !name.startsWith(ESCAPE_PREFIX)) return name;
  return ESCAPE_PREFIX + Buffer.from(name, 'utf8').toString('base64url');
}

/**
 * The name a KV key stands for, or undefined when the key was not written by `keyForName`
 * (a folder, or a foreign key that is not a valid escape).
 */
export function nameForKey(key: string): string | undefined {
  if (key === '' || key.endsWith('/')) return undefined;
  if (!key.startsWith(ESCAPE_PREFIX)) return key;
  const encoded = key.slice(ESCAPE_PREFIX.length);
  if (!BASE64URL.test(encoded)) return undefined;
  const name = Buffer.from(encoded, 'base64url').toString('utf8');
  // Only the canonical escape of a name counts: rejects invalid UTF-8 and non-canonical padding.
  return keyForName(name) === key ? name : undefined;
}

/** One URL path segment. `encodeURIComponent` leaves `.` alone, but keys are never `.`/`..` (see above). */
export function encodeSegment(key: string): string {
  return encodeURIComponent(key);
}

/** Splits and checks a configured mount or prefix such as `coffer/users`; returns its URL-encoded form. */
export function encodeConfiguredPath(path: string, what: string): string {
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.length === 0) throw new Error(`${what} must not be empty`);
  for (const s of segments) {
    if (s === '.' || s === '..') throw new Error(`${what} "${path}" must not contain "." or ".." segments`);
    if (!VERBATIM_SEGMENT.test(s) || /[?#]/.test(s)) {
      throw new Error(`${what} "${path}" contains characters Vault does not accept in a path`);
    }
  }
  return segments.map(encodeSegment).join('/');
}

/** Builds the API paths (relative to `/v1/`) of one store's mount and prefix. */
export class KvLayout {
  readonly #mount: string;
  readonly #prefix: string;

  constructor(mount: string, pathPrefix: string) {
    this.#mount = encodeConfiguredPath(mount, 'mount');
    this.#prefix = encodeConfiguredPath(pathPrefix, 'pathPrefix');
  }

  /** `GET sys/internal/ui/mounts/<mount>`: the engine type and KV version behind the mount. */
  mountInfo(): string {
    return `sys/internal/ui/mounts/${this.#mount}`;
  }

  /** The mount as configured, normalised (no surrounding slashes), for comparing with `mountInfo`'s `path`. */
  get mount(): string {
    return decodeURIComponent(this.#mount);
  }

  #user(user: string): string {
    return `${this.#prefix}/${encodeSegment(keyForName(user))}`;
  }

  /** `GET/POST/PATCH <mount>/data/<prefix>/<user>/<name>` */
  data(user: string, name: string): string {
    return `${this.#mount}/data/${this.#user(user)}/${encodeSegment(keyForName(name))}`;
  }

  /** `GET/POST/DELETE <mount>/metadata/<prefix>/<user>/<name>` */
  metadata(user: string, name: string): string {
    return `${this.#mount}/metadata/${this.#user(user)}/${encodeSegment(keyForName(name))}`;
  }

  /** `LIST <mount>/metadata/<prefix>/<user>/` (trailing slash: a folder). */
  userFolder(user: string): string {
    return `${this.#mount}/metadata/${this.#user(user)}/`;
  }

  /** OpenBao's `LIST <mount>/detailed-metadata/<prefix>/<user>/`: keys plus their metadata in one call. */
  detailedUserFolder(user: string): string {
    return `${this.#mount}/detailed-metadata/${this.#user(user)}/`;
  }

  /** `GET/POST <mount>/data/<prefix>/<user>/.coffer/<kind>/<key>`: one env-name or file-path claim. */
  claimData(user: string, kind: 'env' | 'file', key: string): string {
    return `${this.#mount}/data/${this.#user(user)}/${COFFER_FOLDER}/${kind}/${encodeSegment(key)}`;
  }

  /** `GET/DELETE <mount>/metadata/…/.coffer/<kind>/<key>`: removing it frees the target for good. */
  claimMetadata(user: string, kind: 'env' | 'file', key: string): string {
    return `${this.#mount}/metadata/${this.#user(user)}/${COFFER_FOLDER}/${kind}/${encodeSegment(key)}`;
  }

  indexData(user: string): string {
    return `${this.#mount}/data/${this.#user(user)}/${COFFER_FOLDER}/${INDEX_KEY}`;
  }

  indexMetadata(user: string): string {
    return `${this.#mount}/metadata/${this.#user(user)}/${COFFER_FOLDER}/${INDEX_KEY}`;
  }
}
