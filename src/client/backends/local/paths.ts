import { makeDirectories } from '../../bounded-fs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where Coffer keeps its data: `COFFER_HOME`, else `${XDG_DATA_HOME:-$HOME/.local/share}/coffer`.
 * Empty variables count as unset, like the shell's `${VAR:-default}`.
 */
export function resolveCofferHome(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.COFFER_HOME;
  if (explicit !== undefined && explicit !== '') return path.resolve(explicit);
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec says relative values are invalid and must be ignored.
  if (xdg !== undefined && xdg !== '' && path.isAbsolute(xdg)) return path.join(xdg, 'coffer');
  const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : os.homedir();
  return path.join(home, '.local', 'share', 'coffer');
}

/** The files of one store. The store lives in `<home>/store` so other Coffer files can sit beside it. */
export interface StoreLayout {
  readonly dir: string;
  readonly keyPath: string;
  readonly lockPath: string;
  readonly snapshotPath: string;
  readonly manifestPath: string;
  journalPath(generation: number): string;
}

export const JOURNAL_PREFIX = 'journal.';
export const TEMP_SUFFIX = '.tmp';

export function storeLayout(home: string): StoreLayout {
  return storeDirLayout(path.join(home, 'store'));
}

/** The files of a store (or of a backup of one) in `dir`. */
export function storeDirLayout(dir: string): StoreLayout {
  return {
    dir,
    keyPath: path.join(dir, 'key'),
    lockPath: path.join(dir, 'lock'),
    snapshotPath: path.join(dir, 'snapshot'),
    manifestPath: path.join(dir, 'manifest'),
    journalPath: (generation) => path.join(dir, `${JOURNAL_PREFIX}${generation}`),
  };
}

/** A name no other process or call will pick, for write-then-rename/link. */
export function uniqueTempPath(target: string): string {
  return `${target}.${process.pid}.${Math.random().toString(36).slice(2)}${TEMP_SUFFIX}`;
}

/** Creates `dir` (and missing parents) readable by the owner only. */
export function ensurePrivateDir(dir: string): void {
  if (fs.existsSync(dir)) return;
  // Not `{ recursive: true }`: Node's mkdir -p never ends on /proc (see bounded-fs.ts).
  makeDirectories(dir, 0o700);
  // The umask can only remove bits, but be explicit in case the directory raced into existence.
  fs.chmodSync(dir, 0o700);
  fsyncDir(path.dirname(dir));
}

/** Makes a create, rename or unlink in `dir` durable. Some platforms cannot fsync a directory. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF' && code !== 'ENOENT')
      throw error;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Writes a new file with `content` in one go, fsyncs it, and leaves it at `file` (mode 0600). */
export function writeFileDurably(file: string, content: Buffer | string, flag: 'wx' | 'w'): void {
  const fd = fs.openSync(file, flag, 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    writeFully(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content, 0);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** `write(2)` may write fewer bytes than asked; loop until all are written. */
export function writeFully(fd: number, data: Buffer, position: number): void {
  let done = 0;
  while (done < data.length) {
    done += fs.writeSync(fd, data, done, data.length - done, position + done);
  }
}

export function unlinkQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}
