import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { BackendUnavailableError } from '../../errors';
import { errnoCode, uniqueTempPath, unlinkQuietly } from './paths';

/** What a lock file says about its holder. The token tells one acquisition from every other. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  /** Linux: the kernel's boot id, so a lock from before a reboot is known to be stale. */
  readonly boot?: string;
  /** Linux: the holder's start time (clock ticks since boot), so a reused pid is not taken for the holder. */
  readonly start?: string;
}

export interface FileLockOptions {
  /** How long `withLock` waits before giving up with `BackendUnavailableError`. */
  readonly timeoutMs: number;
}

const MAX_BREAK_CLAIMS = 16;
/** Claims to break a stale lock are named `<lock>.break.<id>.<n>`. */
export const BREAK_CLAIM_INFIX = '.break.';
const BOOT_ID = readBootId();

/**
 * A holder whose liveness cannot be checked (another host, e.g. a restarted container with a new
 * hostname) counts as gone once its lock is this old. Critical sections take milliseconds, so a
 * live holder never gets near it.
 */
export const UNVERIFIABLE_STALE_MS = 60_000;

/**
 * An exclusive lock between processes, held as a file that names its holder's pid.
 *
 * - The lock file appears atomically with its content (written to a temp file, then hard-linked
 *   into place; `link` fails with EEXIST while the lock is held), so a reader never sees it empty.
 * - A lock whose holder is dead is stale: same host and `kill(pid, 0)` fails with ESRCH, or (Linux)
 *   the pid now belongs to a process started later, or the lock predates a reboot. Breaking it
 *   takes a claim file named after the stale lock's token, created the same atomic way: only one
 *   live process can hold the claim for a given token, and while it does nobody else can remove
 *   the lock file, so its check "the lock still has that token" cannot go stale before its unlink.
 *   Without the claim, two breakers could both see the stale lock and the slower one would delete
 *   the fresh lock the faster one had just taken. A claim left by a dead breaker is skipped by
 *   trying the next numbered claim.
 * - Locks of other hosts cannot be checked from here; they count as stale only once they are older
 *   than UNVERIFIABLE_STALE_MS (far longer than any critical section).
 *
 * Callers run their critical section synchronously (`withLock(fn)` with a synchronous `fn`), so
 * the lock is never held across an await and contention inside one process cannot deadlock.
 */
export class FileLock {
  readonly #path: string;
  readonly #timeoutMs: number;
  #heldToken: string | undefined;

  constructor(lockPath: string, options: FileLockOptions) {
    this.#path = lockPath;
    this.#timeoutMs = options.timeoutMs;
  }

  get path(): string {
    return this.#path;
  }

  /** Waits (with backoff) for the lock, runs `fn` while holding it, and releases it. */
  async withLock<T>(fn: () => T): Promise<T> {
    const deadline = Date.now() + this.#timeoutMs;
    let delay = 1;
    while (!this.tryAcquire()) {
      if (Date.now() >= deadline) {
        throw new BackendUnavailableError(
          `timed out after ${this.#timeoutMs} ms waiting for the store lock ${this.#path}${describeHolder(readOwner(this.#path))}`,
        );
      }
      await sleep(Math.min(delay, Math.max(1, deadline - Date.now())) * (0.5 + Math.random()));
      delay = Math.min(delay * 2, 50);
    }
    try {
      return fn();
    } finally {
      this.release();
    }
  }

