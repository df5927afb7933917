import * as fs from 'node:fs';
import { SecretStoreError } from '../../errors';
import { checkPrivate, damaged } from './integrity';
import { readTail } from './journal';
import { JournalReader } from './journal-reader';
import { parseManifestBytes, readManifestBytes } from './manifest';
import { errnoCode, JOURNAL_PREFIX, type StoreLayout } from './paths';
import { FORMAT_VERSION, parseJournalHeader, RecordFormatError, type Manifest } from './records';
import { SecretIndex } from './secret-index';
import { readSnapshot, type Snapshot } from './snapshot';

/** The state of the store as its files say, checked against the manifest. */
export interface StoreView {
  readonly generation: number;
  readonly index: SecretIndex;
  readonly journal: JournalReader;
  /** What the manifest records for the snapshot (null: none yet). */
  readonly snapshotRef: Manifest['snapshot'];
  /** Identity of the snapshot file as read (see `fileIdentity`), so a writer notices it was replaced or removed. */
  readonly snapshotIdentity: string;
  /** The manifest the view was checked against; undefined for a new or format-1 store. */
  manifest: Manifest | undefined;
  /** The manifest file's bytes; undefined when none is on disk yet or a crashed compaction was rolled forward. */
  manifestRaw: Buffer | undefined;
}

const MAX_ATTEMPTS = 20;

/**
 * Reads manifest, snapshot and journal without the lock. A view that does not add up is only
 * reported as damage when the manifest did not change while it was read; otherwise a writer or
 * compactor was at work and the read starts again.
 */
export function loadView(layout: StoreLayout): StoreView {
  checkPrivate(layout.dir, 'dir');
  checkPrivate(layout.keyPath, 'key');
  for (const file of [layout.manifestPath, layout.snapshotPath]) checkPrivate(file, 'data');
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const raw = readManifestBytes(layout.manifestPath);
    try {
      return raw === undefined ? loadWithoutManifest(layout) : loadWithManifest(layout, raw);
    } catch (error) {
      const now = readManifestBytes(layout.manifestPath);
      const changed = raw === undefined || now === undefined ? raw !== now : !raw.equals(now);
      if (changed) continue;
      throw error;
    }
  }
  throw new SecretStoreError('unavailable', `the local store at ${layout.dir} kept changing while it was being read`);
}

function loadWithManifest(layout: StoreLayout, raw: Buffer): StoreView {
  const written = parseManifestBytes(layout.manifestPath, raw);
  const snapshotIdentity = fileIdentity(layout.snapshotPath);
  const snapshot = snapshotOf(layout);
  let manifest = written;
  const matches =
    written.snapshot === null ? snapshot === undefined : snapshot !== undefined && snapshot.sha256 === written.snapshot.sha256;
  if (!matches) {
    const rolled = snapshot === undefined ? undefined : rollForward(layout, written, snapshot);
    if (rolled === undefined) {
      throw damaged(
        layout.snapshotPath,
        snapshot === undefined
          ? `is missing, but the manifest names generation ${written.generation} with a snapshot`
          : written.snapshot === null
            ? 'should not exist: the manifest names no snapshot'
            : 'does not match the manifest: it was damaged or replaced by another version',
      );
    }
    manifest = rolled;
  } else if (snapshot !== undefined && snapshot.generation !== written.generation) {
    throw damaged(layout.snapshotPath, `is generation ${snapshot.generation}, the manifest says ${written.generation}`);
  }
  const file = layout.journalPath(manifest.generation);
  checkPrivate(file, 'data');
  const tail = readTail(file, 0);
  if (tail === undefined) throw damaged(file, `is missing, but the manifest names it`);
  const index = new SecretIndex(snapshot?.secrets);
  const journal = new JournalReader(file, manifest.generation);
  journal.consume(tail, index);
  journal.verifyAcknowledged(manifest.journal.length, manifest.journal.last);
  return {
    generation: manifest.generation,
    index,
    journal,
    snapshotRef: manifest.snapshot,
    snapshotIdentity,
    manifest,
    manifestRaw: manifest === written ? raw : undefined,
  };
}

