import * as fs from 'node:fs';
import * as path from 'node:path';
import { BREAK_CLAIM_INFIX, FileLock } from './file-lock';
import { checkPrivate, damaged } from './integrity';
import { appendLine, encodeLine, truncateTo } from './journal';
import { JournalReader } from './journal-reader';
import { parseManifestBytes, readManifestBytes, writeManifest } from './manifest';
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
import { FORMAT_VERSION, RecordFormatError, type JournalHeader, type Manifest, type Operation, type Transaction } from './records';
import type { SecretIndex } from './secret-index';
import { readSnapshotGeneration, writeSnapshot } from './snapshot';
import { fileIdentity, loadView, type StoreView } from './store-view';

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

/**
 * The store's state, kept in step with the files and shared safely between processes.
 *
 * Files: `manifest` (the commit point: generation G, the snapshot's checksum, the journal's
 * acknowledged length and last record hash), `snapshot` (all secrets at the last compaction) and
 * `journal.G` (a header line, then one checksummed line per transaction, each carrying the hash of
 * the line before it). State = snapshot + journal.G, and must account for everything the manifest
 * says was acknowledged: a missing, emptied, truncated, damaged or rolled-back file is reported as
 * a `StoreIntegrityError`, on reads and writes alike. See `store-view.ts` for the checks.
 *
 * Readers take no lock: they read the manifest and then the journal incrementally. Writers take
 * the lock, catch up, cut a torn tail (only ever past the acknowledged length), append one line
 * and fsync it, then replace the manifest (temp, fsync, rename, fsync dir) before the caller is
 * answered. A crash between the two leaves a complete record the manifest does not name yet: it
 * was never acknowledged, readers apply it, the next writer records it.
 *
 * Compaction (under the lock) writes `journal.G+1`, renames a fsynced `snapshot` of G+1 (naming
 * the manifest it was folded from) into place, writes the manifest of G+1, then deletes
 * `journal.G`. A crash before the snapshot rename leaves G intact; after it, readers finish the
 * switch to G+1 (see `rollForward`). Stores without a manifest (format 1) are adopted by the
 * next write, which writes a manifest describing them.
 */
export class JournaledState {
  readonly #layout: StoreLayout;
  readonly #options: JournaledStateOptions;
  readonly #lock: FileLock;

