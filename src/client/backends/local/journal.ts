import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { errnoCode, writeFully } from './paths';

/**
 * The line format shared by the journal and the snapshot: `<sha256 hex of json> <json>\n`.
 * JSON never contains a raw newline, so a line is complete exactly when its `\n` is there, and the
 * checksum tells a complete line from one whose bytes did not all reach the disk.
 */
const HASH_HEX = 64;
const NEWLINE = 0x0a;
const SPACE = 0x20;

export function encodeLine(payload: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(payload), 'utf8');
  const hash = createHash('sha256').update(json).digest('hex');
  return Buffer.concat([Buffer.from(`${hash} `, 'ascii'), json, Buffer.from('\n', 'ascii')]);
}

/** The payload of one line without its `\n`, or undefined when the line is damaged. */
export function decodeLine(line: Buffer): unknown {
  if (line.length <= HASH_HEX + 1 || line[HASH_HEX] !== SPACE) return undefined;
  const json = line.subarray(HASH_HEX + 1);
  const expected = line.toString('latin1', 0, HASH_HEX);
  if (createHash('sha256').update(json).digest('hex') !== expected) return undefined;
  try {
    return JSON.parse(json.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export interface ScannedLine {
  /** Byte offset of the line in its file. */
  readonly start: number;
  /** Byte offset just after its `\n`. */
  readonly end: number;
  /** The line's checksum (sha256 hex of its JSON): what the next record and the manifest chain to. */
  readonly hash: string;
  readonly value: unknown;
}

/** The checksum an encoded line starts with. */
export function lineHash(line: Buffer): string {
  return line.toString('latin1', 0, HASH_HEX);
}

export interface ScanResult {
  /** Leading run of complete, checksum-valid lines. */
  readonly lines: ScannedLine[];
  /** Offset just after the last of them: where the next reader starts and the next writer appends. */
  readonly validEnd: number;
  /**
   * True when a damaged complete line is followed by a valid one. Writers append only after the
   * previous append was fsynced, so damage can only be at the very end (a torn write); anything
   * else is real corruption and must not be "repaired" by truncating acknowledged records away.
   */
  readonly damagedInMiddle: boolean;
}

/** Splits `data` (which starts at file offset `base`) into lines and stops at the first bad one. */
export function scanLines(data: Buffer, base: number): ScanResult {
  const lines: ScannedLine[] = [];
  let position = 0;
  while (position < data.length) {
    const newline = data.indexOf(NEWLINE, position);
    if (newline < 0) break; // Incomplete: being written right now, or torn.
    const value = decodeLine(data.subarray(position, newline));
    if (value === undefined) {
      return { lines, validEnd: base + position, damagedInMiddle: hasValidLineAfter(data, newline + 1) };
    }
    lines.push({
      start: base + position,
      end: base + newline + 1,
      hash: data.toString('latin1', position, position + HASH_HEX),
      value,
    });
    position = newline + 1;
  }
  return { lines, validEnd: base + position, damagedInMiddle: false };
}

function hasValidLineAfter(data: Buffer, from: number): boolean {
  let position = from;
  while (position < data.length) {
    const newline = data.indexOf(NEWLINE, position);
    if (newline < 0) return false;
    if (decodeLine(data.subarray(position, newline)) !== undefined) return true;
    position = newline + 1;
  }
  return false;
}

export interface TailRead extends ScanResult {
  /** File size when it was read; more than `validEnd` means a torn or in-progress tail. */
  readonly size: number;
}

/** Reads a journal from `offset` to its end; undefined when the file does not exist. */
export function readTail(file: string, offset: number): TailRead | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= offset) return { lines: [], validEnd: offset, damagedInMiddle: false, size };
    const data = Buffer.allocUnsafe(size - offset);
    let filled = 0;
    while (filled < data.length) {
      const n = fs.readSync(fd, data, filled, data.length - filled, offset + filled);
      if (n === 0) break; // Truncated under us by a writer repairing a torn tail.
      filled += n;
    }
    return { ...scanLines(data.subarray(0, filled), offset), size };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `line` at `offset` with one write and makes it durable before returning. The caller
 * holds the store lock and has already cut any torn tail, so `offset` is the end of the file.
 */
export function appendLine(file: string, offset: number, line: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  try {
    writeFully(fd, line, offset);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Cuts a torn tail left by a writer that died mid-write. Caller holds the store lock. */
export function truncateTo(file: string, length: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.ftruncateSync(fd, length);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
