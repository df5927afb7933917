import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  SecretConflictError,
  SecretNotFoundError,
  SecretStoreError,
  SecretValidationError,
} from '../../src/client/errors';
import { LocalSecretStore, resolveCofferHome, type LocalSecretStoreOptions } from '../../src/client/backends/local';
import { decodeLine, encodeLine, scanLines } from '../../src/client/backends/local/journal';
import { SecretText } from '../../src/client/secret-text';
import { allFiles, makeTempDir } from './fixtures/local-store-helpers';
import { rejection } from '../support/assertions';

const text = (value: string): SecretText => new SecretText(value);

let dirs: string[] = [];
let stores: LocalSecretStore[] = [];

function newHome(): string {
  const dir = makeTempDir('local');
  dirs.push(dir);
  return path.join(dir, 'home');
}

function open(home: string, options: Partial<LocalSecretStoreOptions> = {}): LocalSecretStore {
  const store = new LocalSecretStore({ home, identity: 'alice', env: {}, ...options });
  stores.push(store);
  return store;
}

function journalFiles(store: LocalSecretStore): string[] {
  return fs
    .readdirSync(store.storeDir)
    .filter((f) => /^journal\.\d+$/.test(f))
    .map((f) => path.join(store.storeDir, f));
}

/** The single journal of a store that has not been compacted. */
function journalOf(store: LocalSecretStore): string {
  const files = journalFiles(store);
  expect(files).toHaveLength(1);
  return files[0] as string;
}

/** A snapshot of every file's bytes, to prove a failed call wrote nothing. */
function fileState(dir: string): Record<string, string> {
  if (!fs.existsSync(dir)) return {};
  return Object.fromEntries(allFiles(dir).map((f) => [f, fs.readFileSync(f).toString('base64')]));
}

afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

describe('resolveCofferHome', () => {
  it('prefers COFFER_HOME, then XDG_DATA_HOME, then ~/.local/share', () => {
    expect(resolveCofferHome({ COFFER_HOME: '/x/y', XDG_DATA_HOME: '/d', HOME: '/h' })).toBe('/x/y');
    expect(resolveCofferHome({ COFFER_HOME: '', XDG_DATA_HOME: '/d', HOME: '/h' })).toBe('/d/coffer');
    expect(resolveCofferHome({ XDG_DATA_HOME: '', HOME: '/h' })).toBe('/h/.local/share/coffer');
    expect(resolveCofferHome({ XDG_DATA_HOME: 'relative', HOME: '/h' })).toBe('/h/.local/share/coffer');
  });

  it('is what the store uses when no home is given', async () => {
    const home = newHome();
    const store = new LocalSecretStore({ env: { COFFER_HOME: home, COFFER_USER: 'bob' } });
    stores.push(store);
    expect(store.home).toBe(home);
    expect(store.identity).toBe('bob');
    const created = await store.create('me', { name: 'a', value: text('v'), envName: 'A' });
    expect(created.user).toBe('bob');
    expect(fs.existsSync(path.join(home, 'store'))).toBe(true);
  });
});

