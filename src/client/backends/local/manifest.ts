import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeLine, encodeLine } from './journal';
import { errnoCode, fsyncDir, uniqueTempPath, unlinkQuietly, writeFileDurably } from './paths';
import { parseManifest, RecordFormatError, type Manifest } from './records';
import { damaged } from './integrity';

export interface ManifestRead {
  readonly manifest: Manifest;
  /** The exact bytes, so a reader can tell cheaply whether it changed. */
  readonly raw: Buffer;
}

/** Reads the raw manifest; undefined when there is none. */
export function readManifestBytes(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Parses manifest bytes. The manifest only ever appears by rename after an fsync, so an empty,
 * truncated or checksum-failing manifest is damage, never a torn write.
 */
export function parseManifestBytes(file: string, raw: Buffer): Manifest {
  const newline = raw.indexOf(0x0a);
  const value = newline === raw.length - 1 ? decodeLine(raw.subarray(0, newline)) : undefined;
  if (value === undefined) throw damaged(file, raw.length === 0 ? 'is empty' : 'fails its checksum');
  try {
    return parseManifest(value);
  } catch (error) {
    if (error instanceof RecordFormatError) throw damaged(file, `is not a valid manifest (${error.message})`);
    throw error;
  }
}

export function readManifest(file: string): ManifestRead | undefined {
  const raw = readManifestBytes(file);
  return raw === undefined ? undefined : { manifest: parseManifestBytes(file, raw), raw };
}

/**
 * Replaces the manifest atomically: temp file, fsync, rename, and (with `syncDir`) fsync of the
 * directory. After an append the directory sync may be skipped: the record itself is already
 * durable, and a manifest that falls back to its previous version after a power loss only leaves
 * that record past the acknowledged length, where it is still read and kept. Compaction and
 * adoption sync the directory, since they delete or rely on files the old manifest named.
 */
export function writeManifest(file: string, manifest: Manifest, syncDir = true): Buffer {
  const raw = encodeLine(manifest);
  const temp = uniqueTempPath(file);
  try {
    writeFileDurably(temp, raw, 'wx');
    fs.renameSync(temp, file);
  } catch (error) {
    unlinkQuietly(temp);
    throw error;
  }
  if (syncDir) fsyncDir(path.dirname(file));
  return raw;
}
