import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalSecretStore } from '../../src/client/backends/local';
import { SecretText } from '../../src/client/secret-text';

describe('local store: delivery options (file owner, mode, default)', () => {
  let home: string;
  let store: LocalSecretStore;

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-delivery-'));
    store = new LocalSecretStore({ home, identity: 'dev' });
  });

  afterEach(async () => {
    await store.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('declares what it can hold', () => {
    expect(store.capabilities).toEqual({ fileOwnerAndMode: true, defaults: true, valueVersion: true, readValue: true, ownerClaim: true });
  });

  test('keeps owner, mode and default across instances', async () => {
    await store.create('me', { name: 'kube', value: new SecretText('cfg'), filePath: '/etc/kube/config', fileOwner: 'root:dev', fileMode: 0o440, isDefault: true });
    const other = new LocalSecretStore({ home, identity: 'dev' });
    expect(await other.get('me', 'kube')).toMatchObject({ fileOwner: 'root:dev', fileMode: 0o440, isDefault: true });
    await other.close();
  });

  test('omits them when unset, and an update can set and clear them', async () => {
    await store.create('me', { name: 'npmrc', value: new SecretText('x'), filePath: '~/.npmrc' });
    const plain = await store.get('me', 'npmrc');
    expect(plain.fileOwner).toBeUndefined();
    expect(plain.fileMode).toBeUndefined();
    expect(plain.isDefault).toBeUndefined();
    const set = await store.update('me', 'npmrc', { fileMode: 0o400, isDefault: true });
    expect(set).toMatchObject({ fileMode: 0o400, isDefault: true, valueVersion: 1 });
    const cleared = await store.update('me', 'npmrc', { fileMode: null, isDefault: false });
    expect(cleared.fileMode).toBeUndefined();
    expect(cleared.isDefault).toBeUndefined();
  });

  test.each([
    [{ fileMode: 0o1777 }, 'file_mode', /0000 to 0777/],
    [{ fileMode: 1.5 }, 'file_mode', /0000 to 0777/],
    [{ fileOwner: 'not valid!' }, 'file_owner', /USER or USER:GROUP/],
  ])('rejects %j on %s, writing nothing', async (options, field, rule) => {
    await expect(
      store.create('me', { name: 'bad', value: new SecretText('v'), filePath: '~/.bad', ...options }),
    ).rejects.toMatchObject({ code: 'validation', field, message: expect.stringMatching(rule) });
    expect(await store.list('me')).toEqual([]);
  });

  test('owner and mode without a file target are an error, not silently dropped', async () => {
    await expect(store.create('me', { name: 'env-only', value: new SecretText('v'), envName: 'TOKEN', fileMode: 0o400 })).rejects.toMatchObject({
      field: 'file_mode',
    });
  });
});