describe('LocalSecretStore CRUD', () => {
  it('creates, gets, lists, updates, reads and deletes', async () => {
    const store = open(newHome());
    const before = Date.now();
    const created = await store.create('me', {
      name: 'db',
      value: text('s3cret'),
      envName: 'DB_PASSWORD',
      description: 'db pw',
    });
    expect(created).toMatchObject({
      user: 'alice',
      name: 'db',
      description: 'db pw',
      envName: 'DB_PASSWORD',
      filePath: '',
      enabled: true,
      valueVersion: 1,
    });
    expect(created.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created.createdAt).toBe(created.updatedAt);
    expect(created.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(created.createdAt)).toBeGreaterThanOrEqual(before - 1);

    expect(await store.get('me', 'db')).toEqual(created);
    expect(await store.get('alice', 'db')).toEqual(created);
    expect(await store.list('me')).toEqual([created]);
    expect((await store.readValue('me', 'db')).reveal()).toBe('s3cret');

    await store.delete('me', 'db');
    await rejection(store.get('me', 'db'), SecretNotFoundError);
    await rejection(store.readValue('me', 'db'), SecretNotFoundError);
    await rejection(store.delete('me', 'db'), SecretNotFoundError);
    expect(await store.list('me')).toEqual([]);
  });

  it('keeps users apart and resolves me to the identity', async () => {
    const store = open(newHome());
    await store.create('me', { name: 'k', value: text('alice-value'), envName: 'K' });
    await store.create('bob', { name: 'k', value: text('bob-value'), envName: 'K' });
    expect((await store.readValue('alice', 'k')).reveal()).toBe('alice-value');
    expect((await store.readValue('bob', 'k')).reveal()).toBe('bob-value');
    expect((await store.list('bob')).map((s) => s.user)).toEqual(['bob']);
    expect((await store.list('me')).map((s) => s.user)).toEqual(['alice']);
    await rejection(store.get('carol', 'k'), SecretNotFoundError);
  });

  it('lists sorted by code point', async () => {
    const store = open(newHome());
    // UTF-16 order would put U+1F600 (surrogates D83D…) before U+FF21; code point order does not.
    const names = ['b', 'B', 'a', '\u{1F600}', '\uFF21', 'a b', 'é'];
    for (const name of names) await store.create('me', { name, value: text('v'), enabled: false });
    expect((await store.list('me')).map((s) => s.name)).toEqual(['B', 'a', 'a b', 'b', 'é', '\uFF21', '\u{1F600}']);
  });

  it('round-trips multi-byte UTF-8 and a 24 KiB value', async () => {
    const home = newHome();
    const store = open(home);
    const unicode = 'pässwörd – 密码 – 🔑🗝️ – \u{10FFFF}';
    const big = '€'.repeat((24 * 1024) / 3); // exactly 24 KiB of UTF-8
    expect(Buffer.byteLength(big)).toBe(24 * 1024);
    await store.create('me', { name: 'u', value: text(unicode), envName: 'U' });
    await store.create('me', { name: 'big', value: text(big), filePath: '~/.big' });
    const fresh = open(home);
    expect((await fresh.readValue('me', 'u')).reveal()).toBe(unicode);
    expect((await fresh.readValue('me', 'big')).reveal()).toBe(big);
  });

  it('updates partially, clears with "", and bumps valueVersion only on value change', async () => {
    const store = open(newHome());
    const created = await store.create('me', {
      name: 'tok',
      value: text('one'),
      description: 'd',
      envName: 'TOK',
      filePath: '~/.tok',
    });
    await new Promise((r) => setTimeout(r, 5));

    const described = await store.update('me', 'tok', { description: 'new' });
    expect(described).toMatchObject({
      description: 'new',
      envName: 'TOK',
      filePath: '~/.tok',
      enabled: true,
      valueVersion: 1,
    });
    expect(described.id).toBe(created.id);
    expect(described.createdAt).toBe(created.createdAt);
    expect(described.updatedAt > created.updatedAt).toBe(true);
    expect((await store.readValue('me', 'tok')).reveal()).toBe('one');

    const cleared = await store.update('me', 'tok', { envName: '', description: '' });
    expect(cleared).toMatchObject({ description: '', envName: '', filePath: '~/.tok', valueVersion: 1 });

    const revalued = await store.update('me', 'tok', { value: text('two') });
    expect(revalued.valueVersion).toBe(2);
    expect((await store.readValue('me', 'tok')).reveal()).toBe('two');

    // Same value again: not a change.
    const same = await store.update('me', 'tok', { value: text('two') });
    expect(same.valueVersion).toBe(2);
    expect(same.updatedAt).toBe(revalued.updatedAt);

    const both = await store.update('me', 'tok', { value: text('three'), enabled: false, filePath: '' });
    expect(both).toMatchObject({ valueVersion: 3, enabled: false, filePath: '', envName: '' });
    expect(await store.get('me', 'tok')).toEqual(both);
    expect((await store.readValue('me', 'tok')).reveal()).toBe('three');
  });

  it('rejects an empty patch, unknown secrets and enabled secrets without a target', async () => {
    const home = newHome();
    const store = open(home);
    await store.create('me', { name: 'x', value: text('v'), envName: 'X' });
    const before = fileState(store.storeDir);
    const empty = await rejection(store.update('me', 'x', {}), SecretValidationError);
    expect(empty.field).toBe('patch');
    const undef = await rejection(store.update('me', 'x', { description: undefined }), SecretValidationError);
    expect(undef.field).toBe('patch');
    await rejection(store.update('me', 'nope', { description: 'd' }), SecretNotFoundError);
    const untargeted = await rejection(store.update('me', 'x', { envName: '' }), SecretValidationError);
    expect(untargeted.field).toBe('env_name');
    const badEnv = await rejection(store.update('me', 'x', { envName: 'PATH' }), SecretValidationError);
    expect(badEnv.field).toBe('env_name');
    const badValue = await rejection(store.update('me', 'x', { value: text('') }), SecretValidationError);
    expect(badValue.field).toBe('value');
    expect(fileState(store.storeDir)).toEqual(before);
  });
});

