/**
 * 1,000 secrets against a local OpenBao dev server: how long creating and listing take. The
 * numbers are printed (they depend on the machine); the assertions only guard against
 * pathological slowness and check the results.
 */
import { VaultSecretStore, type VaultRequestLogEntry } from '../../src/client/backends/vault';
import { SecretText } from '../../src/client/secret-text';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';

const N = 1000;
let bao: OpenBaoServer;
const stores: VaultSecretStore[] = [];

beforeAll(async () => {
  bao = await startOpenBao();
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await bao?.stop();
});

function open(token: string, log?: VaultRequestLogEntry[], identity = 'bench'): VaultSecretStore {
  const store = new VaultSecretStore({
    address: bao.address,
    auth: { method: 'token', token },
    identity,
    env: {},
    onRequest: log === undefined ? undefined : (e) => log.push(e),
  });
  stores.push(store);
  return store;
}

const inputs = (user: string) =>
  Array.from({ length: N }, (_, i) => ({
    name: `${user}-secret-${String(i).padStart(4, '0')}`,
    value: new SecretText(`value-${i}-${'x'.repeat(40)}`),
    envName: `VAR_${i}`,
    filePath: `~/.config/${user}/file-${i}`,
    description: `secret number ${i}`,
  }));

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await fn();
  const ms = performance.now() - t0;
  timings.push(`${label}: ${ms.toFixed(0)} ms`);
  return result;
}

const timings: string[] = [];

afterAll(() => {
  console.log(`Vault backend, ${N} secrets on local OpenBao:\n  ${timings.join('\n  ')}`);
});

test(`importBatch, list and get of ${N} secrets`, async () => {
  const log: VaultRequestLogEntry[] = [];
  const store = open(bao.token, log);
  const created = await timed(`importBatch ${N}`, () => store.importBatch('me', inputs('batch')));
  expect(created).toHaveLength(N);
  const listed = await timed(`list ${N} (OpenBao detailed-metadata, 1 request)`, () => store.list('me'));
  expect(listed.map((s) => s.name)).toEqual(created.map((s) => s.name));
  expect(listed[999]!.filePath).toBe('~/.config/batch/file-999');

  // A policy without detailed-metadata (as on HashiCorp Vault): LIST + 1,000 metadata reads, 16 at a time.
  await bao.api('PUT', 'sys/policies/acl/no-detailed', {
    policy:
      'path "secret/data/*" { capabilities = ["create","read","update","patch","delete","list"] }\npath "secret/metadata/*" { capabilities = ["create","read","update","delete","list"] }',
  });
  const limited = (await bao.api('POST', 'auth/token/create', { policies: ['no-detailed'], ttl: '1h' })).body.auth
    .client_token as string;
  const portable = open(limited);
  const listed2 = await timed(`list ${N} (LIST + metadata reads, concurrency 16)`, () => portable.list('me'));
  expect(listed2).toEqual(listed);

  await timed(`get x100 (sequential)`, async () => {
    for (let i = 0; i < 100; i++) await store.get('me', `batch-secret-${String(i * 10).padStart(4, '0')}`);
  });
});

test(`${N} sequential creates (each: env_name claim with cas=0, data write, mirror)`, async () => {
  const store = open(bao.token, undefined, 'bench-seq');
  const all = inputs('seq');
  await timed(`create x${N} (sequential)`, async () => {
    for (const input of all) await store.create('me', input);
  });
  await timed(`update x100 (value, sequential)`, async () => {
    for (let i = 0; i < 100; i++) await store.update('me', all[i]!.name, { value: new SecretText(`new-${i}`) });
  });
  expect((await store.list('me')).length).toBe(N);
});
