/**
 * Issue #8 defect 2: the embedded store never loses or rolls back acknowledged data silently.
 * Each case damages the files the way the issue describes and expects a StoreIntegrityError that
 * names the file and the recovery command, on reads and on writes, with nothing written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StoreIntegrityError, SecretStoreError } from '../../src/client/errors';
import { LocalSecretStore, type LocalSecretStoreOptions } from '../../src/client/backends/local';
import { SecretText } from '../../src/client/secret-text';
import { allFiles, copyLegacyStore, makeTempDir } from './fixtures/local-store-helpers';

const text = (value: string): SecretText => new SecretText(value);

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function newHome(): string {
  const dir = makeTempDir('integrity');
  dirs.push(dir);
  return path.join(dir, 'home');
}

function open(home: string, options: Partial<LocalSecretStoreOptions> = {}): LocalSecretStore {
  return new LocalSecretStore({ home, identity: 'alice', env: {}, ...options });
}

function fileState(dir: string): Record<string, string> {
  return Object.fromEntries(allFiles(dir).map((f) => [f, fs.readFileSync(f).toString('base64')]));
}

async function integrityError(promise: Promise<unknown>): Promise<StoreIntegrityError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StoreIntegrityError);
    return error as StoreIntegrityError;
  }
  throw new Error('expected a StoreIntegrityError, the call succeeded');
}

/** Reads and a write both fail naming `file`; the write changes nothing. */
async function expectDetected(home: string, file: string): Promise<void> {
  const storeDir = path.join(home, 'store');
  const before = fileState(storeDir);
  const fresh = open(home);
  const onList = await integrityError(fresh.list('me'));
  expect(onList.file).toBe(path.join(storeDir, file));
  expect(onList.message).toContain(path.join(storeDir, file));
  expect(onList.message).toContain('coffer store verify');
  expect(onList.message).toContain('coffer store recover --from-backup');
  expect(onList.retryable).toBe(false);
  await integrityError(fresh.get('me', 'keep'));
  await integrityError(open(home).create('me', { name: 'new', value: text('v'), envName: 'NEW' }));
  expect(fileState(storeDir)).toEqual(before);
}

/** A store after compaction: snapshot + journal.N with records after it; `keep` holds "kept-19". */
async function compactedStore(): Promise<{ home: string; journal: string }> {
  const home = newHome();
  const store = open(home, { compactMinBytes: 2048, compactRatio: 2 });
  await store.create('me', { name: 'keep', value: text('kept'), envName: 'KEEP' });
  for (let i = 0; i < 20; i++) await store.update('me', 'keep', { value: text(`kept-${i}`) });
  await open(home, { compactMinBytes: 1e9 }).create('me', { name: 'later', value: text('l'), envName: 'LATER' });
  const dir = path.join(home, 'store');
  const journals = fs.readdirSync(dir).filter((f) => /^journal\.[1-9]\d*$/.test(f));
  expect(journals).toHaveLength(1);
  expect(fs.existsSync(path.join(dir, 'snapshot'))).toBe(true);
  return { home, journal: journals[0] as string };
}

describe('after compaction', () => {
  it('reports a deleted snapshot instead of listing an empty store', async () => {
    const { home } = await compactedStore();
    fs.unlinkSync(path.join(home, 'store', 'snapshot'));
    await expectDetected(home, 'snapshot');
  });

  it('refuses a write from a process that read the store before its snapshot was removed', async () => {
    const { home } = await compactedStore();
    const longLived = open(home);
    expect(await longLived.list('me')).toHaveLength(2);
    fs.unlinkSync(path.join(home, 'store', 'snapshot'));
    const before = fileState(path.join(home, 'store'));
    await integrityError(longLived.create('me', { name: 'new', value: text('v'), envName: 'NEW' }));
    expect(fileState(path.join(home, 'store'))).toEqual(before);
  });

  it('reports an emptied or deleted journal instead of bringing an older value back', async () => {
    const { home, journal } = await compactedStore();
    const file = path.join(home, 'store', journal);
    const saved = fs.readFileSync(file);
    fs.writeFileSync(file, '');
    await expectDetected(home, journal);
    fs.unlinkSync(file);
    await expectDetected(home, journal);
    fs.writeFileSync(file, saved, { mode: 0o600 });
    expect((await open(home).readValue('me', 'keep')).reveal()).toBe('kept-19');
  });

  it('reports a snapshot replaced by an older one', async () => {
    const home = newHome();
    const store = open(home, { compactMinBytes: 1024, compactRatio: 1 });
    await store.create('me', { name: 'keep', value: text('v0'), envName: 'KEEP' });
    let older: Buffer | undefined;
    const snapshot = path.join(home, 'store', 'snapshot');
    for (let i = 0; i < 40; i++) {
      await store.update('me', 'keep', { value: text(`v${i + 1}`) });
      if (older === undefined && fs.existsSync(snapshot)) older = fs.readFileSync(snapshot);
    }
    expect(older).toBeDefined();
    expect(fs.readFileSync(snapshot).equals(older as Buffer)).toBe(false);
    fs.writeFileSync(snapshot, older as Buffer);
    await expectDetected(home, 'snapshot');
  });
});

