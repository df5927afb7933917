/**
 * How a secret's metadata is stored in KV v2.
 *
 * Authoritative copy: the `coffer` object inside the secret's data document, next to `value`.
 * Every change of a secret, metadata-only changes included, is a check-and-set data write, so
 * two writers can never silently overwrite each other (KV v2's metadata endpoint has no CAS on
 * Vault; OpenBao's `metadata_cas` would not help a Vault user).
 *
 * Mirror: the same fields in the key's `custom_metadata`, so `get`/`list` read metadata without
 * touching a value (least privilege; no value crosses the wire at plan/refresh time). Vault keeps
 * `custom_metadata` as strings only, at most 64 keys, key ≤ 128 bytes, value 1..512 bytes (an
 * empty value is rejected). So: empty fields are omitted; a value longer than 512 bytes (a
 * 4096-byte `file_path`, a long description) is split on code-point boundaries into
 * `<field>.0`, `<field>.1`, … with `<field>.parts` = the count. The mirror carries
 * `coffer_rev` = `<version>@<created_time>` of the KV version it describes; a reader trusts it
 * only when that equals the key's current version (else it was left stale by a crash between the
 * data write and the mirror write, or by two writers whose mirror writes crossed) and falls back
 * to the data document.
 */

export const SCHEMA = 1;
export const MAX_CUSTOM_METADATA_KEYS = 64;
export const MAX_CUSTOM_METADATA_VALUE_BYTES = 512;
/** Vault-backend limit for a description, chosen so that any valid secret's mirror fits in 64 keys. */
export const MAX_DESCRIPTION_BYTES = 16 * 1024;
export const MAX_FILE_OWNER_BYTES = 256;
export const MAX_FILE_MODE = 0o7777;

/** Everything Coffer stores about a secret except the value and the timestamps. */
export interface StoredMeta {
  readonly id: string;
  readonly description: string;
  readonly envName: string;
  readonly filePath: string;
  readonly enabled: boolean;
  /** `""` when unset. */
  readonly fileOwner: string;
  /** Undefined when unset. */
  readonly fileMode: number | undefined;
  readonly isDefault: boolean;
  /** The KV version at which the value was last written. */
  readonly valueVersion: number;
  /** Owner claim of the create (see src/client/ownership.ts); absent when none. */
  readonly ownerClaim?: string;
}

/** The `coffer` object of the data document (JSON, no 512-byte limits). */
export interface DataDocMeta {
  readonly schema: number;
  readonly id: string;
  readonly description: string;
  readonly env_name: string;
  readonly file_path: string;
  readonly enabled: boolean;
  readonly file_owner: string;
  readonly file_mode: number | null;
  readonly is_default: boolean;
  readonly value_version: number;
  readonly owner_claim?: string;
  /** Random id of the write that produced this version: tells "my retried write landed" from "someone else's". */
  readonly write_id: string;
}

export function toDataDocMeta(meta: StoredMeta, writeId: string): DataDocMeta {
  return {
    schema: SCHEMA,
    id: meta.id,
    description: meta.description,
    env_name: meta.envName,
    file_path: meta.filePath,
    enabled: meta.enabled,
    file_owner: meta.fileOwner,
    file_mode: meta.fileMode ?? null,
    is_default: meta.isDefault,
    value_version: meta.valueVersion,
    ...(meta.ownerClaim !== undefined ? { owner_claim: meta.ownerClaim } : {}),
    write_id: writeId,
  };
}

/** Reads a data document's `coffer` object; undefined when absent or malformed. */
export function fromDataDocMeta(raw: unknown): (StoredMeta & { writeId: string }) | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  if (o.schema !== SCHEMA) return undefined;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const id = str(o.id);
  const description = str(o.description);
  const envName = str(o.env_name);
  const filePath = str(o.file_path);
  const fileOwner = str(o.file_owner) ?? '';
  const writeId = str(o.write_id) ?? '';
  if (id === undefined || description === undefined || envName === undefined || filePath === undefined)
    return undefined;
  if (typeof o.enabled !== 'boolean' || !isPositiveInt(o.value_version)) return undefined;
  const fileMode = o.file_mode === null || o.file_mode === undefined ? undefined : o.file_mode;
  if (fileMode !== undefined && !isFileMode(fileMode)) return undefined;
  return {
    id,
    description,
    envName,
    filePath,
    enabled: o.enabled,
    fileOwner,
    fileMode,
    isDefault: o.is_default === true,
    valueVersion: o.value_version,
    ...(typeof o.owner_claim === 'string' && o.owner_claim !== '' ? { ownerClaim: o.owner_claim } : {}),
    writeId,
  };
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

export function isFileMode(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_FILE_MODE;
}

/** Thrown by `packMirror` when the fields do not fit into 64 custom_metadata keys. */
export class MirrorTooLargeError extends Error {
  constructor(
    readonly field: string,
    readonly keys: number,
  ) {
    super(`metadata needs ${keys} custom_metadata keys; Vault allows ${MAX_CUSTOM_METADATA_KEYS}`);
  }
}

