import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalSecretStore } from '../../src/client/backends/local';
import { CoalescingSecretStore } from '../../src/client/coalescing-store';
import type { SecretStore } from '../../src/client/secret-store';
import { SecretText } from '../../src/client/secret-text';

/** Counts the calls that reach the backend. */
function counting(inner: SecretStore) {
  const calls = { get: 0, list: 0 };
  const store: SecretStore = Object.assign(Object.create(inner) as SecretStore, {
    get: (user: string, name: string) => (calls.get++, inner.get(user, name)),
    list: (user: string) => (calls.list++, inner.list(user)),
  });
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
    const failing = Object.assign(Object.create(store) as SecretStore, { list: async () => { calls.list++; throw new Error('list denied'); } });
    const coalescing = new CoalescingSecretStore(failing);
    const results = await Promise.all(['s1', 's2', 's3', 's4'].map((n) => coalescing.get('me', n)));
    expect(results.map((r) => r.name)).toEqual(['s1', 's2', 's3', 's4']);
    expect(calls).toEqual({ get: 4, list: 1 });
  });
});
