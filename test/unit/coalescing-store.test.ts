import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalSecretStore } from '../../src/client/backends/local';
import { CoalescingSecretStore } from '../../src/client/coalescing-store';
import type { SecretStore } from '../../src/client/secret-store';
import { SecretText } from '../../src/client/secret-text';

/** Counts the metadata reads that reach the backend; everything else passes through. */
function counting(inner: SecretStore) {
  const calls = { get: 0, list: 0 };
  const store: SecretStore = {
    kind: inner.kind,
    capabilities: inner.capabilities,
    get: (user, name) => (calls.get++, inner.get(user, name)),
    list: (user) => (calls.list++, inner.list(user)),
    create: (user, input) => inner.create(user, input),
    update: (user, name, patch) => inner.update(user, name, patch),
    delete: (user, name) => inner.delete(user, name),
    readValue: (user, name) => inner.readValue(user, name),
    importBatch: (user, inputs) => inner.importBatch(user, inputs),
    close: () => inner.close(),
  };
  return { store, calls };
}

describe('coalescing metadata reads', () => {
  let home: string;
  let local: LocalSecretStore;

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-coalesce-'));
    local = new LocalSecretStore({ home, identity: 'dev' });
    for (let i = 0; i < 20; i++) await local.create('me', { name: `s${i}`, value: new SecretText('v'), envName: `S_${i}` });
  });

  afterAll(async () => {
    await local.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('ten concurrent reads become one list, with the same answers as single reads', async () => {
    const { store, calls } = counting(local);
    const coalescing = new CoalescingSecretStore(store);
    const names = Array.from({ length: 10 }, (_, i) => `s${i}`);
    const results = await Promise.all(names.map((n) => coalescing.get('me', n)));
    expect(calls).toEqual({ get: 0, list: 1 });
    expect(results).toEqual(await Promise.all(names.map((n) => local.get('me', n))));
  });

  test('a missing name in a batch still gets its own not_found', async () => {
    const { store, calls } = counting(local);
    const coalescing = new CoalescingSecretStore(store);
    const outcomes = await Promise.allSettled(['s1', 's2', 'absent', 's3'].map((n) => coalescing.get('me', n)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'not_found' });
    expect(calls).toEqual({ get: 1, list: 1 });
  });

  test('one or two reads go out as single reads', async () => {
    const { store, calls } = counting(local);
    const coalescing = new CoalescingSecretStore(store);
    await Promise.all([coalescing.get('me', 's1'), coalescing.get('me', 's2')]);
    expect(calls).toEqual({ get: 2, list: 0 });
  });

  test('a failing list falls back to single reads', async () => {
    const { store, calls } = counting(local);
    const failing: SecretStore = { ...store, list: async () => { calls.list++; throw new Error('list denied'); } };
    const coalescing = new CoalescingSecretStore(failing);
    const results = await Promise.all(['s1', 's2', 's3', 's4'].map((n) => coalescing.get('me', n)));
    expect(results.map((r) => r.name)).toEqual(['s1', 's2', 's3', 's4']);
    expect(calls).toEqual({ get: 4, list: 1 });
  });
});

describe('the list of a batch answers the rest of a refresh wave', () => {
  let home: string;
  let local: LocalSecretStore;

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-coalesce-ttl-'));
    local = new LocalSecretStore({ home, identity: 'dev' });
    for (let i = 0; i < 30; i++) await local.create('me', { name: `t${i}`, value: new SecretText('v'), envName: `T_${i}` });
  });

  afterAll(async () => {
    await local.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('later reads within the TTL cost nothing; a write drops the list', async () => {
    const { store, calls } = counting(local);
    const coalescing = new CoalescingSecretStore(store, { listTtlMs: 60_000 });
    await Promise.all(['t0', 't1', 't2'].map((n) => coalescing.get('me', n)));
    for (let i = 3; i < 30; i++) await coalescing.get('me', `t${i}`);
    expect(calls).toEqual({ get: 0, list: 1 });
    await coalescing.update('me', 't5', { description: 'changed' });
    expect((await coalescing.get('me', 't5')).description).toBe('changed');
    expect(calls).toEqual({ get: 1, list: 1 });
  });

  test('an expired list is not used', async () => {
    const { store, calls } = counting(local);
    const coalescing = new CoalescingSecretStore(store, { listTtlMs: 0 });
    await Promise.all(['t0', 't1', 't2'].map((n) => coalescing.get('me', n)));
    await coalescing.get('me', 't9');
    expect(calls).toEqual({ get: 1, list: 1 });
  });
});