  #view: StoreView | undefined;
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
    return this.#view?.generation ?? 0;
  }

  /** Brings the in-memory state up to date with what other processes committed; no lock needed. */
  refresh(): SecretIndex {
    return this.#refreshView().index;
  }

  /**
   * Runs `decide` on the current state while holding the lock and commits the operations it returns
   * as one journal line. `decide` must be synchronous and may throw to commit nothing.
   */
  async mutate<T>(decide: (index: SecretIndex) => Mutation<T>): Promise<T> {
    ensurePrivateDir(this.#layout.dir);
    checkPrivate(this.#layout.dir, 'dir');
    return this.#lock.withLock(() => {
      const view = this.#catchUpUnderLock();
      const { ops, result } = decide(view.index);
      if (ops.length > 0) {
        this.#append(view, { t: 'tx', ops, ...(view.journal.lastHash ? { prev: view.journal.lastHash } : {}) });
        this.#maybeCompact(view);
      }
      return result;
    });
  }

  /** Runs `fn` under the lock on a caught-up state whose manifest is on disk (for backups). */
  async withCommittedState<T>(fn: (view: StoreView) => T): Promise<T> {
    return this.#lock.withLock(() => fn(this.#catchUpUnderLock()));
  }

  /** Runs `fn` under the store lock without reading the store (for recovery of a damaged one). */
  async withLock<T>(fn: () => T): Promise<T> {
    ensurePrivateDir(this.#layout.dir);
    return this.#lock.withLock(() => {
      this.#view = undefined;
      return fn();
    });
  }

  #refreshView(): StoreView {
    const view = this.#view;
    if (view === undefined) return this.#reload();
    try {
      const raw = readManifestBytes(this.#layout.manifestPath);
      let manifest: Manifest | undefined;
      if (raw === undefined) {
        // The manifest vanished (damage), or we rolled a compaction forward that is now done.
        if (view.manifest !== undefined) return this.#reload();
      } else if (view.manifestRaw === undefined || !raw.equals(view.manifestRaw)) {
        manifest = parseManifestBytes(this.#layout.manifestPath, raw);
        if (manifest.generation !== view.generation) return this.#reload();
      }
      // Compacted away (or replaced): start again from the manifest.
      if (view.journal.readMore(view.index) !== 'read') return this.#reload();
      if (manifest !== undefined && raw !== undefined) {
        view.journal.verifyAcknowledged(manifest.journal.length, manifest.journal.last);
        view.manifest = manifest;
        view.manifestRaw = raw;
      }
      return view;
    } catch (error) {
      // The index may hold part of a batch: rebuild from scratch next time.
      this.#view = undefined;
      throw error;
    }
  }

  #reload(): StoreView {
    this.#view = undefined;
    this.#view = loadView(this.#layout);
    return this.#view;
  }

  /** Under the lock: make the in-memory state exact, the manifest current and the journal ready for an append. */
  #catchUpUnderLock(): StoreView {
    let view = this.#refreshView();
    // A format-1 store has no manifest to reveal a compaction our journal read could not see
    // (one that died before deleting the old journal): check the snapshot exactly.
    if (view.manifest === undefined && this.#legacySnapshotGeneration() !== view.generation) view = this.#reload();
    // No write on top of a snapshot that was removed or replaced since this process read it.
    if (fileIdentity(this.#layout.snapshotPath) !== view.snapshotIdentity) view = this.#reload();
    if (this.#cleanedGeneration !== view.generation) {
      this.#removeStaleFiles(view.generation);
      this.#cleanedGeneration = view.generation;
    }
    const journal = view.journal;
    if (journal.size === undefined || journal.offset === 0) {
      // A new store, a format-1 store without its journal yet, or a header torn before any
      // manifest named this journal: (re)create the journal with its header.
      const header = this.#startJournal(journal.file, view.generation, journal.size === undefined ? 'wx' : 'w');
      view = this.#view = { ...view, journal: JournalReader.afterHeader(journal.file, view.generation, header, FORMAT_VERSION) };
    } else if (journal.size > journal.offset) {
      // A writer died mid-write; nothing after the last valid line was ever acknowledged.
      truncateTo(journal.file, journal.offset);
      journal.truncated();
    }
    if (view.manifestRaw === undefined || view.manifest?.journal.length !== view.journal.offset) {
      // Adopt a store without a manifest, finish a rolled-forward compaction, or record
      // complete records a crashed writer left unacknowledged.
      this.#commitManifest(view);
    }
    return view;
  }

  #legacySnapshotGeneration(): number {
    try {
      return readSnapshotGeneration(this.#layout.snapshotPath);
    } catch (error) {
      if (error instanceof RecordFormatError) throw damaged(this.#layout.snapshotPath, `is damaged (${error.message})`);
      throw error;
    }
  }

  /** Creates a journal holding only its header; returns the header line. */
  #startJournal(file: string, generation: number, flag: 'wx' | 'w'): Buffer {
    const header: JournalHeader = { t: 'journal', format: FORMAT_VERSION, generation };
    const line = encodeLine(header);
    writeFileDurably(file, line, flag);
    fsyncDir(path.dirname(file));
    return line;
  }

  #commitManifest(view: StoreView, syncDir = true): void {
    const manifest: Manifest = {
      t: 'manifest',
      format: FORMAT_VERSION,
      generation: view.generation,
      snapshot: view.snapshotRef,
      journal: { length: view.journal.offset, last: view.journal.lastHash ?? '' },
    };
    try {
      view.manifestRaw = writeManifest(this.#layout.manifestPath, manifest, syncDir);
    } catch (error) {
      this.#view = undefined;
      throw error;
    }
    view.manifest = manifest;
    view.journal.verifyAcknowledged(manifest.journal.length, manifest.journal.last);
  }

  #append(view: StoreView, tx: Transaction): void {
    const line = encodeLine(tx);
    try {
      appendLine(view.journal.file, view.journal.offset, line);
    } catch (error) {
      // Part of the line may be on disk: the next writer cuts it. Re-read before trusting offsets.
      this.#view = undefined;
      throw error;
    }
    view.index.apply(tx.ops);
    view.journal.appended(line);
    // Acknowledged only once the manifest names it (see writeManifest for the directory sync).
    this.#commitManifest(view, false);
  }

  #maybeCompact(view: StoreView): void {
    const journalBytes = view.journal.offset;
    if (journalBytes <= this.#options.compactMinBytes) return;
    if (journalBytes <= this.#options.compactRatio * view.index.liveBytes) return;
    if (journalBytes < this.#nextCompactionAt) return;
    try {
      this.#compact(view);
    } catch {
      // The append is already durable, so the caller's call succeeded. State on disk is
      // consistent at every step of compaction; reload to learn which step we reached.
      this.#view = undefined;
      this.#nextCompactionAt = journalBytes + Math.max(this.#options.compactMinBytes, 1);
    }
  }

  #compact(view: StoreView): void {
    const current = view.manifest;
    if (current === undefined) return;
    const oldGeneration = view.generation;
    const newGeneration = oldGeneration + 1;
    const journalFile = this.#layout.journalPath(newGeneration);
    // The new journal must exist before a snapshot names its generation. 'w' replaces a leftover
    // of a compaction that crashed.
    const header = this.#startJournal(journalFile, newGeneration, 'w');
    const snapshot = writeSnapshot(this.#layout.snapshotPath, newGeneration, view.index.all(), {
      generation: oldGeneration,
      length: current.journal.length,
      last: current.journal.last,
    });
    const next: StoreView = {
      generation: newGeneration,
      index: view.index,
      journal: JournalReader.afterHeader(journalFile, newGeneration, header, FORMAT_VERSION),
      snapshotRef: snapshot,
      snapshotIdentity: fileIdentity(this.#layout.snapshotPath),
      manifest: undefined,
      manifestRaw: undefined,
    };
    this.#view = next;
    this.#commitManifest(next);
    unlinkQuietly(this.#layout.journalPath(oldGeneration));
    fsyncDir(this.#layout.dir);
    this.#cleanedGeneration = newGeneration;
  }

  /** Under the lock: journals of other generations and temp files of crashed writers. */
  #removeStaleFiles(generation: number): void {
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
    const lockedPrefixes = [this.#layout.snapshotPath, this.#layout.manifestPath].map((p) => `${path.basename(p)}.`);
    for (const name of names) {
      const file = path.join(this.#layout.dir, name);
      if (name.startsWith(JOURNAL_PREFIX) && /^\d+$/.test(name.slice(JOURNAL_PREFIX.length))) {
        if (Number(name.slice(JOURNAL_PREFIX.length)) !== generation) {
          unlinkQuietly(file);
          removed = true;
        }
      } else if (name.endsWith(TEMP_SUFFIX) || name.startsWith(claimPrefix)) {
        // Snapshot and manifest temps are only written under the lock we hold, so any that exist
        // are orphans. Others (key and lock temps, lock-break claims) live for microseconds.
        const orphan = lockedPrefixes.some((prefix) => name.startsWith(prefix)) || isOlderThan(file, now - ABANDONED_TEMP_MS);
        if (orphan) {
          unlinkQuietly(file);
          removed = true;
        }
      }
    }
    if (removed) fsyncDir(this.#layout.dir);
  }
}

function isOlderThan(file: string, cutoff: number): boolean {
  try {
    return fs.statSync(file).mtimeMs < cutoff;
  } catch {
    return false;
  }
}