  /** One attempt: takes the lock, or breaks it when its holder is dead, or returns false. */
  tryAcquire(): boolean {
    if (this.#heldToken !== undefined) throw new Error(`lock ${this.#path} is already held by this object`);
    const owner = newOwner();
    if (createAtomically(this.#path, owner)) {
      this.#heldToken = owner.token;
      return true;
    }
    const current = inspect(this.#path);
    // The holder released it between our attempt and the read: try again right away next time.
    if (current === undefined) return false;
    if (!isGone(current)) return false;
    this.#breakStale(current.id);
    return false;
  }

  release(): void {
    const token = this.#heldToken;
    if (token === undefined) return;
    this.#heldToken = undefined;
    // Only remove the file if it is still ours; nobody should have broken a live lock, but if
    // they did, deleting their lock would make things worse.
    if (inspect(this.#path)?.id === token) unlinkQuietly(this.#path);
  }

  #breakStale(staleId: string): void {
    const claims: string[] = [];
    try {
      for (let attempt = 1; attempt <= MAX_BREAK_CLAIMS; attempt++) {
        const claim = `${this.#path}${BREAK_CLAIM_INFIX}${staleId}.${attempt}`;
        claims.push(claim);
        if (createAtomically(claim, newOwner())) {
          try {
            // Holding the claim for this token, nobody else removes the lock file, so the check
            // and the unlink below see the same file.
            if (inspect(this.#path)?.id === staleId) unlinkQuietly(this.#path);
          } finally {
            unlinkQuietly(claim);
          }
          return;
        }
        const breaker = inspect(claim);
        if (breaker === undefined) return; // That breaker just finished.
        // Someone is breaking it right now; retry later. Otherwise that breaker died: next claim.
        if (!isGone(breaker)) return;
      }
    } finally {
      // Claims of dead breakers for this token are useless once the stale lock is gone.
      if (inspect(this.#path)?.id !== staleId) {
        for (const claim of claims) if (isDeadClaim(claim)) unlinkQuietly(claim);
      }
    }
  }
}

function isDeadClaim(claim: string): boolean {
  const state = inspect(claim);
  return state !== undefined && isGone(state);
}

function newOwner(): LockOwner {
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), token: randomBytes(16).toString('hex') };
  const start = processStat(process.pid)?.start;
  return { ...owner, ...(BOOT_ID === undefined ? {} : { boot: BOOT_ID }), ...(start === undefined ? {} : { start }) };
}

/** Writes `owner` to a temp file and links it to `target`; false when `target` exists. */
function createAtomically(target: string, owner: LockOwner): boolean {
  const temp = uniqueTempPath(target);
  // No fsync needed: after a crash every holder is dead anyway, and an empty or missing lock
  // file just means "not held".
  fs.writeFileSync(temp, `${JSON.stringify(owner)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(temp, target);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkQuietly(temp);
  }
}

interface LockState {
  /** The token, or for a file that cannot be parsed, its inode number. */
  readonly id: string;
  /** Undefined for a file that cannot be parsed. */
  readonly owner: LockOwner | undefined;
  readonly ageMs: number;
}

/**
 * Looks at the lock file; undefined when there is none. Lock files appear complete, so one that
 * cannot be parsed was left by a crash of the machine before its data reached the disk: nobody
 * holds it, and it is identified by its inode so that breaking it follows the same protocol.
 */
function inspect(file: string): LockState | undefined {
  let text: string;
  let ino: number;
  let ageMs: number;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const stat = fs.fstatSync(fd);
      ino = stat.ino;
      ageMs = Date.now() - stat.mtimeMs;
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const owner = parseOwner(text);
  return owner === undefined ? { id: `i${ino}`, owner, ageMs } : { id: owner.token, owner, ageMs };
}

/** Reads a lock or claim file; undefined when it does not exist or cannot be understood. */
export function readOwner(file: string): LockOwner | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  return parseOwner(text);
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { pid, host, token, boot, start } = parsed as Record<string, unknown>;
    if (typeof pid !== 'number' || typeof host !== 'string' || typeof token !== 'string') return undefined;
    if (!/^[0-9a-f]{1,64}$/.test(token)) return undefined;
    return {
      pid,
      host,
      token,
      ...(typeof boot === 'string' ? { boot } : {}),
      ...(typeof start === 'string' ? { start } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * True when the holder is certainly gone. A lock file that cannot be parsed is gone: lock files
 * appear complete, so only a machine crash before the data reached the disk leaves one like that.
 */
function isGone(state: LockState): boolean {
  if (state.owner === undefined) return true;
  const verdict = state.owner.host === os.hostname() ? localLiveness(state.owner) : 'unknown';
  if (verdict !== 'unknown') return verdict === 'dead';
  return state.ageMs > UNVERIFIABLE_STALE_MS;
}

/** Whether a process of this host still runs, telling a reused pid from the holder where we can. */
function localLiveness(owner: LockOwner): 'alive' | 'dead' | 'unknown' {
  if (owner.boot !== undefined && BOOT_ID !== undefined && owner.boot !== BOOT_ID) return 'dead';
  if (owner.pid !== process.pid) {
    try {
      process.kill(owner.pid, 0);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ESRCH') return 'dead';
      // EPERM: it exists but belongs to someone else.
      if (code !== 'EPERM') return 'unknown';
    }
  }
  const stat = processStat(owner.pid);
  // A zombie has exited; only its parent has not collected it yet.
  if (stat?.state === 'Z' || stat?.state === 'X') return 'dead';
  if (owner.start !== undefined && stat !== undefined && owner.start !== stat.start) return 'dead';
  return 'alive';
}

/** Fields 3 (state) and 22 (start time since boot) of /proc/<pid>/stat; undefined without procfs. */
function processStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [state, start] = [fields[0], fields[19]];
    return state === undefined || start === undefined ? undefined : { state, start };
  } catch {
    return undefined;
  }
}

function readBootId(): string | undefined {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function describeHolder(owner: LockOwner | undefined): string {
  return owner === undefined ? '' : ` (held by pid ${owner.pid} on ${owner.host})`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