describe('journal damage', () => {
  async function threeRecords(): Promise<{ home: string; journal: string }> {
    const home = newHome();
    const store = open(home);
    for (const name of ['keep', 'b', 'c']) await store.create('me', { name, value: text(`v-${name}`), envName: name.toUpperCase() });
    return { home, journal: path.join(home, 'store', 'journal.0') };
  }

  it('fails reads on a flipped byte in a middle line instead of listing the records before it', async () => {
    const { home, journal } = await threeRecords();
    const bytes = fs.readFileSync(journal);
    const second = bytes.indexOf(0x0a, bytes.indexOf(0x0a) + 1) + 1;
    bytes[second + 90] ^= 0x01;
    fs.writeFileSync(journal, bytes);
    await expectDetected(home, 'journal.0');
  });

  it('reports a truncated or damaged last acknowledged record', async () => {
    const { home, journal } = await threeRecords();
    const intact = fs.readFileSync(journal);
    fs.writeFileSync(journal, intact.subarray(0, intact.length - 10));
    await expectDetected(home, 'journal.0');
    const flipped = Buffer.from(intact);
    flipped[flipped.length - 20] ^= 0x01;
    fs.writeFileSync(journal, flipped);
    await expectDetected(home, 'journal.0');
    // Only the newline missing: looks like a torn write, but it was acknowledged.
    fs.writeFileSync(journal, intact.subarray(0, intact.length - 1));
    await expectDetected(home, 'journal.0');
    fs.writeFileSync(journal, intact);
    expect((await open(home).list('me')).map((s) => s.name)).toEqual(['b', 'c', 'keep']);
  });

  it('reports a removed middle record even when every remaining line is intact', async () => {
    const { home, journal } = await threeRecords();
    const lines = fs.readFileSync(journal, 'latin1').split('\n');
    // Drop record 2 and put a copy of the last record at the end again to keep the length.
    fs.writeFileSync(journal, [lines[0], lines[1], lines[3], lines[3], ''].join('\n'), 'latin1');
    await expectDetected(home, 'journal.0');
  });

  it('reports a deleted or damaged manifest', async () => {
    const { home } = await threeRecords();
    const manifest = path.join(home, 'store', 'manifest');
    const saved = fs.readFileSync(manifest);
    fs.unlinkSync(manifest);
    await expectDetected(home, 'manifest');
    const flipped = Buffer.from(saved);
    flipped[80] ^= 0x01;
    fs.writeFileSync(manifest, flipped, { mode: 0o600 });
    await expectDetected(home, 'manifest');
  });

  it('reports a store whose data files are gone but whose key remains', async () => {
    const { home } = await threeRecords();
    for (const name of ['manifest', 'journal.0']) fs.unlinkSync(path.join(home, 'store', name));
    const error = await integrityError(open(home).list('me'));
    expect(error.file).toBe(path.join(home, 'store'));
  });

  it('still recovers a torn tail that was never acknowledged, silently', async () => {
    const { home, journal } = await threeRecords();
    fs.appendFileSync(journal, Buffer.from('0123456789abcdef {"t":"tx","ops":[{"op":"put"'));
    const store = open(home);
    expect((await store.list('me')).map((s) => s.name)).toEqual(['b', 'c', 'keep']);
    await store.create('me', { name: 'd', value: text('v-d'), envName: 'D' });
    expect((await open(home).readValue('me', 'd')).reveal()).toBe('v-d');
  });
});

