/**
 * The per-key uniqueness claims of the Vault backend (src/client/backends/vault/vault-claims.ts)
 * against a real OpenBao dev server: races, crashes between the claim and the secret write,
 * retargets, deletes, migration from the former one-document index, and the number of requests
 * each operation costs (a property of the scheme, counted through a loopback proxy; not timing).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretConflictError } from '../../src/client/errors';
import { VaultSecretStore, type VaultSecretStoreOptions } from '../../src/client/backends/vault';
import { encodeIndex } from '../../src/client/backends/vault/vault-index';
import { SecretText } from '../../src/client/secret-text';
import { startLoggingProxy, type LoggingProxy, type ProxiedRequest } from '../support/logging-proxy';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';
import { rejection } from '../support/assertions';

const text = (value: string): SecretText => new SecretText(value);

let bao: OpenBaoServer;
let proxy: LoggingProxy;
let stores: VaultSecretStore[] = [];
let prefixCounter = 0;

beforeAll(async () => {
  bao = await startOpenBao();
  proxy = await startLoggingProxy(bao.address);
});

afterAll(async () => {
  await proxy?.close();
  await bao?.stop();
});

afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
});

function open(prefix: string, options: Partial<VaultSecretStoreOptions> = {}): VaultSecretStore {
  const store = new VaultSecretStore({
    address: proxy.address,
    auth: { method: 'token', token: bao.token },
    identity: 'alice',
    pathPrefix: prefix,
    env: {},
    ...options,
  });
  stores.push(store);
  return store;
}

const fresh = (): string => `coffer/c${++prefixCounter}`;

/** The requests `run` made through the proxy, as `METHOD /v1/...` lines. */
async function requestsOf(run: () => Promise<unknown>): Promise<ProxiedRequest[]> {
  const before = proxy.requests.length;
  await run();
  return proxy.requests.slice(before);
}

async function claimOf(prefix: string, kind: 'env' | 'file', key: string): Promise<string | undefined> {
  const r = await bao.api('GET', `secret/data/${prefix}/alice/.coffer/${kind}/${key}`);
  return r.status === 200 ? (r.body.data.data.secret as string) : undefined;
}

const conflict = (promise: Promise<unknown>): Promise<SecretConflictError> => rejection(promise, SecretConflictError);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test('a create costs 3 requests and a delete 3 (one per target more), however many secrets exist', async () => {
  const prefix = fresh();
  const store = open(prefix);
  await store.create('me', { name: 'warm-up', value: text('w'), envName: 'WARM_UP' }); // mount check, index check
  for (let i = 0; i < 40; i++) {
    const made = await requestsOf(() => store.create('me', { name: `s${i}`, value: text(`v${i}`), envName: `S_${i}` }));
    // Claim (cas=0), data write (cas=0), value-free mirror — and nothing shared by all secrets.
    expect(made.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 200', 'POST 200', 'POST 204']);
    expect(made.every((r) => r.path.endsWith(`/s${i}`) || r.path.endsWith(`/S_${i}`))).toBe(true);
  }
  const both = await requestsOf(() =>
    store.create('me', { name: 'f', value: text('f'), envName: 'F', filePath: '/home/alice/.f' }),
  );
  expect(both).toHaveLength(4);
  for (let i = 0; i < 40; i++) {
    const gone = await requestsOf(() => store.delete('me', `s${i}`));
    // Metadata read (targets), delete of secret, release of its claim.
    expect(gone.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'DELETE 204', 'DELETE 204']);
  }
  expect(await requestsOf(() => store.delete('me', 'f'))).toHaveLength(4);
});

test('concurrent creates of different secrets never lose a check-and-set race', async () => {
  const prefix = fresh();
  const writers = Array.from({ length: 5 }, () => open(prefix));
  await writers[0]!.create('me', { name: 'warm-up', value: text('w'), enabled: false });
  const made = await requestsOf(() =>
    Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        writers[i % 5]!.create('me', { name: `n${i}`, value: text('v'), envName: `N_${i}`, filePath: `/tmp/n${i}` }),
      ),
    ),
  );
  expect(made.filter((r) => r.status === 400)).toEqual([]);
  expect(made.filter((r) => r.method === 'POST' && r.path.includes('/data/'))).toHaveLength(150);
  expect((await writers[1]!.list('me')).length).toBe(51);
});