describe('validation and conflicts', () => {
  it.each([
    ['name', { name: ' padded', value: text('v'), envName: 'A' }],
    ['name', { name: 'a/b', value: text('v'), envName: 'A' }],
    ['value', { name: 'n', value: text(''), envName: 'A' }],
    ['value', { name: 'n', value: text('x'.repeat(24 * 1024 + 1)), envName: 'A' }],
    ['env_name', { name: 'n', value: text('v'), envName: '1BAD' }],
    ['env_name', { name: 'n', value: text('v'), envName: 'CODER_X' }],
    ['file_path', { name: 'n', value: text('v'), filePath: 'relative/path' }],
    ['env_name', { name: 'n', value: text('v') }], // enabled without a target
  ])('rejects a bad %s and writes nothing', async (field, input) => {
    const home = newHome();
    const store = open(home);
    await store.create('me', { name: 'existing', value: text('v'), envName: 'EXISTING' });
    const before = fileState(store.storeDir);
    const error = await rejection(store.create('me', input), SecretValidationError);
    expect(error.field).toBe(field);
    expect(error.code).toBe('validation');
    expect(fileState(store.storeDir)).toEqual(before);
    expect((await store.list('me')).map((s) => s.name)).toEqual(['existing']);
  });

  it('rejects a bad user', async () => {
    const store = open(newHome());
    const error = await rejection(store.list('a/b'), SecretValidationError);
    expect(error.field).toBe('user');
  });

  it('enforces unique name, env_name and file_path per user', async () => {
    const store = open(newHome());
    await store.create('me', { name: 'one', value: text('v'), envName: 'ONE', filePath: '~/.one' });
    const before = fileState(store.storeDir);

    const name = await rejection(
      store.create('me', { name: 'one', value: text('v'), envName: 'OTHER' }),
      SecretConflictError,
    );
    expect(name.field).toBe('name');
    expect(name.message).toContain('"one"');

    const env = await rejection(
      store.create('me', { name: 'two', value: text('v'), envName: 'ONE' }),
      SecretConflictError,
    );
    expect(env.field).toBe('env_name');
    expect(env.message).toContain('"one"');
    expect(env.message).toContain('env_name');

    const file = await rejection(
      store.create('me', { name: 'two', value: text('v'), filePath: '~/.one' }),
      SecretConflictError,
    );
    expect(file.field).toBe('file_path');
    expect(file.message).toContain('"one"');
    expect(fileState(store.storeDir)).toEqual(before);

    // Another user may reuse all of them, and an update may keep its own.
    await store.create('bob', { name: 'one', value: text('v'), envName: 'ONE', filePath: '~/.one' });
    await store.update('me', 'one', { envName: 'ONE', filePath: '~/.one', description: 'kept' });

    await store.create('me', { name: 'two', value: text('v'), envName: 'TWO' });
    const updateEnv = await rejection(store.update('me', 'two', { envName: 'ONE' }), SecretConflictError);
    expect(updateEnv.field).toBe('env_name');
    const updateFile = await rejection(store.update('me', 'two', { filePath: '~/.one' }), SecretConflictError);
    expect(updateFile.field).toBe('file_path');

    // A cleared env_name is free again.
    await store.update('me', 'one', { envName: '' });
    await store.update('me', 'two', { envName: 'ONE' });
    expect((await store.get('me', 'two')).envName).toBe('ONE');
  });

  it('frees a deleted secret’s name and targets', async () => {
    const store = open(newHome());
    await store.create('me', { name: 'a', value: text('v'), envName: 'A', filePath: '/a' });
    await store.delete('me', 'a');
    await store.create('me', { name: 'b', value: text('v'), envName: 'A', filePath: '/a' });
    await store.create('me', { name: 'a', value: text('w'), envName: 'AA' });
    expect((await store.readValue('me', 'a')).reveal()).toBe('w');
  });
});

