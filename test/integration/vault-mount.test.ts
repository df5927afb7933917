/**
 * The mount check (src/client/backends/vault/vault-mount.ts) on a real OpenBao, seen through a
 * logging proxy: a KV v1 mount, a missing mount, a path inside a mount and a non-KV engine are
 * refused before any write, with an error that names the setting; `coffer secret list` on a bad
 * mount exits non-zero instead of printing "No secrets found.".
 */
import { spawnSync } from 'node:child_process';
import { VaultSecretStore } from '../../src/client/backends/vault';
import { SecretStoreError } from '../../src/client/errors';
import { SecretText } from '../../src/client/secret-text';
import { startLoggingProxy, type LoggingProxy } from '../support/logging-proxy';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';
import { buildCli, makeSandbox, type CliBundle, type Sandbox } from '../unit/fixtures/cli-helpers';

let bao: OpenBaoServer;
let proxy: LoggingProxy;
const stores: VaultSecretStore[] = [];

beforeAll(async () => {
  bao = await startOpenBao();
  proxy = await startLoggingProxy(bao.address);
  expect((await bao.api('POST', 'sys/mounts/kv1', { type: 'kv', options: { version: '1' } })).status).toBe(204);
  expect((await bao.api('POST', 'sys/mounts/transit', { type: 'transit' })).status).toBe(204);
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await proxy?.close();
  await bao?.stop();
});

function storeOn(mount: string, token = bao.token): VaultSecretStore {
  const store = new VaultSecretStore({
    address: proxy.address,
    auth: { method: 'token', token },
    identity: 'alice',
    mount,
    env: {},
    settingNames: { mount: 'vault_mount' },
  });
  stores.push(store);
  return store;
}

async function refusal(promise: Promise<unknown>): Promise<SecretStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretStoreError);
  return error as SecretStoreError;
}

const writes = () => proxy.requests.filter((r) => !['GET', 'LIST'].includes(r.method));

test('a KV version 1 mount is refused before anything is written (no secret, no index)', async () => {
  proxy.requests.length = 0;
  const store = storeOn('kv1');
  const error = await refusal(store.create('me', { name: 'gh', value: new SecretText('v'), envName: 'GH' }));
  expect(error).toMatchObject({ code: 'validation', field: 'mount', retryable: false });
  expect(error.message).toMatch(/mount "kv1" is a KV version 1 mount; .*check vault_mount/);
  expect(writes()).toEqual([]);
  expect((await bao.api('LIST', 'kv1/')).status).toBe(404); // nothing landed in the v1 mount
  await refusal(store.list('me'));
});

test('a missing mount fails list and get naming the setting, instead of "no secrets"', async () => {
  const store = storeOn('nomount');
  const error = await refusal(store.list('me'));
  expect(error.message).toMatch(/no mount "nomount".*check vault_mount/);
  expect(error.retryable).toBe(false);
  await refusal(store.get('me', 'gh'));
});

test('a path inside a mount and a non-KV engine are refused', async () => {
  expect((await refusal(storeOn('secret/coffer').list('me'))).message).toMatch(/path inside mount "secret": use mount "secret"/);
  expect((await refusal(storeOn('transit').list('me'))).message).toMatch(/mount "transit" is a transit secrets engine, not KV version 2/);
});

test('a token limited to its own folder passes the check on a KV v2 mount', async () => {
  const policy = `path "secret/data/coffer/users/alice/*" { capabilities = ["create", "read", "update", "patch", "delete"] }
path "secret/metadata/coffer/users/alice/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "secret/data/coffer/users/alice/.coffer/*" { capabilities = ["create", "read", "update", "patch", "delete"] }`;
  expect((await bao.api('PUT', 'sys/policies/acl/alice', { policy })).status).toBe(204);
  const token = (await bao.api('POST', 'auth/token/create', { policies: ['alice'] })).body.auth.client_token as string;
  const store = storeOn('secret', token);
  await store.create('me', { name: 'gh', value: new SecretText('v'), envName: 'GH' });
  expect((await store.list('me')).map((s) => s.name)).toEqual(['gh']);
});

describe('coffer secret list on a bad mount', () => {
  let bundle: CliBundle;
  let sandbox: Sandbox;
  beforeAll(() => {
    bundle = buildCli();
    sandbox = makeSandbox('cli-mount');
  });
  afterAll(() => {
    sandbox.cleanup();
    bundle.cleanup();
  });

  const cli = (args: readonly string[]) =>
    spawnSync(process.execPath, [bundle.file, ...args], { env: { ...sandbox.env, BAO_TOKEN: bao.token }, cwd: sandbox.dir, encoding: 'utf8' });

  test.each([['nomount'], ['kv1']])('mount %s: exits non-zero, names the --mount setting, prints no "No secrets found."', (mount) => {
    expect(cli(['backend', 'register', `bad-${mount}`, '--kind', 'vault', '--url', bao.address, '--mount', mount]).status).toBe(0);
    const listed = cli(['secret', 'list', '--backend', `bad-${mount}`]);
    expect(listed.status).not.toBe(0);
    expect(listed.stdout).not.toContain('No secrets found');
    expect(listed.stderr).toContain(`coffer backend register bad-${mount} --mount`);
    expect(listed.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
