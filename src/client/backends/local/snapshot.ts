import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeLine, encodeLine, scanLines } from './journal';
import { errnoCode, fsyncDir, uniqueTempPath, unlinkQuietly, writeFully } from './paths';
import {
  FORMAT_VERSION,
  parseSnapshotEnd,
  parseSnapshotHeader,
  parseSnapshotSecret,
  RecordFormatError,
  type SnapshotBase,
  type SnapshotEnd,
  type SnapshotHeader,
  type SnapshotSecret,
  type StoredSecret,
} from './records';

export interface Snapshot {
  readonly generation: number;
  readonly format: number;
  readonly base?: SnapshotBase;
  readonly secrets: StoredSecret[];
  /** Checksum and size of the whole file, as the manifest records them. */
  readonly sha256: string;
  readonly bytes: number;
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Reads the whole snapshot; undefined when there is none yet (generation 0). A snapshot only ever
 * appears by rename after an fsync, so any damage is corruption, never a torn write.
 */
export function readSnapshot(file: string): Snapshot | undefined {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const scan = scanLines(data, 0);
  if (scan.validEnd !== data.length || scan.lines.length < 2) {
    throw new RecordFormatError(`snapshot is damaged at byte ${scan.validEnd}`);
  }
  const header = parseSnapshotHeader(scan.lines[0]?.value);
  const end = parseSnapshotEnd(scan.lines[scan.lines.length - 1]?.value);
  const body = scan.lines.slice(1, -1);
  if (header.count !== body.length || end.count !== body.length) {
    throw new RecordFormatError(`snapshot holds ${body.length} secrets but says ${header.count}`);
  }
  return {
    generation: header.generation,
    format: header.format,
    ...(header.base ? { base: header.base } : {}),
    secrets: body.map((line) => parseSnapshotSecret(line.value)),
    sha256: sha256Hex(data),
    bytes: data.length,
  };
}

/**
 * Reads only the generation from the snapshot's first line: a cheap exact check, under the lock,
 * that no other process has compacted since this one loaded its state. 0 when there is no snapshot.
 */
export function readSnapshotGeneration(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 0;
    throw error;
  }
  try {
    const head = Buffer.alloc(4096);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    const newline = head.subarray(0, n).indexOf(0x0a);
    const value = newline < 0 ? undefined : decodeLine(head.subarray(0, newline));
    if (value === undefined) throw new RecordFormatError('snapshot header is damaged');
    return parseSnapshotHeader(value).generation;
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a complete snapshot to a temp file, fsyncs it, and renames it into place; returns its checksum and size. */
export function writeSnapshot(
  file: string,
  generation: number,
  secrets: readonly StoredSecret[],
  base: SnapshotBase,
): { sha256: string; bytes: number } {
  const header: SnapshotHeader = { t: 'snapshot', format: FORMAT_VERSION, generation, count: secrets.length, base };
  const hash = createHash('sha256');
  const end: SnapshotEnd = { t: 'end', count: secrets.length };
  const temp = uniqueTempPath(file);
  const fd = fs.openSync(temp, 'wx', 0o600);
  let position = 0;
  try {
    const put = (line: Buffer): void => {
      writeFully(fd, line, position);
      hash.update(line);
      position += line.length;
    };
    put(encodeLine(header));
    for (const secret of secrets) {
      const entry: SnapshotSecret = { t: 'secret', secret };
      put(encodeLine(entry));
    }
    put(encodeLine(end));
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    unlinkQuietly(temp);
    throw error;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    unlinkQuietly(temp);
    throw error;
  }
  fsyncDir(path.dirname(file));
  return { sha256: hash.digest('hex'), bytes: position };
}