describe('importBatch', () => {
  it('creates all in one journal record', async () => {
    const home = newHome();
    const store = open(home);
    await store.create('me', { name: 'pre', value: text('v'), envName: 'PRE' });
    const journal = journalOf(store);
    const linesBefore = fs.readFileSync(journal, 'utf8').split('\n').length;
    const created = await store.importBatch('me', [
      { name: 'i1', value: text('one'), envName: 'I1' },
      { name: 'i2', value: text('two'), filePath: '~/.i2' },
      { name: 'i3', value: text('three'), enabled: false },
    ]);
    expect(created.map((s) => [s.name, s.user, s.valueVersion])).toEqual([
      ['i1', 'alice', 1],
      ['i2', 'alice', 1],
      ['i3', 'alice', 1],
    ]);
    expect(fs.readFileSync(journal, 'utf8').split('\n').length).toBe(linesBefore + 1);
    const fresh = open(home);
    expect((await fresh.list('me')).map((s) => s.name)).toEqual(['i1', 'i2', 'i3', 'pre']);
    expect((await fresh.readValue('me', 'i3')).reveal()).toBe('three');
    expect(await store.importBatch('me', [])).toEqual([]);
  });

  it.each([
    ['name', 'an existing name', [{ name: 'pre', envName: 'N1' }]],
    ['env_name', 'an existing env_name', [{ name: 'n1', envName: 'PRE' }]],
    ['file_path', 'an existing file_path', [{ name: 'n1', filePath: '~/.pre' }]],
    [
      'name',
      'a duplicate name in the batch',
      [
        { name: 'n1', envName: 'N1' },
        { name: 'n1', envName: 'N2' },
      ],
    ],
    [
      'env_name',
      'a duplicate env_name in the batch',
      [
        { name: 'n1', envName: 'N1' },
        { name: 'n2', envName: 'N1' },
      ],
    ],
    [
      'file_path',
      'a duplicate file_path in the batch',
      [
        { name: 'n1', filePath: '/f' },
        { name: 'n2', filePath: '/f' },
      ],
    ],
  ])('writes nothing when %s conflicts (%s)', async (field, _label, conflicting) => {
    const store = open(newHome());
    await store.create('me', { name: 'pre', value: text('v'), envName: 'PRE', filePath: '~/.pre' });
    const before = fileState(store.storeDir);
    const batch = [{ name: 'fine', envName: 'FINE' }, ...conflicting].map((s) => ({ ...s, value: text('v') }));
    const error = await rejection(store.importBatch('me', batch), SecretConflictError);
    expect(error.field).toBe(field);
    expect(fileState(store.storeDir)).toEqual(before);
    expect((await store.list('me')).map((s) => s.name)).toEqual(['pre']);
  });

  it('writes nothing when one item is invalid', async () => {
    const store = open(newHome());
    const error = await rejection(
      store.importBatch('me', [
        { name: 'ok', value: text('v'), envName: 'OK' },
        { name: 'bad', value: text('v'), envName: 'LD_PRELOAD' },
      ]),
      SecretValidationError,
    );
    expect(error.field).toBe('env_name');
    expect(error.message).toContain('item 2');
    expect(fs.existsSync(store.storeDir)).toBe(false);
  });
});

