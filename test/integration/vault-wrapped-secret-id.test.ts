/**
 * AppRole login with a response-wrapped SecretID against a real OpenBao: the wrapping token is
 * unwrapped once per store, and a later re-login (the token was revoked) reuses the SecretID it
 * held instead of unwrapping again, which would fail.
 */
import { execFileSync } from 'node:child_process';
import { VaultSecretStore } from '../../src/client/backends/vault';
import { SecretText } from '../../src/client/secret-text';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';

let bao: OpenBaoServer;

beforeAll(async () => {
  bao = await startOpenBao();
  const ok = async (method: string, p: string, body?: unknown) => {
    const r = await bao.api(method, p, body);
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  };
  await ok('POST', 'sys/auth/approle', { type: 'approle' });
  await ok('PUT', 'sys/policies/acl/kv', { policy: 'path "secret/*" { capabilities = ["create", "read", "update", "delete", "list"] }' });
  // Unlimited uses, so a second login with the same SecretID is possible (only the wrap is single use).
  await ok('POST', 'auth/approle/role/app', { token_policies: ['kv'], secret_id_num_uses: 0 });
});

afterAll(async () => {
  await bao?.stop();
});

function mintWrapped(): string {
  return execFileSync(bao.bin, ['write', '-f', '-wrap-ttl=5m', '-field=wrapping_token', 'auth/approle/role/app/secret-id'], {
    env: { PATH: process.env.PATH, HOME: '/nonexistent', BAO_ADDR: bao.address, BAO_TOKEN: bao.token },
    encoding: 'utf8',
  }).trim();
}

test('unwraps once; a re-login after the token was revoked reuses the SecretID', async () => {
  const roleId = (await bao.api('GET', 'auth/approle/role/app/role-id')).body.data.role_id as string;
  const wrapped = mintWrapped();
  const paths: string[] = [];
  const store = new VaultSecretStore({
    env: {},
    onRequest: (entry) => paths.push(entry.path),
    address: bao.address,
    identity: 'alice',
    auth: { method: 'approle', roleId, wrappedSecretId: wrapped },
    pathPrefix: 'wrapped/users',
  });
  try {
    await store.create('me', { name: 'one', value: new SecretText('v1'), envName: 'ONE' });
    // The wrapping token is spent.
    expect((await bao.api('POST', 'sys/wrapping/lookup', { token: wrapped })).status).toBe(400);
    // Every AppRole login token is revoked behind the store's back: the next call logs in again.
    expect((await bao.api('PUT', 'sys/leases/revoke-prefix/auth/approle/login')).status).toBe(204);
    await store.create('me', { name: 'two', value: new SecretText('v2'), envName: 'TWO' });
    expect((await store.list('me')).map((s) => s.name)).toEqual(['one', 'two']);
    const count = (p: string) => paths.filter((q) => q === p).length;
    expect(count('auth/approle/login')).toBe(2);
    expect(count('sys/wrapping/unwrap')).toBe(1);
  } finally {
    await store.close();
  }
  // A second store with the same (spent) wrapping token is refused before any login.
  const again = new VaultSecretStore({ env: {}, address: bao.address, identity: 'alice', auth: { method: 'approle', roleId, wrappedSecretId: wrapped }, pathPrefix: 'wrapped/users' });
  try {
    await expect(again.list('me')).rejects.toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/already unwrapped or has expired.*someone else may have intercepted it/),
    });
  } finally {
    await again.close();
  }
});
