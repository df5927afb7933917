/**
 * `coffer store verify|backup|recover`: a full check of the embedded store, a verified copy of
 * its committed state, and a restore from such a copy that keeps the damaged files aside.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SecretStoreError, StoreIntegrityError } from '../../errors';
import { loadKey, ValueCipher } from './cipher';
import { ensurePrivateDir, fsyncDir, storeDirLayout, storeLayout, uniqueTempPath, writeFileDurably } from './paths';
import { JournaledState } from './journaled-state';
import { valueContext } from './value-context';
import { loadView } from './store-view';

export interface StoreReport {
  /** The directory checked. */
  readonly dir: string;
  readonly ok: boolean;
  /** `manifest`: checked against its manifest; `format-1`: an older store, adopted at the next write; `empty`: nothing stored yet. */
  readonly kind: 'manifest' | 'format-1' | 'empty';
  readonly generation: number;
  readonly secrets: number;
  /** Each problem names its file; empty when ok. */
  readonly problems: string[];
}

const MAX_LISTED = 10;

/** Checks every file of the store in `dir` and that its key opens every value. Writes nothing. */
export function verifyStoreDir(dir: string): StoreReport {
  const layout = storeDirLayout(dir);
  if (!fs.existsSync(dir)) return { dir, ok: true, kind: 'empty', generation: 0, secrets: 0, problems: [] };
  let view: ReturnType<typeof loadView>;
  try {
    view = loadView(layout);
  } catch (error) {
    if (!(error instanceof SecretStoreError)) throw error;
    return { dir, ok: false, kind: 'manifest', generation: 0, secrets: 0, problems: [error.message] };
  }
  const secrets = view.index.all();
  const kind = view.manifest !== undefined ? 'manifest' : secrets.length === 0 && view.journal.size === undefined ? 'empty' : 'format-1';
  const problems: string[] = [];
  try {
    const key = loadKey(layout.keyPath);
    if (key === undefined && secrets.length > 0) problems.push(`the store key ${layout.keyPath} is missing: no value can be decrypted`);
    if (key !== undefined) {
      const cipher = new ValueCipher(key);
      const failing = secrets.filter((s) => cipher.open(s.value, valueContext(s.user, s.id, s.valueVersion)) === undefined);
      if (failing.length > 0) {
        const names = failing.slice(0, MAX_LISTED).map((s) => `"${s.name}" of user "${s.user}"`);
        problems.push(
          `${failing.length} of ${secrets.length} values do not decrypt with ${layout.keyPath} (wrong key or damaged records): ${names.join(', ')}${failing.length > MAX_LISTED ? ', …' : ''}`,
        );
      }
    }
  } catch (error) {
    if (!(error instanceof SecretStoreError)) throw error;
    problems.push(error.message);
  }
  return { dir, ok: problems.length === 0, kind, generation: view.generation, secrets: secrets.length, problems };
}

/** The store files a backup holds; the lock and temp files are not part of the data. */
function isStoreFile(name: string): boolean {
  return name === 'key' || name === 'manifest' || name === 'snapshot' || /^journal\.\d+$/.test(name);
}

/**
 * Copies the committed state (key, manifest, snapshot, journal up to its last complete record)
 * to `dest` under the store lock, then verifies the copy. Refuses a damaged store and a `dest`
 * that exists and is not empty.
 */
