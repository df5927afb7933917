import * as fs from 'node:fs';
import * as path from 'node:path';
import { SecretStoreError } from '../../errors';
import { BREAK_CLAIM_INFIX, FileLock } from './file-lock';
import { appendLine, encodeLine, readTail, truncateTo, type TailRead } from './journal';
import {
  ensurePrivateDir,
  errnoCode,
  fsyncDir,
  JOURNAL_PREFIX,
  TEMP_SUFFIX,
  unlinkQuietly,
  writeFileDurably,
  type StoreLayout,
} from './paths';
import {
  FORMAT_VERSION,
  parseJournalHeader,
  parseTransaction,
  RecordFormatError,
  type JournalHeader,
  type Operation,
  type Transaction,
} from './records';
import { SecretIndex } from './secret-index';
import { readSnapshot, readSnapshotGeneration, writeSnapshot } from './snapshot';

export interface JournaledStateOptions {
  readonly lockTimeoutMs: number;
  /** Compact only once the journal is larger than this… */
  readonly compactMinBytes: number;
  /** …and larger than this many times the live data. */
  readonly compactRatio: number;
}

/** What a mutation decides under the lock: the operations to commit and the caller's answer. */
export interface Mutation<T> {
  readonly ops: readonly Operation[];
  readonly result: T;
}

/** Temp files not written under the lock (key, lock) are only swept once clearly abandoned. */
const ABANDONED_TEMP_MS = 10 * 60 * 1000;
const MAX_RELOAD_ATTEMPTS = 20;

/**
 * The store's state, kept in step with the files and shared safely between processes.
 *
 * Files: `snapshot` (generation G, all secrets at the time of compaction) and `journal.G` (a header
 * line, then one checksummed line per committed transaction). State = snapshot + journal.G.
 *
 * Readers take no lock: they read the journal incrementally from the offset they reached, up to
 * the last complete valid line. Writers take the lock, catch up, cut a torn tail, validate against
 * the now-current state, append one line and fsync it before the caller is answered.
 *
 * Compaction (under the lock) creates `journal.G+1`, renames a fsynced `snapshot` of generation G+1
 * into place, then deletes `journal.G`. A reader still at G finds `journal.G` gone and reloads.
 * If a compactor dies between the rename and the delete, the next writer sees the snapshot's
 * generation moved on and deletes `journal.G` before appending anything to `journal.G+1`, so
 * nothing committed at G+1 can be missed by a reader still reading `journal.G`.
 */
export class JournaledState {
  readonly #layout: StoreLayout;
  readonly #options: JournaledStateOptions;
  readonly #lock: FileLock;

  #loaded = false;
  #generation = 0;
  #index = new SecretIndex();
  /** End of the last valid line of `journal.<generation>` read so far; 0 before its header. */
  #offset = 0;
  /** Size of the journal when last read, or undefined when it did not exist. */
  #size: number | undefined;
  #damagedInMiddle = false;
  /** Generation for which this object has removed older journals (under the lock). */
  #cleanedGeneration = -1;
  /** After a failed compaction, wait for this much more journal before trying again. */
  #nextCompactionAt = 0;

  constructor(layout: StoreLayout, options: JournaledStateOptions) {
    this.#layout = layout;
    this.#options = options;
    this.#lock = new FileLock(layout.lockPath, { timeoutMs: options.lockTimeoutMs });
  }

  get generation(): number {
    return this.#generation;
  }