describe('encryption at rest', () => {
  const CANARY = 'CANARY-7f3a9c-secret-Ünïcødé-🔐';

  function expectNoCanary(dir: string): void {
    const needles = [Buffer.from(CANARY, 'utf8'), Buffer.from(CANARY, 'utf16le'), Buffer.from('CANARY-7f3a9c', 'utf8')];
    const files = allFiles(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      for (const needle of needles) expect({ file, found: bytes.includes(needle) }).toEqual({ file, found: false });
    }
  }

  it('never writes a value in clear, through creates, updates, imports and compaction', async () => {
    const home = newHome();
    const store = open(home, { compactMinBytes: 0, compactRatio: 2 });
    await store.create('me', { name: 'c1', value: text(CANARY), envName: 'C1' });
    await store.importBatch('me', [{ name: 'c2', value: text(`${CANARY}-2`), envName: 'C2' }]);
    for (let i = 0; i < 20; i++) await store.update('me', 'c1', { value: text(`${CANARY}-${i}`) });
    expect(fs.existsSync(path.join(store.storeDir, 'snapshot'))).toBe(true);
    expectNoCanary(home);
    // Sanity check of the check itself: the canary is really what is stored.
    expect((await open(home).readValue('me', 'c2')).reveal()).toBe(`${CANARY}-2`);
  });

  it('keeps the key 0600 and the directories 0700', async () => {
    const home = newHome();
    const store = open(home, { compactMinBytes: 0, compactRatio: 1 });
    await store.create('me', { name: 'a', value: text('v'), envName: 'A' });
    await store.update('me', 'a', { value: text('w') });
    const mode = (p: string): number => fs.statSync(p).mode & 0o777;
    expect(mode(home)).toBe(0o700);
    expect(mode(store.storeDir)).toBe(0o700);
    expect(mode(path.join(store.storeDir, 'key'))).toBe(0o600);
    expect(fs.statSync(path.join(store.storeDir, 'key')).size).toBe(32);
    for (const file of allFiles(store.storeDir)) expect({ file, mode: mode(file) }).toEqual({ file, mode: 0o600 });
  });

  it('binds a ciphertext to its record: a value copied onto another secret does not decrypt', async () => {
    const home = newHome();
    const store = open(home);
    await store.create('me', { name: 'a', value: text(CANARY), envName: 'A' });
    await store.create('me', { name: 'b', value: text('b-value'), envName: 'B' });
    const journal = journalOf(store);
    const records = fs
      .readFileSync(journal)
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map(
        (l) =>
          decodeLine(Buffer.from(l, 'utf8')) as { t: string; ops?: { secret: { name: string; value: unknown } }[] },
      );
    const sealedOfA = records.find((r) => r.ops?.[0]?.secret.name === 'a')?.ops?.[0]?.secret.value;
    const putB = records.find((r) => r.ops?.[0]?.secret.name === 'b')?.ops?.[0];
    expect(sealedOfA).toBeDefined();
    expect(putB).toBeDefined();
    // Chained to the last record like a real one, so only the value binding can catch it.
    const lastLine = fs.readFileSync(journal).toString('latin1').trimEnd().split('\n').pop() ?? '';
    const forged = { t: 'tx', ops: [{ ...putB, secret: { ...putB?.secret, value: sealedOfA } }], prev: lastLine.slice(0, 64) };
    fs.appendFileSync(journal, encodeLine(forged));

    const fresh = open(home);
    const error = await rejection(fresh.readValue('me', 'b'), SecretStoreError);
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain('"b"');
    expect(error.message).not.toContain(CANARY);
    expect((await fresh.readValue('me', 'a')).reveal()).toBe(CANARY);
  });

  it('reports a wrong key without the value and refuses to replace a missing key', async () => {
    const home = newHome();
    const store = open(home);
    await store.create('me', { name: 'a', value: text(CANARY), envName: 'A' });
    const keyPath = path.join(store.storeDir, 'key');
    fs.writeFileSync(keyPath, Buffer.alloc(32, 7));
    const wrongKey = await rejection(open(home).readValue('me', 'a'), SecretStoreError);
    expect(wrongKey.code).toBe('unavailable');
    expect(`${wrongKey.message} ${wrongKey.stack ?? ''} ${JSON.stringify(wrongKey)}`).not.toContain('CANARY');

    fs.unlinkSync(keyPath);
    const missing = await rejection(
      open(home).create('me', { name: 'b', value: text('v'), envName: 'B' }),
      SecretStoreError,
    );
    expect(missing.code).toBe('unavailable');
    expect(missing.message).toContain('key');
    expect(fs.existsSync(keyPath)).toBe(false);
  });

  it('never quotes a value in validation errors', async () => {
    const store = open(newHome());
    const error = await rejection(
      store.create('me', { name: 'big', value: text(CANARY.repeat(2000)), envName: 'BIG' }),
      SecretValidationError,
    );
    expect(error.field).toBe('value');
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain('CANARY');
  });
});