/** Splits `value` into pieces of at most `maxBytes` UTF-8 bytes without cutting a code point. */
export function splitUtf8(value: string, maxBytes: number): string[] {
  const parts: string[] = [];
  let current = '';
  let currentBytes = 0;
  for (const ch of value) {
    const bytes = Buffer.byteLength(ch, 'utf8');
    if (currentBytes + bytes > maxBytes) {
      parts.push(current);
      current = '';
      currentBytes = 0;
    }
    current += ch;
    currentBytes += bytes;
  }
  if (current !== '') parts.push(current);
  return parts;
}

/** The mirror's string fields, by custom_metadata key. */
function mirrorFields(meta: StoredMeta): [string, string][] {
  return [
    ['id', meta.id],
    ['description', meta.description],
    ['env_name', meta.envName],
    ['file_path', meta.filePath],
    ['enabled', String(meta.enabled)],
    ['file_owner', meta.fileOwner],
    ['file_mode', meta.fileMode === undefined ? '' : formatMode(meta.fileMode)],
    ['is_default', String(meta.isDefault)],
    ['value_version', String(meta.valueVersion)],
    ['owner_claim', meta.ownerClaim ?? ''],
  ];
}

export function formatMode(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}

/** The `custom_metadata` map mirroring `meta` at KV revision `rev` (`<version>@<created_time>`). */
export function packMirror(meta: StoredMeta, rev: string): Record<string, string> {
  const out: Record<string, string> = { coffer_schema: String(SCHEMA), coffer_rev: rev };
  let largest = { field: 'description', keys: 0 };
  for (const [key, value] of mirrorFields(meta)) {
    if (value === '') continue; // Vault rejects empty values; absent means "".
    if (Buffer.byteLength(value, 'utf8') <= MAX_CUSTOM_METADATA_VALUE_BYTES) {
      out[key] = value;
      continue;
    }
    const parts = splitUtf8(value, MAX_CUSTOM_METADATA_VALUE_BYTES);
    out[`${key}.parts`] = String(parts.length);
    parts.forEach((part, i) => (out[`${key}.${i}`] = part));
    if (parts.length + 1 > largest.keys) largest = { field: key, keys: parts.length + 1 };
  }
  const count = Object.keys(out).length;
  if (count > MAX_CUSTOM_METADATA_KEYS) throw new MirrorTooLargeError(largest.field, count);
  return out;
}

/** Reassembles one field; undefined when a piece is missing (a damaged or half-written mirror). */
function readField(cm: Record<string, unknown>, key: string): string | undefined {
  const whole = cm[key];
  if (typeof whole === 'string') return whole;
  const partsRaw = cm[`${key}.parts`];
  if (partsRaw === undefined) return '';
  if (typeof partsRaw !== 'string' || !/^[1-9][0-9]?$/.test(partsRaw)) return undefined;
  let value = '';
  for (let i = 0; i < Number(partsRaw); i++) {
    const part = cm[`${key}.${i}`];
    if (typeof part !== 'string') return undefined;
    value += part;
  }
  return value;
}

export type MirrorReading =
  | { readonly kind: 'coffer'; readonly meta: StoredMeta; readonly rev: string }
  /** No `coffer_schema` marker: a key Coffer did not write. */
  | { readonly kind: 'foreign' }
  /** Marked but unreadable: treat as stale and use the data document. */
  | { readonly kind: 'damaged' };

export function unpackMirror(customMetadata: unknown): MirrorReading {
  if (typeof customMetadata !== 'object' || customMetadata === null) return { kind: 'foreign' };
  const cm = customMetadata as Record<string, unknown>;
  if (cm.coffer_schema === undefined) return { kind: 'foreign' };
  if (cm.coffer_schema !== String(SCHEMA)) return { kind: 'damaged' };
  const rev = cm.coffer_rev;
  const fields = Object.fromEntries(mirrorFields(EMPTY).map(([key]) => [key, readField(cm, key)]));
  if (typeof rev !== 'string' || Object.values(fields).some((v) => v === undefined)) return { kind: 'damaged' };
  const f = fields as Record<string, string>;
  const valueVersion = Number(f.value_version);
  const fileMode = f.file_mode === '' ? undefined : parseMode(f.file_mode);
  if (
    f.id === '' ||
    !['true', 'false'].includes(f.enabled) ||
    !['true', 'false', ''].includes(f.is_default) ||
    !Number.isSafeInteger(valueVersion) ||
    valueVersion < 1 ||
    (f.file_mode !== '' && fileMode === undefined)
  ) {
    return { kind: 'damaged' };
  }
  return {
    kind: 'coffer',
    rev,
    meta: {
      id: f.id,
      description: f.description,
      envName: f.env_name,
      filePath: f.file_path,
      enabled: f.enabled === 'true',
      fileOwner: f.file_owner,
      fileMode,
      isDefault: f.is_default === 'true',
      valueVersion,
      ...(f.owner_claim !== '' ? { ownerClaim: f.owner_claim } : {}),
    },
  };
}

function parseMode(text: string): number | undefined {
  if (!/^0[0-7]{3,4}$/.test(text)) return undefined;
  const mode = parseInt(text, 8);
  return isFileMode(mode) ? mode : undefined;
}

const EMPTY: StoredMeta = {
  id: '',
  description: '',
  envName: '',
  filePath: '',
  enabled: false,
  fileOwner: '',
  fileMode: undefined,
  isDefault: false,
  valueVersion: 1,
};

/** The revision stamp of a KV version. */
export function revision(version: number, createdTime: string): string {
  return `${version}@${createdTime}`;
}
