/**
 * Writing a delivered file without being led elsewhere by links.
 *
 * Under `materialize --root DIR` every path component below DIR is walked with `lstat`: a
 * symbolic link, or anything that is not a directory, is refused (so `root/etc -> /elsewhere`
 * cannot make coffer write outside DIR), and missing directories are created one at a time
 * (mode 0700), each checked again after `mkdir`. Without `--root` the workspace's own home may
 * well contain linked directories (dotfiles), so only the file itself is checked.
 *
 * In every case the file itself must be absent, a regular file or a link: a link is replaced by
 * the rename, never followed (so it cannot redirect the write), and a FIFO, socket, device or
 * directory is refused.
 *
 * Node has no openat/renameat, so the walk cannot hold directory descriptors. Instead the
 * temporary file is opened with O_CREAT|O_EXCL|O_NOFOLLOW, and just before the rename the
 * directory's real path is compared with the checked one and the temporary file with the
 * descriptor written to: a link swapped in during the write is caught, and the remaining
 * window is the rename itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeDirectories } from '../client/bounded-fs';
import { CliError, EXIT } from './errors';

export interface Ownership {
  readonly uid: number;
  readonly gid: number | undefined;
}

export interface WriteTarget {
  /** The absolute path written. */
  readonly target: string;
  /** `materialize --root`, resolved to its real path; undefined without `--root`. */
  readonly root: string | undefined;
}

/** A target the walk refused; the message names the path and the rule. */
export class UnsafeTargetError extends CliError {
  constructor(message: string) {
    super(EXIT.failed, message);
    this.name = 'UnsafeTargetError';
  }
}

/**
 * `--root` as an absolute real path (the user chose it, so links above and at it are followed);
 * a root that does not exist yet is created by the first write.
 */
export function resolveRoot(root: string): string {
  const absolute = path.resolve(root);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return absolute;
    throw new CliError(EXIT.failed, `cannot use --root ${absolute} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!stat.isDirectory()) throw new CliError(EXIT.usage, `--root ${absolute} is not a directory`);
  return fs.realpathSync(absolute);
}

/**
 * Checks a target without changing anything, so every target of a delivery is checked before
 * the first file is written. Throws `UnsafeTargetError`, or a `CliError` naming the path.
 */
export function checkTarget(where: WriteTarget, secret: string): void {
  try {
    walk(where, secret, undefined, false);
    checkFinal(where.target, secret);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new CliError(EXIT.failed, `cannot check ${where.target} for secret "${secret}" (${code})`);
  }
}

/** Writes `data` to the target atomically (temp file, fsync, rename), creating directories. */
export function writeSafely(where: WriteTarget, data: Buffer, mode: number, owner: Ownership | undefined, secret: string): void {
  const dir = path.dirname(where.target);
  const temp = path.join(dir, `.${path.basename(where.target)}.coffer-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
  let step = 'create the directory for';
  let created = false;
  try {
    if (where.root !== undefined) makeDirectories(where.root, 0o700);
    walk(where, secret, owner, true);
    checkFinal(where.target, secret);
    const expectedDir = fs.realpathSync(dir);
    step = 'write';
    const fd = fs.openSync(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    created = true;
    let written: fs.Stats;
    try {
      if (owner !== undefined) fs.fchownSync(fd, owner.uid, owner.gid ?? -1);
      fs.fchmodSync(fd, mode);
      let done = 0;
      while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, done);
      fs.fsyncSync(fd);
      written = fs.fstatSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    step = 'replace';
    // The re-check against a link swapped in while we wrote (see the module comment).
    const now = fs.lstatSync(temp);
    if (fs.realpathSync(dir) !== expectedDir || now.ino !== written.ino || now.dev !== written.dev) {
      throw new UnsafeTargetError(`refusing to write secret "${secret}": ${dir} changed while it was written (a link was swapped in)`);
    }
    checkFinal(where.target, secret);
    fs.renameSync(temp, where.target);
    created = false;
    syncDirectory(dir);
  } catch (error) {
    if (created) fs.rmSync(temp, { force: true });
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new CliError(EXIT.failed, `cannot ${step} ${where.target} for secret "${secret}" (${code})`);
  }
}

/**
 * Walks the directories between the root (or `/`) and the target. Under a root every existing
 * component must be a real directory, never a link; missing ones are created when `create`.
 * Without a root, missing directories are created the same way and existing ones are trusted.
 */
function walk(where: WriteTarget, secret: string, owner: Ownership | undefined, create: boolean): void {
  const base = where.root ?? path.parse(where.target).root;
  const relative = path.relative(base, path.dirname(where.target));
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new UnsafeTargetError(`refusing to write secret "${secret}": ${where.target} is outside --root ${base}`);
  }
  let current = base;
  for (const component of relative === '' ? [] : relative.split(path.sep)) {
    current = path.join(current, component);
    let stat = lstatOrUndefined(current);
    if (stat === undefined) {
      if (!create) return; // nothing below a missing directory exists yet
      try {
        fs.mkdirSync(current, { mode: 0o700 });
        fs.chmodSync(current, 0o700); // independent of the umask
        if (owner !== undefined) fs.chownSync(current, owner.uid, owner.gid ?? -1);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      stat = fs.lstatSync(current); // re-check: something else may have put a link there
    }
    // Without a root the workspace's own links are trusted, and a file in the way fails with ENOTDIR.
    if (where.root === undefined) continue;
    if (stat.isSymbolicLink()) {
      throw new UnsafeTargetError(
        `refusing to write secret "${secret}": ${current} is a symbolic link, and materialize never follows links under --root ${where.root}`,
      );
    }
    if (!stat.isDirectory()) throw new UnsafeTargetError(`refusing to write secret "${secret}": ${current} is not a directory`);
  }
}

/** The file itself: absent, a regular file, or a link (which the rename replaces, never follows). */
function checkFinal(target: string, secret: string): void {
  const stat = lstatOrUndefined(target);
  if (stat === undefined || stat.isFile() || stat.isSymbolicLink()) return;
  const what = stat.isDirectory() ? 'a directory' : 'not a regular file (a FIFO, socket or device)';
  throw new UnsafeTargetError(`refusing to write secret "${secret}": ${target} is ${what}`);
}

/** undefined when the path does not exist, or cannot (a file where a directory should be). */
function lstatOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

function syncDirectory(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  }
}
