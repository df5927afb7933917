import type { SealedValue } from './cipher';

/**
 * What the store files hold. Everything but the value is clear text, so the store can be listed,
 * searched and checked for uniqueness without the key.
 */
export interface StoredSecret {
  readonly id: string;
  readonly user: string;
  readonly name: string;
  readonly description: string;
  readonly envName: string;
  readonly filePath: string;
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly valueVersion: number;
  readonly value: SealedValue;
  /** Delivery options; absent in records written before they existed. */
  readonly fileOwner?: string;
  readonly fileMode?: number;
  readonly isDefault?: boolean;
  /** Owner claim of the create (see src/client/ownership.ts); absent when none was given. */
  readonly ownerClaim?: string;
}

/** One change. `put` inserts or replaces a whole secret (by id), so replaying is idempotent. */
export type Operation =
  | { readonly op: 'put'; readonly secret: StoredSecret }
  | { readonly op: 'delete'; readonly user: string; readonly id: string };

/**
 * Format 2 added the manifest, the hash chain (`prev`) in journal records and `base` in snapshots.
 * Format-1 files (written before) are still read, and adopted by the next write.
 */
export const FORMAT_VERSION = 2;
export const LEGACY_FORMAT = 1;

/** First line of every journal file; the generation must match the file name and the snapshot. */
export interface JournalHeader {
  readonly t: 'journal';
  readonly format: number;
  readonly generation: number;
}

/** One committed mutation: all its operations apply, or (torn line) none does. */
export interface Transaction {
  readonly t: 'tx';
  readonly ops: readonly Operation[];
  /** Hash of the line before this one (format 2): a removed, swapped or replaced line breaks the chain. */
  readonly prev?: string;
}

export interface SnapshotHeader {
  readonly t: 'snapshot';
  readonly format: number;
  readonly generation: number;
  readonly count: number;
  /** The committed state this snapshot was folded from (format 2): lets a reader finish a compaction that crashed before its manifest was written. */
  readonly base?: SnapshotBase;
}

/** Generation, acknowledged journal length and last record hash of the manifest a snapshot was made from. */
export interface SnapshotBase {
  readonly generation: number;
  readonly length: number;
  readonly last: string;
}

export interface SnapshotSecret {
  readonly t: 'secret';
  readonly secret: StoredSecret;
}

/** Last line of a snapshot, so a truncated snapshot cannot pass for a smaller one. */
export interface SnapshotEnd {
  readonly t: 'end';
  readonly count: number;
}

/** A checksum-valid line whose content is not what this version writes. */
export class RecordFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordFormatError';
  }
}

type Fields = Record<string, unknown>;

function object(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RecordFormatError(`${what} is not an object`);
  return value as Fields;
}

function str(fields: Fields, key: string, what: string): string {
  const value = fields[key];
  if (typeof value !== 'string') throw new RecordFormatError(`${what}.${key} is not a string`);
  return value;
}

function int(fields: Fields, key: string, what: string): number {
  const value = fields[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RecordFormatError(`${what}.${key} is not a non-negative integer`);
  }
  return value;
}

function bool(fields: Fields, key: string, what: string): boolean {
  const value = fields[key];
  if (typeof value !== 'boolean') throw new RecordFormatError(`${what}.${key} is not a boolean`);
  return value;
}

function expectType(fields: Fields, t: string, what: string): void {
  if (fields.t !== t) throw new RecordFormatError(`${what} has type ${JSON.stringify(fields.t)}, expected "${t}"`);
}

function checkFormat(fields: Fields, what: string): number {
  const format = int(fields, 'format', what);
  if (format !== FORMAT_VERSION && format !== LEGACY_FORMAT) {
    throw new RecordFormatError(
      `${what} has format ${format}; this version of Coffer reads formats ${LEGACY_FORMAT} and ${FORMAT_VERSION}`,
    );
  }
  return format;
}