describe('sharing one directory', () => {
  it('lets two instances see each other’s writes', async () => {
    const home = newHome();
    const a = open(home);
    const b = open(home);
    expect(await b.list('me')).toEqual([]);
    await a.create('me', { name: 'x', value: text('from a'), envName: 'X' });
    expect((await b.readValue('me', 'x')).reveal()).toBe('from a');
    await b.update('me', 'x', { value: text('from b') });
    expect((await a.readValue('me', 'x')).reveal()).toBe('from b');
    expect((await a.get('me', 'x')).valueVersion).toBe(2);
    // b's cached view must not let it create a duplicate a just made.
    await a.create('me', { name: 'y', value: text('v'), envName: 'Y' });
    const conflict = await rejection(
      b.create('me', { name: 'z', value: text('v'), envName: 'Y' }),
      SecretConflictError,
    );
    expect(conflict.field).toBe('env_name');
    await b.delete('me', 'y');
    await rejection(a.get('me', 'y'), SecretNotFoundError);
  });

  it('serialises concurrent calls on one instance', async () => {
    const home = newHome();
    const store = open(home);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        store.create('me', { name: `n${i % 10}`, value: text(`${i}`), envName: `E${i}` }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof SecretConflictError)).toHaveLength(40);
    expect(await open(home).list('me')).toHaveLength(10);
  });
});

