/**
 * Issue #8 defect 1: stored backend credentials are reachable only through `CredentialStore`.
 * Every `SecretStore` (embedded, Vault, Coder) refuses the reserved owner through the shared
 * `checkUser` rule, for every operation, before touching storage or the network.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discardAuditSink } from '../../src/client/audit';
import { CoderSecretStore } from '../../src/client/backends/coder';
import { LocalSecretStore } from '../../src/client/backends/local';
import { VaultSecretStore } from '../../src/client/backends/vault';
import { CredentialStore } from '../../src/client/credential-store';
import { openStore } from '../../src/client/open-store';
import { CREDENTIALS_USER } from '../../src/client/profiles';
import type { SecretStore } from '../../src/client/secret-store';
import { SecretText } from '../../src/client/secret-text';

const TOKEN = 'hvs.CANARY-STORED-CREDENTIAL';
let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-credentials-'));
  env = { HOME: dir, COFFER_HOME: path.join(dir, 'home'), COFFER_USER: 'dev', COFFER_AUDIT_LOG: 'off', COFFER_CONFIG: path.join(dir, 'c.json') };
  const credentials = new CredentialStore(env, discardAuditSink);
  await credentials.write('prod', 'token', new SecretText(TOKEN));
  await credentials.close();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every public operation of a store, addressed to `user`. */
function everyOperation(store: SecretStore, user: string): [string, () => Promise<unknown>][] {
  const input = { name: 'backend.prod.token', value: new SecretText('planted'), envName: 'PLANTED' };
  return [
    ['get', () => store.get(user, 'backend.prod.token')],
    ['list', () => store.list(user)],
    ['readValue', () => store.readValue(user, 'backend.prod.token')],
    ['create', () => store.create(user, { ...input, name: 'new' })],
    ['update', () => store.update(user, 'backend.prod.token', { value: new SecretText('planted') })],
    ['delete', () => store.delete(user, 'backend.prod.token')],
    ['importBatch', () => store.importBatch(user, [{ ...input, name: 'new' }])],
  ];
}

const refusal = { code: 'validation', field: 'user', message: expect.stringMatching(/is reserved: users starting with "@" belong to Coffer/) };

describe('the reserved credentials owner', () => {
  test.each(['@coffer-credentials', '@Coffer-Credentials', '@anything'])('the embedded store refuses %j for every operation', async (user) => {
    const store = new LocalSecretStore({ env });
    for (const [, call] of everyOperation(store, user)) await expect(call()).rejects.toMatchObject(refusal);
    await store.close();
    const credentials = new CredentialStore(env, discardAuditSink);
    expect((await credentials.read('prod', 'token'))?.reveal()).toBe(TOKEN);
    await credentials.close();
  });

  test('the store every command opens (audited) refuses it too', async () => {
    const store = await openStore(undefined, env);
    for (const [, call] of everyOperation(store, CREDENTIALS_USER)) await expect(call()).rejects.toMatchObject(refusal);
    await store.close();
  });

  test('"me" cannot be made the reserved owner through COFFER_USER', async () => {
    const store = new LocalSecretStore({ env: { ...env, COFFER_USER: CREDENTIALS_USER } });
    await expect(store.readValue('me', 'backend.prod.token')).rejects.toMatchObject({ code: 'validation', field: 'identity' });
    await expect(store.list('me')).rejects.toMatchObject({ code: 'validation', field: 'identity' });
    await store.close();
  });

  test('Vault and Coder refuse it before any request', async () => {
    const requests: unknown[] = [];
    const vault = new VaultSecretStore({ address: 'http://127.0.0.1:9', auth: { method: 'token', token: 't' }, env: {}, onRequest: (e) => requests.push(e) });
    const coder = new CoderSecretStore({ url: 'http://127.0.0.1:9', token: 't', env: {}, onRequest: (e) => requests.push(e) });
    for (const store of [vault, coder]) {
      // Coder never returns values, so its readValue refuses every user alike.
      const operations = everyOperation(store, CREDENTIALS_USER).filter(([op]) => op !== 'readValue' || store.capabilities.readValue);
      for (const [, call] of operations) await expect(call()).rejects.toMatchObject(refusal);
      await store.close();
    }
    expect(requests).toEqual([]);
  });

  test('CredentialStore writes, replaces and removes a credential; absent is undefined', async () => {
    const credentials = new CredentialStore(env, discardAuditSink);
    await credentials.write('prod', 'token', new SecretText('second'));
    expect((await credentials.read('prod', 'token'))?.reveal()).toBe('second');
    expect(await credentials.read('other', 'token')).toBeUndefined();
    expect(await credentials.remove('prod', 'token')).toBe(true);
    expect(await credentials.remove('prod', 'token')).toBe(false);
    expect(await credentials.has('prod', 'token')).toBe(false);
    await credentials.close();
  });
});
