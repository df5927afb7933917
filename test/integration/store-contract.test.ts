/**
 * One behavioural suite for every backend: the embedded store, a real OpenBao dev server and
 * the Coder API double. Where a backend cannot do something (Coder never returns values), the
 * suite checks that it says so plainly.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoderSecretStore } from '../../src/client/backends/coder';
import { LocalSecretStore } from '../../src/client/backends/local';
import { VaultSecretStore } from '../../src/client/backends/vault';
import type { SecretStore } from '../../src/client/secret-store';
import { SecretText } from '../../src/client/secret-text';
import { CoderDouble } from '../support/coder-double';
import { startOpenBao } from '../support/openbao';

interface Harness {
  readonly store: SecretStore;
  readonly stop: () => Promise<void>;
}

const backends: Record<string, () => Promise<Harness>> = {
  local: async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-contract-'));
    const store = new LocalSecretStore({ home, identity: 'alice' });
    return { store, stop: async () => (await store.close(), fs.rmSync(home, { recursive: true, force: true })) };
  },
  openbao: async () => {
    const server = await startOpenBao();
    const store = new VaultSecretStore({ env: { BAO_ADDR: server.address, BAO_TOKEN: server.token, COFFER_USER: 'alice' } });
    return { store, stop: async () => (await store.close(), await server.stop()) };
  },
  coder: async () => {
    const double = await CoderDouble.start({ users: ['alice'] });
    const store = new CoderSecretStore({ env: { CODER_URL: double.url, CODER_SESSION_TOKEN: double.tokenFor('alice') } });
    return { store, stop: async () => (await store.close(), await double.close()) };
  },
};

const CANARY = `CANARY-${Date.now()}-contract`;
const value = (suffix = '') => new SecretText(`${CANARY}${suffix}`);

describe.each(Object.keys(backends))('SecretStore contract on %s', (backend) => {
  let harness: Harness;
  let store: SecretStore;

  beforeAll(async () => {
    harness = await backends[backend]!();
    store = harness.store;
  });

  afterAll(async () => harness?.stop());

  afterEach(async () => {
    for (const secret of await store.list('me')) await store.delete('me', secret.name);
  });

  test('create, get and list return the metadata, sorted by name, never a value', async () => {
    const created = await store.create('me', { name: 'zeta', value: value(), envName: 'ZETA_TOKEN', description: 'z' });
    await store.create('me', { name: 'alpha', value: value('a'), filePath: '~/.alpha' });
    expect(created).toMatchObject({ name: 'zeta', envName: 'ZETA_TOKEN', filePath: '', description: 'z', enabled: true, user: 'alice' });
    expect(await store.get('me', 'zeta')).toMatchObject({ id: created.id, name: 'zeta', envName: 'ZETA_TOKEN' });
    const listed = await store.list('me');
    expect(listed.map((s) => s.name)).toEqual(['alpha', 'zeta']);
    expect(JSON.stringify(listed)).not.toContain(CANARY);
  });

  test('update is partial; "" clears a target; the id stays', async () => {
    const created = await store.create('me', { name: 'both', value: value(), envName: 'BOTH_ENV', filePath: '~/.both', description: 'd' });
    const updated = await store.update('me', 'both', { description: 'new' });
    expect(updated).toMatchObject({ id: created.id, description: 'new', envName: 'BOTH_ENV', filePath: '~/.both' });
    const cleared = await store.update('me', 'both', { envName: '' });
    expect(cleared).toMatchObject({ envName: '', filePath: '~/.both' });
  });

  test.each([
    ['name', { name: 'taken', envName: 'OTHER_ENV' }],
    ['env_name', { name: 'fresh', envName: 'TAKEN_ENV' }],
    ['file_path', { name: 'fresh', filePath: '~/.taken' }],
  ])('a duplicate %s is a conflict on that field, and nothing is written', async (field, input) => {
    await store.create('me', { name: 'taken', value: value(), envName: 'TAKEN_ENV', filePath: '~/.taken' });
    await expect(store.create('me', { ...input, value: value('x') })).rejects.toMatchObject({ code: 'conflict', field });
    expect((await store.list('me')).map((s) => s.name)).toEqual(['taken']);
  });

  test.each([
    ['name', { name: 'a/b', envName: 'X_ENV' }],
    ['env_name', { name: 'ok', envName: 'PATH' }],
    ['file_path', { name: 'ok', filePath: 'relative' }],
  ])('invalid %s is a validation error on that field, and nothing is written', async (field, input) => {
    const error = await store.create('me', { ...input, value: value() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'validation', field });
    expect(String((error as Error).message)).not.toContain(CANARY);
    expect(await store.list('me')).toEqual([]);
  });

  test('an oversized value is refused without quoting it', async () => {
    const error = await store.create('me', { name: 'big', value: new SecretText(CANARY.repeat(2000)), envName: 'BIG' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'validation', field: 'value' });
    expect(String((error as Error).message)).not.toContain(CANARY);
  });

  test('delete removes; deleting or reading a missing secret is not_found', async () => {
    await store.create('me', { name: 'gone', value: value(), envName: 'GONE' });
    await store.delete('me', 'gone');
    await expect(store.get('me', 'gone')).rejects.toMatchObject({ code: 'not_found' });
    await expect(store.delete('me', 'gone')).rejects.toMatchObject({ code: 'not_found' });
  });

  test('a batch import is all or nothing', async () => {
    await store.create('me', { name: 'existing', value: value(), envName: 'EXISTING' });
    await expect(
      store.importBatch('me', [
        { name: 'new-one', value: value('1'), envName: 'NEW_ONE' },
        { name: 'existing', value: value('2'), envName: 'EXISTING_TOO' },
      ]),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect((await store.list('me')).map((s) => s.name)).toEqual(['existing']);
    const imported = await store.importBatch('me', [
      { name: 'NEW_ONE', value: value('1'), envName: 'NEW_ONE' },
      { name: 'NEW_TWO', value: value('2'), envName: 'NEW_TWO' },
    ]);
    expect(imported.map((s) => s.name).sort()).toEqual(['NEW_ONE', 'NEW_TWO']);
  });

  test('values: read back where the backend allows it, a plain refusal where it does not', async () => {
    await store.create('me', { name: 'v', value: value('-v1'), envName: 'V_ENV' });
    await store.update('me', 'v', { value: value('-v2') });
    if (store.capabilities.readValue) {
      expect((await store.readValue('me', 'v')).reveal()).toBe(`${CANARY}-v2`);
    } else {
      await expect(store.readValue('me', 'v')).rejects.toMatchObject({ code: 'unsupported', message: expect.stringMatching(/never returns secret values/) });
    }
  });

  test('fields a backend cannot keep are refused, not dropped', async () => {
    const attempt = store.create('me', { name: 'file', value: value(), filePath: '~/.f', fileMode: 0o400, isDefault: true });
    if (store.capabilities.fileOwnerAndMode && store.capabilities.defaults) {
      expect(await attempt).toMatchObject({ fileMode: 0o400, isDefault: true });
    } else {
      await expect(attempt).rejects.toMatchObject({ code: 'unsupported' });
      expect(await store.list('me')).toEqual([]);
    }
  });
});