  /** Brings the in-memory state up to date with what other processes committed; no lock needed. */
  refresh(): SecretIndex {
    if (!this.#loaded) {
      this.#reload();
      return this.#index;
    }
    const tail = readTail(this.#layout.journalPath(this.#generation), this.#offset);
    if (tail === undefined || tail.size < this.#offset) {
      // Compacted away (or replaced): start again from the snapshot.
      this.#reload();
      return this.#index;
    }
    this.#consume(tail);
    return this.#index;
  }

  /**
   * Runs `decide` on the current state while holding the lock and commits the operations it returns
   * as one journal line. `decide` must be synchronous and may throw to commit nothing.
   */
  async mutate<T>(decide: (index: SecretIndex) => Mutation<T>): Promise<T> {
    ensurePrivateDir(this.#layout.dir);
    return this.#lock.withLock(() => {
      this.#catchUpUnderLock();
      const { ops, result } = decide(this.#index);
      if (ops.length > 0) {
        this.#append({ t: 'tx', ops });
        this.#maybeCompact();
      }
      return result;
    });
  }

  #reload(): void {
    for (let attempt = 0; attempt < MAX_RELOAD_ATTEMPTS; attempt++) {
      const snapshot = this.#readSnapshot();
      const generation = snapshot?.generation ?? 0;
      const tail = readTail(this.#layout.journalPath(generation), 0);
      if (tail === undefined && this.#snapshotGeneration() !== generation) {
        continue; // Compacted while we were reading: read the new snapshot.
      }
      this.#generation = generation;
      this.#index = new SecretIndex(snapshot?.secrets);
      this.#offset = 0;
      this.#size = undefined;
      this.#damagedInMiddle = false;
      this.#loaded = true;
      if (tail !== undefined) this.#consume(tail);
      return;
    }
    throw new SecretStoreError(
      'unavailable',
      `the local store at ${this.#layout.dir} kept changing while it was being read`,
    );
  }

  #readSnapshot(): ReturnType<typeof readSnapshot> {
    try {
      return readSnapshot(this.#layout.snapshotPath);
    } catch (error) {
      throw this.#corrupt(error);
    }
  }

  #snapshotGeneration(): number {
    try {
      return readSnapshotGeneration(this.#layout.snapshotPath);
    } catch (error) {
      throw this.#corrupt(error);
    }
  }

  /** Applies the complete valid lines of a tail read and remembers where the next read starts. */
  #consume(tail: TailRead): void {
    try {
      for (const line of tail.lines) {
        if (line.start === 0) {
          const header: JournalHeader = parseJournalHeader(line.value);
          if (header.generation !== this.#generation) {
            throw new RecordFormatError(`journal.${this.#generation} says it is generation ${header.generation}`);
          }
        } else {
          this.#index.apply(parseTransaction(line.value).ops);
        }
      }
    } catch (error) {
      // The index may hold part of this batch: rebuild from scratch next time.
      this.#loaded = false;
      throw this.#corrupt(error);
    }
    this.#offset = tail.validEnd;
    this.#size = tail.size;
    this.#damagedInMiddle = tail.damagedInMiddle;
  }

  /** Under the lock: make the in-memory state exact and the journal ready for an append. */
  #catchUpUnderLock(): void {
    this.refresh();
    // Exact check that no compaction happened that our journal read could not reveal (a
    // compactor that died before deleting the old journal).
    if (this.#snapshotGeneration() !== this.#generation) this.#reload();
    if (this.#cleanedGeneration !== this.#generation) {
      this.#removeStaleFiles();
      this.#cleanedGeneration = this.#generation;
    }
    const journal = this.#layout.journalPath(this.#generation);
    if (this.#damagedInMiddle) {
      throw new SecretStoreError(
        'unavailable',
        `the journal ${journal} is damaged at byte ${this.#offset} with valid records after it; refusing to write (restore it from a backup)`,
        { retryable: false },
      );
    }
    if (this.#size === undefined) {
      // First write of this generation (a new store): create the journal with its header.
      this.#offset = this.#size = this.#startJournal(journal, this.#generation, 'wx');
      return;
    }
    if (this.#size > this.#offset) {
      // A writer died mid-write; nothing after the last valid line was ever acknowledged.
      truncateTo(journal, this.#offset);
      this.#size = this.#offset;
    }
    if (this.#offset === 0) {
      // Even the header was torn.
      this.#offset = this.#size = this.#startJournal(journal, this.#generation, 'w');
    }
  }

  /** Creates a journal holding only its header; returns the header's length. */
  #startJournal(file: string, generation: number, flag: 'wx' | 'w'): number {
    const header: JournalHeader = { t: 'journal', format: FORMAT_VERSION, generation };
    const line = encodeLine(header);
    writeFileDurably(file, line, flag);
    fsyncDir(path.dirname(file));
    return line.length;
  }

