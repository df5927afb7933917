/**
 * File-system calls on paths a user names (a value file, an import file, the config, a Coffer
 * home, a mirror directory), written once for the CLI, the provider and the stores so none of
 * them can hang or read without end:
 *
 * - `readBoundedFile` opens without blocking (a FIFO with no writer would block `open` forever),
 *   accepts only a regular file, and reads at most `limit + 1` bytes, so `/dev/zero`, a FIFO or
 *   a growing file fails at once with the limit in the message;
 * - `makeDirectories` creates a path one component at a time. Node's `mkdir -p`
 *   (`{ recursive: true }`) spins forever where `mkdir` answers ENOENT for a directory whose
 *   parent exists (`/proc/coffer`); here every component is tried once, so the loop ends.
 *
 * Errors are `FileInputError`s that name the path and what it was for, never the content.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class FileInputError extends Error {
  /** The errno code (`ENOENT`, `EISDIR`…) or a short reason (`not_regular`, `too_large`). */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'FileInputError';
    this.code = code;
  }
}

function errnoCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'error';
}

/**
 * Reads a regular file of at most `limitBytes`. `what` names it in messages (e.g.
 * `--value-file /x`). Never blocks on a FIFO, never reads more than `limitBytes + 1` bytes.
 */
export function readBoundedFile(file: string, limitBytes: number, what: string): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever. It has no
    // effect on reads from a regular file, the only kind read below.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    throw new FileInputError(code, `cannot read ${what} (${code})`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw new FileInputError('EISDIR', `${what} is a directory, not a file`);
    if (!stat.isFile()) {
      throw new FileInputError(
        'not_regular',
        `${what} is not a regular file (a FIFO, socket or device such as /dev/zero); pipe such input to stdin instead`,
      );
    }
    if (stat.size > limitBytes) throw tooLarge(what, limitBytes);
    // `size` can be wrong (files in /proc say 0, a file may grow): read until EOF or limit + 1.
    const buffer = Buffer.alloc(Math.min(limitBytes + 1, Math.max(stat.size + 1, 64 * 1024)));
    let total = 0;
    let chunk = buffer;
    for (;;) {
      if (total === chunk.length) {
        if (chunk.length > limitBytes) break;
        const bigger = Buffer.alloc(Math.min(limitBytes + 1, chunk.length * 2));
        chunk.copy(bigger, 0, 0, total);
        chunk = bigger;
      }
      let read: number;
      try {
        read = fs.readSync(fd, chunk, total, chunk.length - total, null);
      } catch (error) {
        const code = errnoCode(error);
        throw new FileInputError(code, `cannot read ${what} (${code})`);
      }
      if (read === 0) break;
      total += read;
    }
    if (total > limitBytes) throw tooLarge(what, limitBytes);
    return chunk.subarray(0, total);
  } finally {
    fs.closeSync(fd);
  }
}

/** Like `readBoundedFile`, as UTF-8 text (invalid bytes become U+FFFD, as `readFileSync` does). */
export function readBoundedTextFile(file: string, limitBytes: number, what: string): string {
  return readBoundedFile(file, limitBytes, what).toString('utf8');
}

function tooLarge(what: string, limitBytes: number): FileInputError {
  const unit = limitBytes % (1024 * 1024) === 0 ? `${limitBytes / (1024 * 1024)} MiB` : limitBytes % 1024 === 0 ? `${limitBytes / 1024} KiB` : undefined;
  return new FileInputError('too_large', `${what} is larger than ${unit === undefined ? '' : `${unit} (`}${limitBytes} bytes${unit === undefined ? '' : ')'}, the limit`);
}

/**
 * `mkdir -p` that always ends: creates the missing components of `dir` with `mode` (exactly,
 * whatever the umask), and returns the directories it created, outermost first. An existing
 * component that is not a directory, or a component `mkdir` cannot create, is an error naming
 * that component.
 */
export function makeDirectories(dir: string, mode = 0o700): string[] {
  const absolute = path.resolve(dir);
  const created: string[] = [];
  const { root } = path.parse(absolute);
  let current = root;
  for (const component of absolute.slice(root.length).split(path.sep).filter((c) => c !== '')) {
    current = path.join(current, component);
    try {
      fs.mkdirSync(current, { mode });
      fs.chmodSync(current, mode);
      created.push(current);
      continue;
    } catch (error) {
      // EEXIST, or EACCES/EROFS on a directory that exists but is not ours: fine if it is one.
      const stat = statOrUndefined(current);
      if (stat?.isDirectory()) continue;
      if (stat !== undefined) throw new FileInputError('ENOTDIR', `cannot create directory ${current}: a file is in the way`);
      const code = errnoCode(error);
      throw new FileInputError(code, `cannot create directory ${current} (${code})`);
    }
  }
  return created;
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}