export function parseStoredSecret(value: unknown): StoredSecret {
  const what = 'secret';
  const f = object(value, what);
  const sealed = object(f.value, 'secret.value');
  return {
    id: str(f, 'id', what),
    user: str(f, 'user', what),
    name: str(f, 'name', what),
    description: str(f, 'description', what),
    envName: str(f, 'envName', what),
    filePath: str(f, 'filePath', what),
    enabled: bool(f, 'enabled', what),
    createdAt: str(f, 'createdAt', what),
    updatedAt: str(f, 'updatedAt', what),
    valueVersion: int(f, 'valueVersion', what),
    value: { nonce: str(sealed, 'nonce', 'secret.value'), data: str(sealed, 'data', 'secret.value') },
    ...(typeof f.fileOwner === 'string' && f.fileOwner !== '' ? { fileOwner: f.fileOwner } : {}),
    ...(typeof f.fileMode === 'number' && Number.isInteger(f.fileMode) ? { fileMode: f.fileMode } : {}),
    ...(f.isDefault === true ? { isDefault: true } : {}),
    ...(typeof f.ownerClaim === 'string' ? { ownerClaim: f.ownerClaim } : {}),
  };
}

function parseOperation(value: unknown): Operation {
  const f = object(value, 'operation');
  if (f.op === 'put') return { op: 'put', secret: parseStoredSecret(f.secret) };
  if (f.op === 'delete') return { op: 'delete', user: str(f, 'user', 'operation'), id: str(f, 'id', 'operation') };
  throw new RecordFormatError(`unknown operation ${JSON.stringify(f.op)}`);
}

export function parseJournalHeader(value: unknown): JournalHeader {
  const f = object(value, 'journal header');
  expectType(f, 'journal', 'journal header');
  return { t: 'journal', format: checkFormat(f, 'journal header'), generation: int(f, 'generation', 'journal header') };
}

export function parseTransaction(value: unknown): Transaction {
  const f = object(value, 'journal record');
  expectType(f, 'tx', 'journal record');
  if (!Array.isArray(f.ops)) throw new RecordFormatError('journal record.ops is not an array');
  const ops = f.ops.map(parseOperation);
  return f.prev === undefined ? { t: 'tx', ops } : { t: 'tx', ops, prev: str(f, 'prev', 'journal record') };
}

export function parseSnapshotHeader(value: unknown): SnapshotHeader {
  const f = object(value, 'snapshot header');
  expectType(f, 'snapshot', 'snapshot header');
  return {
    t: 'snapshot',
    format: checkFormat(f, 'snapshot header'),
    generation: int(f, 'generation', 'snapshot header'),
    count: int(f, 'count', 'snapshot header'),
    ...(f.base === undefined ? {} : { base: parseSnapshotBase(f.base) }),
  };
}

function parseSnapshotBase(value: unknown): SnapshotBase {
  const what = 'snapshot base';
  const f = object(value, what);
  return { generation: int(f, 'generation', what), length: int(f, 'length', what), last: str(f, 'last', what) };
}

export function parseSnapshotSecret(value: unknown): StoredSecret {
  const f = object(value, 'snapshot entry');
  expectType(f, 'secret', 'snapshot entry');
  return parseStoredSecret(f.secret);
}

export function parseSnapshotEnd(value: unknown): SnapshotEnd {
  const f = object(value, 'snapshot end');
  expectType(f, 'end', 'snapshot end');
  return { t: 'end', count: int(f, 'count', 'snapshot end') };
}

/**
 * The `manifest` file (format 2): the commit point of the store. It names the generation, the
 * snapshot's checksum and the journal's acknowledged length and last record, so a missing,
 * emptied, truncated or rolled-back file is told apart from an empty store.
 */
export interface Manifest {
  readonly t: 'manifest';
  readonly format: number;
  readonly generation: number;
  /** null before the first compaction. */
  readonly snapshot: { readonly sha256: string; readonly bytes: number } | null;
  readonly journal: { readonly length: number; readonly last: string };
}

export function parseManifest(value: unknown): Manifest {
  const what = 'manifest';
  const f = object(value, what);
  expectType(f, 'manifest', what);
  const format = int(f, 'format', what);
  if (format !== FORMAT_VERSION) throw new RecordFormatError(`manifest has format ${format}; expected ${FORMAT_VERSION}`);
  const journal = object(f.journal, 'manifest.journal');
  let snapshot: Manifest['snapshot'] = null;
  if (f.snapshot !== null) {
    const s = object(f.snapshot, 'manifest.snapshot');
    snapshot = { sha256: str(s, 'sha256', 'manifest.snapshot'), bytes: int(s, 'bytes', 'manifest.snapshot') };
  }
  return {
    t: 'manifest',
    format,
    generation: int(f, 'generation', what),
    snapshot,
    journal: { length: int(journal, 'length', 'manifest.journal'), last: str(journal, 'last', 'manifest.journal') },
  };
}