describe('journal', () => {
  it('appends one line per write instead of rewriting the store', async () => {
    const home = newHome();
    const store = open(home);
    let previous = 0;
    for (let i = 0; i < 1000; i++) {
      await store.create('me', { name: `s${i}`, value: text(`value-${i}`), envName: `S_${i}` });
      const size = fs.statSync(journalOf(store)).size;
      // Each write adds one record of a few hundred bytes, whatever the store's size.
      expect(size - previous).toBeLessThan(1000);
      previous = size;
    }
    const fresh = open(home);
    expect(await fresh.list('me')).toHaveLength(1000);
    expect((await fresh.readValue('me', 's999')).reveal()).toBe('value-999');
  });

  it('ignores a torn last line and cuts it off on the next write', async () => {
    const home = newHome();
    const store = open(home);
    for (const name of ['a', 'b', 'c'])
      await store.create('me', { name, value: text(`v-${name}`), envName: name.toUpperCase() });
    const journal = journalOf(store);
    const intact = fs.readFileSync(journal);
    // Half of a real record, as left by a writer killed mid-write; longer than the next record,
    // so overwriting it in place would not be enough.
    const other = open(newHome());
    await other.create('me', { name: 'torn', value: text('t'.repeat(20_000)), envName: 'TORN' });
    const otherLines = fs.readFileSync(journalOf(other));
    const record = otherLines.subarray(otherLines.indexOf(0x0a) + 1);
    fs.appendFileSync(journal, record.subarray(0, Math.floor(record.length / 2)));

    const reader = open(home);
    expect((await reader.list('me')).map((s) => s.name)).toEqual(['a', 'b', 'c']);

    await reader.create('me', { name: 'd', value: text('v-d'), envName: 'D' });
    const after = fs.readFileSync(journal);
    expect(after.subarray(0, intact.length).equals(intact)).toBe(true);
    const scan = scanLines(after, 0);
    expect(scan.validEnd).toBe(after.length);
    expect(scan.lines).toHaveLength(5); // header + 4 records
    const fresh = open(home);
    expect((await fresh.list('me')).map((s) => s.name)).toEqual(['a', 'b', 'c', 'd']);
    expect((await fresh.readValue('me', 'd')).reveal()).toBe('v-d');
    expect((await store.readValue('me', 'c')).reveal()).toBe('v-c');
  });

  it('treats a complete but damaged last line as torn', async () => {
    const home = newHome();
    const store = open(home);
    await store.create('me', { name: 'a', value: text('v'), envName: 'A' });
    const journal = journalOf(store);
    const line = encodeLine({ t: 'tx', ops: [] });
    line[70] ^= 0x01; // flip a bit in the JSON: checksum mismatch
    fs.appendFileSync(journal, Buffer.concat([line, Buffer.from('\0\0\0\n')]));
    const fresh = open(home);
    expect(await fresh.list('me')).toHaveLength(1);
    await fresh.create('me', { name: 'b', value: text('v'), envName: 'B' });
    expect(scanLines(fs.readFileSync(journal), 0).validEnd).toBe(fs.statSync(journal).size);
    expect(await open(home).list('me')).toHaveLength(2);
  });

  it('refuses to write over damage in the middle of the journal', async () => {
    const home = newHome();
    const store = open(home);
    for (const name of ['a', 'b', 'c'])
      await store.create('me', { name, value: text('v'), envName: name.toUpperCase() });
    const journal = journalOf(store);
    const bytes = fs.readFileSync(journal);
    const secondRecord = bytes.indexOf(0x0a, bytes.indexOf(0x0a) + 1) + 1;
    bytes[secondRecord + 80] ^= 0x01;
    fs.writeFileSync(journal, bytes);
    const fresh = open(home);
    const error = await rejection(fresh.create('me', { name: 'd', value: text('v'), envName: 'D' }), SecretStoreError);
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(/damaged/);
    expect(fs.readFileSync(journal).equals(bytes)).toBe(true);
  });
});