describe('format-1 stores (written before the manifest)', () => {
  const legacyHome = (): string => copyLegacyStore(newHome());

  it('opens, reads every value, and is adopted by the next write', async () => {
    const home = legacyHome();
    const dir = path.join(home, 'store');
    const store = open(home, { identity: 'legacy' });
    expect((await store.list('me')).map((s) => s.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect((await store.readValue('me', 'alpha')).reveal()).toBe('alpha-v12');
    expect((await store.readValue('me', 'beta')).reveal()).toBe('beta-again');
    expect(fs.existsSync(path.join(dir, 'manifest'))).toBe(false);
    await store.create('me', { name: 'delta', value: text('delta-new'), envName: 'DELTA' });
    expect(fs.existsSync(path.join(dir, 'manifest'))).toBe(true);
    const fresh = open(home, { identity: 'legacy' });
    expect((await fresh.readValue('me', 'gamma')).reveal()).toBe('gamma-after-compaction');
    expect((await fresh.readValue('me', 'delta')).reveal()).toBe('delta-new');
    // Once adopted, the same damage as in a new store is detected.
    fs.unlinkSync(path.join(dir, 'snapshot'));
    const error = await integrityError(open(home, { identity: 'legacy' }).list('me'));
    expect(error.file).toBe(path.join(dir, 'snapshot'));
  });

  it('compacts an adopted store into format 2 and keeps every value', async () => {
    const home = legacyHome();
    const store = open(home, { identity: 'legacy', compactMinBytes: 1024, compactRatio: 1 });
    for (let i = 0; i < 10; i++) await store.update('me', 'alpha', { value: text(`alpha-${i}`) });
    const fresh = open(home, { identity: 'legacy' });
    expect((await fresh.readValue('me', 'alpha')).reveal()).toBe('alpha-9');
    expect((await fresh.readValue('me', 'beta')).reveal()).toBe('beta-again');
    expect(fs.readFileSync(path.join(home, 'store', 'snapshot'), 'utf8')).toContain('"format":2');
  });
});

describe('permissions', () => {
  it.each([
    ['key', 'readable', 0o644],
    ['key', 'writable', 0o620],
    ['journal.0', 'writable', 0o666],
    ['manifest', 'writable', 0o602],
  ])('refuses %s when it is %s by others, and says how to fix it', async (name, what, mode) => {
    const home = newHome();
    const store = open(home);
    await store.create('me', { name: 'keep', value: text('v'), envName: 'KEEP' });
    const file = path.join(home, 'store', name);
    fs.chmodSync(file, mode);
    const error = await integrityError(open(home).create('me', { name: 'x', value: text('v'), envName: 'X' }));
    expect(error.message).toContain(file);
    expect(error.message).toContain(what);
    expect(error.message).toContain(`chmod 600 ${file}`);
    await integrityError(open(home).list('me'));
    await integrityError(open(home).readValue('me', 'keep'));
  });

  it('refuses a store directory others can write to', async () => {
    const home = newHome();
    await open(home).create('me', { name: 'keep', value: text('v'), envName: 'KEEP' });
    const dir = path.join(home, 'store');
    fs.chmodSync(dir, 0o777);
    const error = await integrityError(open(home).list('me'));
    expect(error.message).toContain(`chmod 700 ${dir}`);
  });
});

describe('key', () => {
  it('refuses to write under a key that does not open the existing records', async () => {
    const home = newHome();
    await open(home).create('me', { name: 'keep', value: text('original'), envName: 'KEEP' });
    const keyPath = path.join(home, 'store', 'key');
    const original = fs.readFileSync(keyPath);
    fs.writeFileSync(keyPath, Buffer.alloc(32, 9));
    const before = fileState(path.join(home, 'store'));
    const error = await integrityError(open(home).create('me', { name: 'x', value: text('v'), envName: 'X' }));
    expect(error.file).toBe(keyPath);
    expect(error.message).toContain('does not open the existing records');
    expect(fileState(path.join(home, 'store'))).toEqual(before);
    const update = await open(home).update('me', 'keep', { value: text('new') }).catch((e: unknown) => e);
    expect(update).toBeInstanceOf(StoreIntegrityError);
    fs.writeFileSync(keyPath, original);
    expect((await open(home).readValue('me', 'keep')).reveal()).toBe('original');
    expect(update).toBeInstanceOf(SecretStoreError);
  });
});

describe('in the provider', () => {
  it('becomes a diagnostic naming the file and the recovery command, not "temporarily unavailable"', async () => {
    const { reportStoreError } = await import('../../src/provider/resources/store-errors');
    const { Diagnostics } = await import('../../src/provider/framework');
    const home = newHome();
    await open(home).create('me', { name: 'keep', value: text('v'), envName: 'KEEP' });
    fs.truncateSync(path.join(home, 'store', 'journal.0'), 10);
    const error = await integrityError(open(home).list('me'));
    const diagnostics = new Diagnostics();
    reportStoreError(diagnostics, 'Cannot read secrets', error);
    const [diagnostic] = diagnostics.all;
    expect(diagnostic?.severity).toBe('error');
    expect(diagnostic?.detail).toContain(path.join(home, 'store', 'journal.0'));
    expect(diagnostic?.detail).toContain('coffer store recover --from-backup');
    expect(diagnostic?.detail).not.toMatch(/temporarily/);
  });
});