  #append(tx: Transaction): void {
    const line = encodeLine(tx);
    const journal = this.#layout.journalPath(this.#generation);
    try {
      appendLine(journal, this.#offset, line);
    } catch (error) {
      // Part of the line may be on disk: the next writer cuts it. Re-read before trusting offsets.
      this.#loaded = false;
      throw error;
    }
    this.#index.apply(tx.ops);
    this.#offset += line.length;
    this.#size = this.#offset;
  }

  #maybeCompact(): void {
    const journalBytes = this.#offset;
    if (journalBytes <= this.#options.compactMinBytes) return;
    if (journalBytes <= this.#options.compactRatio * this.#index.liveBytes) return;
    if (journalBytes < this.#nextCompactionAt) return;
    try {
      this.#compact();
    } catch {
      // The append is already durable, so the caller's call succeeded. State on disk is
      // consistent at every step of compaction; reload to learn which step we reached.
      this.#loaded = false;
      this.#nextCompactionAt = journalBytes + Math.max(this.#options.compactMinBytes, 1);
    }
  }

  #compact(): void {
    const oldGeneration = this.#generation;
    const newGeneration = oldGeneration + 1;
    // The new journal must exist before the snapshot names its generation, so that a missing
    // journal always means "compacted away". 'w' replaces a leftover of a compaction that crashed.
    const headerLength = this.#startJournal(this.#layout.journalPath(newGeneration), newGeneration, 'w');
    writeSnapshot(this.#layout.snapshotPath, newGeneration, this.#index.all());
    this.#generation = newGeneration;
    this.#offset = this.#size = headerLength;
    unlinkQuietly(this.#layout.journalPath(oldGeneration));
    fsyncDir(this.#layout.dir);
    this.#cleanedGeneration = newGeneration;
  }

  /** Under the lock: journals of other generations and temp files of crashed writers. */
  #removeStaleFiles(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.#layout.dir);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      throw error;
    }
    let removed = false;
    const now = Date.now();
    const claimPrefix = `${path.basename(this.#layout.lockPath)}${BREAK_CLAIM_INFIX}`;
    for (const name of names) {
      const file = path.join(this.#layout.dir, name);
      if (name.startsWith(JOURNAL_PREFIX) && /^\d+$/.test(name.slice(JOURNAL_PREFIX.length))) {
        if (Number(name.slice(JOURNAL_PREFIX.length)) !== this.#generation) {
          unlinkQuietly(file);
          removed = true;
        }
      } else if (name.endsWith(TEMP_SUFFIX) || name.startsWith(claimPrefix)) {
        // Snapshot temps are only written under the lock we hold, so any that exist are orphans.
        // Others (key and lock temps, lock-break claims) live for microseconds when all is well.
        const orphan =
          name.startsWith(`${path.basename(this.#layout.snapshotPath)}.`) || isOlderThan(file, now - ABANDONED_TEMP_MS);
        if (orphan) {
          unlinkQuietly(file);
          removed = true;
        }
      }
    }
    if (removed) fsyncDir(this.#layout.dir);
  }

  /** Turns a format error into a store error; other errors (I/O) pass through unchanged. */
  #corrupt(error: unknown): unknown {
    if (!(error instanceof RecordFormatError)) return error;
    return new SecretStoreError(
      'unavailable',
      `the local store at ${this.#layout.dir} cannot be read: ${error.message}`,
      {
        retryable: false,
      },
    );
  }
}

function isOlderThan(file: string, cutoff: number): boolean {
  try {
    return fs.statSync(file).mtimeMs < cutoff;
  } catch {
    return false;
  }
}