describe('compaction', () => {
  it('folds the journal into a snapshot and readers follow the switch', async () => {
    const home = newHome();
    const writer = open(home, { compactMinBytes: 4096, compactRatio: 4 });
    const reader = open(home);
    await writer.create('me', { name: 'keep', value: text('kept'), envName: 'KEEP' });
    expect(await reader.list('me')).toHaveLength(1); // reader now caches generation 0
    for (let i = 0; i < 60; i++) await writer.update('me', 'keep', { value: text(`kept-${i}`) });

    const files = fs.readdirSync(writer.storeDir).sort();
    expect(files).toContain('snapshot');
    const journals = files.filter((f) => f.startsWith('journal.'));
    expect(journals).toHaveLength(1);
    expect(journals[0]).not.toBe('journal.0');
    expect(fs.statSync(path.join(writer.storeDir, journals[0] as string)).size).toBeLessThan(4096 * 2);

    await writer.create('me', { name: 'after', value: text('new'), envName: 'AFTER' });
    expect((await reader.list('me')).map((s) => s.name)).toEqual(['after', 'keep']);
    expect((await reader.readValue('me', 'keep')).reveal()).toBe('kept-59');
    expect((await reader.get('me', 'keep')).valueVersion).toBe(61);
    const fresh = open(home);
    expect((await fresh.readValue('me', 'after')).reveal()).toBe('new');
    await fresh.delete('me', 'keep');
    expect((await reader.list('me')).map((s) => s.name)).toEqual(['after']);
  });

  it('survives a compactor that died between renaming the snapshot and deleting the old journal', async () => {
    const home = newHome();
    const compactor = open(home, { compactMinBytes: 2048, compactRatio: 2 });
    const staleWriter = open(home, { compactMinBytes: 1e9 });
    const staleReader = open(home);
    await compactor.create('me', { name: 'base', value: text('v0'), envName: 'BASE' });
    expect(await staleWriter.list('me')).toHaveLength(1);
    expect(await staleReader.list('me')).toHaveLength(1);
    const oldJournal = journalOf(compactor);
    let saved = fs.readFileSync(oldJournal);
    for (let i = 0; i < 100 && fs.existsSync(oldJournal); i++) {
      saved = fs.readFileSync(oldJournal);
      await compactor.update('me', 'base', { value: text(`v${i + 1}`) });
    }
    expect(fs.existsSync(oldJournal)).toBe(false);
    // Put the old journal back as a crash before its deletion would have left it.
    fs.writeFileSync(oldJournal, saved, { mode: 0o600 });

    // The stale writer must notice the new generation and not append to the old journal.
    await staleWriter.create('me', { name: 'late', value: text('late-value'), envName: 'LATE' });
    expect(fs.existsSync(oldJournal)).toBe(false);
    expect((await open(home).readValue('me', 'late')).reveal()).toBe('late-value');
    // A reader still on the old generation must see the write acknowledged after the switch.
    expect((await staleReader.readValue('me', 'late')).reveal()).toBe('late-value');
    const latest = (await compactor.get('me', 'base')).valueVersion;
    expect((await staleReader.get('me', 'base')).valueVersion).toBe(latest);
  });
});

describe('lock', () => {
  it('times out with BackendUnavailableError while another live process holds the lock', async () => {
    const home = newHome();
    const store = open(home, { lockTimeoutMs: 300 });
    await store.create('me', { name: 'a', value: text('v'), envName: 'A' });
    const lockPath = path.join(store.storeDir, 'lock');
    // Our own pid is certainly alive; the token is not this store's.
    fs.writeFileSync(lockPath, JSON.stringify({ pid: process.pid, host: os.hostname(), token: 'abcd' }));
    const before = fileState(store.storeDir);
    const started = Date.now();
    const error = await rejection(store.create('me', { name: 'b', value: text('v'), envName: 'B' }), SecretStoreError);
    expect(error.code).toBe('unavailable');
    expect(error.retryable).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(fileState(store.storeDir)).toEqual(before);
    // Reads need no lock.
    expect(await store.list('me')).toHaveLength(1);
    fs.unlinkSync(lockPath);
    await store.create('me', { name: 'b', value: text('v'), envName: 'B' });
  });

  it('refuses use after close', async () => {
    const store = open(newHome());
    await store.close();
    const error = await rejection(store.list('me'), SecretStoreError);
    expect(error.code).toBe('unavailable');
  });
});