export async function backupStore(home: string, dest: string): Promise<StoreReport> {
  const layout = storeLayout(home);
  if (!fs.existsSync(layout.manifestPath) && !fs.existsSync(layout.keyPath)) {
    throw new SecretStoreError('not_found', `there is no store at ${layout.dir} to back up`);
  }
  const before = verifyStoreDir(layout.dir);
  if (!before.ok) throw new StoreIntegrityError(layout.dir, `refusing to back up a damaged store: ${before.problems.join('; ')}`);
  if (fs.existsSync(dest) && fs.readdirSync(dest).length > 0) {
    throw new SecretStoreError('conflict', `the backup directory ${dest} exists and is not empty`, { field: 'backup' });
  }
  await new JournaledState(layout, maintenanceOptions).withCommittedState((view) => {
    ensurePrivateDir(dest);
    copyInto(layout.keyPath, path.join(dest, 'key'));
    if (view.snapshotRef !== null) copyInto(layout.snapshotPath, path.join(dest, 'snapshot'), view.snapshotRef.bytes);
    copyInto(view.journal.file, path.join(dest, path.basename(view.journal.file)), view.journal.offset);
    if (view.manifestRaw === undefined) throw new Error('a caught-up store has its manifest on disk');
    writeAtomically(path.join(dest, 'manifest'), view.manifestRaw);
    fsyncDir(dest);
  });
  const report = verifyStoreDir(dest);
  if (!report.ok) throw new StoreIntegrityError(dest, `the backup in ${dest} does not verify: ${report.problems.join('; ')}`);
  return report;
}

export interface RecoverResult {
  readonly report: StoreReport;
  /** Where the files the store held before were moved (nothing is deleted); undefined when it held none. */
  readonly movedTo: string | undefined;
}

/**
 * Replaces the store with the verified backup in `from`. The store's current files are moved to
 * `<home>/store-damaged-<time>`, never deleted. An intact store is only replaced with `force`.
 */
export async function recoverStore(home: string, from: string, options: { force: boolean }): Promise<RecoverResult> {
  const layout = storeLayout(home);
  const backup = verifyStoreDir(from);
  if (!backup.ok || !fs.existsSync(from)) {
    throw new StoreIntegrityError(from, `the backup ${from} cannot be used: ${backup.problems.join('; ') || 'it does not exist'}`);
  }
  if (backup.secrets === 0 && backup.kind === 'empty') {
    throw new StoreIntegrityError(from, `the backup ${from} holds no store files (key, manifest, snapshot, journal.N)`);
  }
  const current = verifyStoreDir(layout.dir);
  if (current.ok && current.secrets > 0 && !options.force) {
    throw new SecretStoreError(
      'conflict',
      `the store at ${layout.dir} verifies as intact (${current.secrets} secrets); recovering would replace it with the backup. Use --force to do it anyway`,
    );
  }
  const movedTo = await new JournaledState(layout, maintenanceOptions).withLock(() => {
    const present = fs.readdirSync(layout.dir).filter(isStoreFile);
    let aside: string | undefined;
    if (present.length > 0) {
      aside = path.join(home, `store-damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      fs.mkdirSync(aside, { mode: 0o700 });
      for (const name of present) fs.renameSync(path.join(layout.dir, name), path.join(aside, name));
      fsyncDir(aside);
      fsyncDir(layout.dir);
    }
    // The manifest last: until it is there, the copied files are not a store yet.
    const names = fs.readdirSync(from).filter(isStoreFile).sort((a, b) => Number(a === 'manifest') - Number(b === 'manifest'));
    for (const name of names) copyInto(path.join(from, name), path.join(layout.dir, name));
    fsyncDir(layout.dir);
    return aside;
  });
  const report = verifyStoreDir(layout.dir);
  if (!report.ok) throw new StoreIntegrityError(layout.dir, `the recovered store does not verify: ${report.problems.join('; ')}`);
  return { report, movedTo };
}

/** Writes the first `length` bytes (default: all) of `source` to `target` via a temp file and rename. */
function copyInto(source: string, target: string, length?: number): void {
  if (!fs.existsSync(source)) return;
  const data = fs.readFileSync(source);
  writeAtomically(target, length === undefined ? data : data.subarray(0, length));
}

function writeAtomically(target: string, data: Buffer): void {
  const temp = uniqueTempPath(target);
  writeFileDurably(temp, data, 'wx');
  fs.renameSync(temp, target);
}

const maintenanceOptions = { lockTimeoutMs: 30_000, compactMinBytes: Number.MAX_SAFE_INTEGER, compactRatio: 1 };