test('of many creates racing for one env_name exactly one wins; the others name env_name', async () => {
  const prefix = fresh();
  const writers = Array.from({ length: 6 }, () => open(prefix));
  const results = await Promise.allSettled(
    writers.map((w, i) => w.create('me', { name: `r${i}`, value: text('v'), envName: 'SHARED' })),
  );
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(won).toHaveLength(1);
  expect(lost).toHaveLength(5);
  for (const l of lost) {
    expect(l.reason).toBeInstanceOf(SecretConflictError);
    expect(l.reason.field).toBe('env_name');
    expect(l.reason.message).toMatch(/env_name "SHARED" is already used by secret "r\d"/);
  }
  const winner = (await writers[0]!.list('me')).map((s) => s.name);
  expect(winner).toHaveLength(1);
  expect(await claimOf(prefix, 'env', 'SHARED')).toBe(winner[0]);
  // The losers left no claim of their own behind.
  const keys = await bao.api('LIST', `secret/metadata/${prefix}/alice/.coffer/env/`);
  expect(keys.body.data.keys).toEqual(['SHARED']);
});

test('a writer that dies between its claim and its secret write: repaired at the next write, never at plan', async () => {
  const prefix = fresh();
  // A proxy that lets the claim through and then nothing: the writer's process is as good as dead.
  let claimSeen = false;
  const dying = http.createServer((req, res) => {
    if (claimSeen) {
      req.resume();
      res.socket?.destroy();
      return;
    }
    if (req.method === 'POST' && (req.url ?? '').includes('/.coffer/env/')) claimSeen = true;
    const upstream = http.request(
      { host: '127.0.0.1', port: new URL(bao.address).port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => dying.listen(0, '127.0.0.1', resolve));
  try {
    const port = (dying.address() as AddressInfo).port;
    const crashed = open(prefix, { address: `http://127.0.0.1:${port}`, maxAttempts: 1 });
    await expect(crashed.create('me', { name: 'ghost', value: text('g'), envName: 'GHOST' })).rejects.toThrow();
  } finally {
    await new Promise((resolve) => dying.close(resolve));
  }
  expect(await claimOf(prefix, 'env', 'GHOST')).toBe('ghost'); // a claim without its secret

  const store = open(prefix, { claimGraceMs: 300 });
  // Plan and refresh read metadata only: no claim is read or repaired.
  const planned = await requestsOf(async () => {
    expect(await store.list('me')).toEqual([]);
  });
  expect(planned.length).toBeGreaterThan(0);
  expect(planned.filter((r) => r.path.includes('/.coffer/') || r.path.includes('/data/') || !['GET', 'LIST'].includes(r.method))).toEqual([]);
  expect(await claimOf(prefix, 'env', 'GHOST')).toBe('ghost');

  // Young, it may belong to a writer still at work: a conflict.
  const err = await conflict(store.create('me', { name: 'b', value: text('b'), envName: 'GHOST' }));
  expect(err.field).toBe('env_name');
  await sleep(400);
  // Old and its secret absent: taken over by the next write.
  await store.create('me', { name: 'b', value: text('b'), envName: 'GHOST' });
  expect(await claimOf(prefix, 'env', 'GHOST')).toBe('b');
  expect((await store.get('me', 'b')).envName).toBe('GHOST');
});

test('the dead writer retrying its own create takes its leftover claim back at once', async () => {
  const prefix = fresh();
  await bao.api('POST', `secret/data/${prefix}/alice/.coffer/env/MINE`, {
    options: { cas: 0 },
    data: { coffer_claim: 1, secret: 'mine', target: 'MINE', at: Date.now() },
  });
  const store = open(prefix);
  await store.create('me', { name: 'mine', value: text('m'), envName: 'MINE' });
  expect(await claimOf(prefix, 'env', 'MINE')).toBe('mine');
});

test('a claim taken over is checked again after the write, so a late release by its old holder is undone', async () => {
  const prefix = fresh();
  await bao.api('POST', `secret/data/${prefix}/alice/.coffer/env/LATE`, {
    options: { cas: 0 },
    data: { coffer_claim: 1, secret: 'slow', target: 'LATE', at: 0 },
  });
  const store = open(prefix, {
    // The old holder's release lands between the take-over and the secret write.
    beforeDataWrite: async () => void (await bao.api('DELETE', `secret/metadata/${prefix}/alice/.coffer/env/LATE`)),
  });
  await store.create('me', { name: 'quick', value: text('q'), envName: 'LATE' });
  expect(await claimOf(prefix, 'env', 'LATE')).toBe('quick');
});

test('a retarget moves the claim; a crash before the old one is released heals', async () => {
  const prefix = fresh();
  const store = open(prefix);
  await store.create('me', { name: 'a', value: text('a'), envName: 'OLD', filePath: '/etc/a' });
  await store.update('me', 'a', { envName: 'NEW' });
  expect(await claimOf(prefix, 'env', 'OLD')).toBeUndefined();
  expect(await claimOf(prefix, 'env', 'NEW')).toBe('a');
  expect((await conflict(store.create('me', { name: 'b', value: text('b'), envName: 'NEW' }))).field).toBe('env_name');
  await store.create('me', { name: 'b', value: text('b'), envName: 'OLD' });
  expect(await claimOf(prefix, 'env', 'OLD')).toBe('b');

  // A leftover old claim (the retargeting writer died before releasing it), past the grace period:
  // its holder no longer uses the target, so it is taken over.
  await store.update('me', 'b', { envName: 'B' });
  await bao.api('POST', `secret/data/${prefix}/alice/.coffer/env/OLD`, {
    options: { cas: 0 },
    data: { coffer_claim: 1, secret: 'b', target: 'OLD', at: 0 },
  });
  await store.create('me', { name: 'c', value: text('c'), envName: 'OLD' });
  expect(await claimOf(prefix, 'env', 'OLD')).toBe('c');
  // An old claim whose holder really uses the target stays a conflict.
  expect((await conflict(store.create('me', { name: 'd', value: text('d'), filePath: '/etc/a' }))).field).toBe(
    'file_path',
  );
});

test('a failed write releases the claims it made; delete removes the claims', async () => {
  const prefix = fresh();
  const store = open(prefix);
  await store.create('me', { name: 'x', value: text('x'), envName: 'X', filePath: '/etc/x' });
  // Name taken: the new targets claimed on the way are released again.
  expect((await conflict(store.create('me', { name: 'x', value: text('y'), envName: 'Y' }))).field).toBe('name');
  expect(await claimOf(prefix, 'env', 'Y')).toBeUndefined();
  expect(await claimOf(prefix, 'env', 'X')).toBe('x'); // but not the one the existing secret holds
  await store.delete('me', 'x');
  const left = await bao.api('LIST', `secret/metadata/${prefix}/alice/.coffer/`);
  expect(left.status).toBe(404);
  await store.create('me', { name: 'z', value: text('z'), envName: 'X', filePath: '/etc/x' });
});

test('a secret whose claim went missing gets it back at its next write', async () => {
  const prefix = fresh();
  const store = open(prefix);
  await store.create('me', { name: 'k', value: text('k'), envName: 'K' });
  await bao.api('DELETE', `secret/metadata/${prefix}/alice/.coffer/env/K`);
  await store.update('me', 'k', { description: 'touched' });
  expect(await claimOf(prefix, 'env', 'K')).toBe('k');
});

test('a store of the former one-document index is migrated to claims on the first write, once', async () => {
  const prefix = fresh();
  const old = open(prefix);
  await old.create('me', { name: 'a', value: text('a'), envName: 'A' });
  await old.create('me', { name: 'b', value: text('b'), filePath: '/etc/b' });
  await old.create('me', { name: 'plain', value: text('p'), enabled: false });
  // What an older Coffer left: the secrets and one index document, no claims.
  await bao.api('DELETE', `secret/metadata/${prefix}/alice/.coffer/env/A`);
  const fileClaims = await bao.api('LIST', `secret/metadata/${prefix}/alice/.coffer/file/`);
  for (const key of fileClaims.body.data.keys as string[]) {
    await bao.api('DELETE', `secret/metadata/${prefix}/alice/.coffer/file/${key}`);
  }
  const entries = new Map([
    ['a', { env: ['A'], file: [], at: 0, tok: '' }],
    ['b', { env: [], file: ['/etc/b'], at: 0, tok: '' }],
  ]);
  await bao.api('POST', `secret/data/${prefix}/alice/.coffer/index`, { options: { cas: 0 }, data: encodeIndex(entries, 'w') });

  const store = open(prefix);
  // Reads (plan) do not migrate.
  await store.list('me');
  expect((await bao.api('GET', `secret/data/${prefix}/alice/.coffer/index`)).status).toBe(200);
  // The first write does, before its own claim: A is taken.
  const err = await conflict(store.create('me', { name: 'c', value: text('c'), envName: 'A' }));
  expect(err.field).toBe('env_name');
  expect(await claimOf(prefix, 'env', 'A')).toBe('a');
  expect((await conflict(store.create('me', { name: 'c', value: text('c'), filePath: '/etc/b' }))).field).toBe(
    'file_path',
  );
  expect((await bao.api('GET', `secret/metadata/${prefix}/alice/.coffer/index`)).status).toBe(404);
  // Later writes do not look for the document again.
  const later = await requestsOf(() => store.create('me', { name: 'd', value: text('d'), envName: 'D' }));
  expect(later.filter((r) => r.path.endsWith('/.coffer/index'))).toEqual([]);
});