/**
 * A compactor writes the new journal, renames the new snapshot into place and only then the new
 * manifest. If it died in between (or is there right now), the snapshot names the manifest it was
 * folded from; when that is exactly the manifest on disk, the new generation is complete and is
 * used (the next writer records it). Anything else is damage.
 */
function rollForward(layout: StoreLayout, written: Manifest, snapshot: Snapshot): Manifest | undefined {
  const base = snapshot.base;
  if (snapshot.generation !== written.generation + 1 || base === undefined) return undefined;
  if (base.generation !== written.generation || base.length !== written.journal.length || base.last !== written.journal.last) {
    return undefined;
  }
  const tail = readTail(layout.journalPath(snapshot.generation), 0);
  const header = tail?.lines[0];
  if (header === undefined) return undefined;
  try {
    if (parseJournalHeader(header.value).generation !== snapshot.generation) return undefined;
  } catch (error) {
    if (error instanceof RecordFormatError) return undefined;
    throw error;
  }
  return {
    t: 'manifest',
    format: FORMAT_VERSION,
    generation: snapshot.generation,
    snapshot: { sha256: snapshot.sha256, bytes: snapshot.bytes },
    journal: { length: header.end, last: header.hash },
  };
}

/**
 * A store without a manifest: new (nothing written yet, or a crash before the first manifest) or
 * written by format 1. Its files are checked as far as they can be; the next write adopts it.
 */
function loadWithoutManifest(layout: StoreLayout): StoreView {
  const snapshotIdentity = fileIdentity(layout.snapshotPath);
  const snapshot = snapshotOf(layout);
  const generation = snapshot?.generation ?? 0;
  if (snapshot !== undefined && snapshot.format === FORMAT_VERSION) {
    throw damaged(layout.manifestPath, 'is missing, but the snapshot was written with one');
  }
  const file = layout.journalPath(generation);
  checkPrivate(file, 'data');
  const tail = readTail(file, 0);
  const index = new SecretIndex(snapshot?.secrets);
  const journal = new JournalReader(file, generation);
  if (tail !== undefined) journal.consume(tail, index);
  if (journal.chained) throw damaged(layout.manifestPath, `is missing, but ${file} was written with one`);
  if (tail === undefined) {
    const other = otherJournal(layout, generation);
    if (other !== undefined) {
      throw damaged(snapshot === undefined ? layout.snapshotPath : file, `is missing, but ${other} remains`);
    }
    if (snapshot === undefined && fs.existsSync(layout.keyPath)) {
      throw damaged(layout.dir, 'has a key but its data files (manifest, snapshot, journal) are missing');
    }
  }
  return {
    generation,
    index,
    journal,
    snapshotRef: snapshot === undefined ? null : { sha256: snapshot.sha256, bytes: snapshot.bytes },
    snapshotIdentity,
    manifest: undefined,
    manifestRaw: undefined,
  };
}

function snapshotOf(layout: StoreLayout): Snapshot | undefined {
  try {
    return readSnapshot(layout.snapshotPath);
  } catch (error) {
    if (error instanceof RecordFormatError) throw damaged(layout.snapshotPath, `is damaged (${error.message})`);
    throw error;
  }
}

function otherJournal(layout: StoreLayout, generation: number): string | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(layout.dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const other = names.find((n) => n.startsWith(JOURNAL_PREFIX) && /^\d+$/.test(n.slice(JOURNAL_PREFIX.length)) && n !== `${JOURNAL_PREFIX}${generation}`);
  return other === undefined ? undefined : layout.journalPath(Number(other.slice(JOURNAL_PREFIX.length)));
}

/**
 * Inode, size and modification time: changes when the file is replaced, removed or written to. A
 * cheap check, under the lock, that the snapshot a long-lived process loaded is still the one on
 * disk; when it is not, the writer reloads and so verifies the store again before writing.
 */
export function fileIdentity(file: string): string {
  try {
    const stat = fs.statSync(file, { bigint: true });
    return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}`;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 'missing';
    throw error;
  }
}
