/**
 * VaultSecretStore against a real OpenBao dev server (`bao server -dev`, see test/support/openbao.ts).
 */
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BackendUnavailableError,
  SecretConflictError,
  SecretNotFoundError,
  SecretStoreError,
  SecretValidationError,
} from '../../src/client/errors';
import {
  VaultSecretStore,
  type VaultRequestLogEntry,
  type VaultSecretStoreOptions,
} from '../../src/client/backends/vault';
import { ownerClaim } from '../../src/client/ownership';
import { SecretText } from '../../src/client/secret-text';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';
import { rejection } from '../support/assertions';

const text = (value: string): SecretText => new SecretText(value);

let bao: OpenBaoServer;
let stores: VaultSecretStore[] = [];
let prefixCounter = 0;

beforeAll(async () => {
  bao = await startOpenBao();
});

afterAll(async () => {
  await bao?.stop();
});

afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
});

interface Opened {
  store: VaultSecretStore;
  log: VaultRequestLogEntry[];
  prefix: string;
}

/** A store on a fresh path prefix (tests never see each other's secrets). */
function open(options: Partial<VaultSecretStoreOptions> = {}, prefix = `coffer/t${++prefixCounter}`): Opened {
  const log: VaultRequestLogEntry[] = [];
  const store = new VaultSecretStore({
    address: bao.address,
    auth: { method: 'token', token: bao.token },
    identity: 'alice',
    pathPrefix: prefix,
    env: {},
    onRequest: (entry) => log.push(entry),
    ...options,
  });
  stores.push(store);
  return { store, log, prefix };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `count` parties have arrived. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let release: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (release = resolve));
  return async () => {
    arrived += 1;
    if (arrived === count) release();
    await all;
  };
}

describe('VaultSecretStore on OpenBao', () => {
  test('create, get, list, update, readValue, delete', async () => {
    const { store } = open();
    expect(store.kind).toBe('vault');
    expect(store.capabilities).toEqual({ fileOwnerAndMode: true, defaults: true, valueVersion: true, readValue: true, ownerClaim: true });

    const created = await store.create('me', {
      name: 'github token',
      value: text('ghp_first'),
      description: 'for gh',
      envName: 'GITHUB_TOKEN',
    });
    expect(created).toMatchObject({
      user: 'alice',
      name: 'github token',
      description: 'for gh',
      envName: 'GITHUB_TOKEN',
      filePath: '',
      enabled: true,
      valueVersion: 1,
      isDefault: false,
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.createdAt).toBe(created.updatedAt);
    expect(created).not.toHaveProperty('fileOwner');
    expect(created).not.toHaveProperty('fileMode');

    expect(await store.get('me', 'github token')).toEqual(created);
    expect(await store.get('alice', 'github token')).toEqual(created);
    expect(await store.list('me')).toEqual([created]);
    expect((await store.readValue('me', 'github token')).reveal()).toBe('ghp_first');

    await sleep(5);
    const updated = await store.update('me', 'github token', { value: text('ghp_second') });
    expect(updated.id).toBe(created.id);
    expect(updated.valueVersion).toBe(2);
    expect(updated.createdAt).toBe(created.createdAt);
    expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
    expect(await store.get('me', 'github token')).toEqual(updated);
    expect((await store.readValue('me', 'github token')).reveal()).toBe('ghp_second');

    await store.delete('me', 'github token');
    await rejection(store.get('me', 'github token'), SecretNotFoundError);
    await rejection(store.readValue('me', 'github token'), SecretNotFoundError);
    await rejection(store.delete('me', 'github token'), SecretNotFoundError);
    await rejection(store.update('me', 'github token', { description: 'x' }), SecretNotFoundError);
    expect(await store.list('me')).toEqual([]);

    // The name is free again, and versions restart: delete removed metadata and every version.
    const again = await store.create('me', { name: 'github token', value: text('v'), enabled: false });
    expect(again.valueVersion).toBe(1);
    expect(again.id).not.toBe(created.id);
  });

  test('partial updates leave absent fields alone and "" / null clear', async () => {
    const { store } = open();
    await store.create('me', {
      name: 'ssh',
      value: text('key'),
      description: 'deploy key',
      envName: 'SSH_KEY',
      filePath: '~/.ssh/id_deploy',
      fileOwner: 'alice:staff',
      fileMode: 0o440,
      isDefault: true,
    });
    const a = await store.update('me', 'ssh', { description: 'the deploy key' });
    expect(a).toMatchObject({
      description: 'the deploy key',
      envName: 'SSH_KEY',
      filePath: '~/.ssh/id_deploy',
      enabled: true,
      fileOwner: 'alice:staff',
      fileMode: 0o440,
      isDefault: true,
      valueVersion: 1,
    });
    const b = await store.update('me', 'ssh', {
      envName: '',
      description: '',
      fileOwner: '',
      fileMode: null,
      isDefault: false,
    });
    expect(b).toMatchObject({
      description: '',
      envName: '',
      filePath: '~/.ssh/id_deploy',
      isDefault: false,
      valueVersion: 1,
    });
    expect(b).not.toHaveProperty('fileOwner');
    expect(b).not.toHaveProperty('fileMode');
    expect(await store.get('me', 'ssh')).toEqual(b);

    // An enabled secret needs a target.
    const err = await rejection(store.update('me', 'ssh', { filePath: '' }), SecretValidationError);
    expect(err.field).toBe('env_name');
    const c = await store.update('me', 'ssh', { filePath: '', enabled: false });
    expect(c).toMatchObject({ filePath: '', enabled: false });
    await rejection(store.update('me', 'ssh', {}), SecretValidationError);
  });

  test('list: empty user, code-point order, names Vault cannot take verbatim', async () => {
    const { store, prefix } = open();
    expect(await store.list('me')).toEqual([]);
    expect(await store.list('nobody')).toEqual([]);
    // Control and invisible characters are refused by the shared name rule (rules.test.ts).
    const names = ['b', 'a b', 'Z', '.', '..', '.coffer', 'ünï', '😀', 'a~b', 'semi;colon', '%41', 'é', 'a%2Fb'];
    for (const name of names) await store.create('me', { name, value: text(`v-${name}`), enabled: false });
    const listed = await store.list('me');
    const expected = [...names].sort((x, y) => {
      const a = [...x].map((c) => c.codePointAt(0)!);
      const b = [...y].map((c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
      return a.length - b.length;
    });
    expect(listed.map((s) => s.name)).toEqual(expected);
    for (const name of names) expect((await store.readValue('me', name)).reveal()).toBe(`v-${name}`);
    // Escaped keys are what OpenBao holds (no claims folder: these secrets have no targets).
    const raw = await bao.api('LIST', `secret/metadata/${prefix}/alice/`);
    expect(raw.body.data.keys).toEqual(expect.arrayContaining(['a b', '.coffer', '😀', '#Lg', '#Li4']));
    // Other users are separate.
    expect(await store.list('bob')).toEqual([]);
  });

  test('env_name and file_path are unique per user, with the conflicting field', async () => {
    const { store } = open();
    await store.create('me', { name: 'one', value: text('1'), envName: 'API_KEY', filePath: '/etc/one' });
    let err = await rejection(
      store.create('me', { name: 'two', value: text('2'), envName: 'API_KEY' }),
      SecretConflictError,
    );
    expect(err.field).toBe('env_name');
    expect(err.message).toContain('"one"');
    err = await rejection(
      store.create('me', { name: 'two', value: text('2'), filePath: '/etc/one' }),
      SecretConflictError,
    );
    expect(err.field).toBe('file_path');
    err = await rejection(store.create('me', { name: 'one', value: text('2'), envName: 'OTHER' }), SecretConflictError);
    expect(err.field).toBe('name');
    // Another user may use the same targets.
    await store.create('bob', { name: 'two', value: text('2'), envName: 'API_KEY' });

    await store.create('me', { name: 'two', value: text('2'), envName: 'TWO' });
    err = await rejection(store.update('me', 'two', { envName: 'API_KEY' }), SecretConflictError);
    expect(err.field).toBe('env_name');
    // Moving a target frees the old one.
    await store.update('me', 'one', { envName: 'API_KEY_OLD' });
    await store.update('me', 'two', { envName: 'API_KEY' });
    await store.delete('me', 'one');
    await store.create('me', { name: 'three', value: text('3'), envName: 'API_KEY_OLD', filePath: '/etc/one' });
  });

  test('two concurrent creates claiming the same env_name: exactly one wins', async () => {
    const { store: a } = open({}, 'coffer/race-env');
    const { store: b } = open({}, 'coffer/race-env');
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled([
        a.create('me', { name: `a${round}`, value: text('a'), envName: `SHARED_${round}` }),
        b.create('me', { name: `b${round}`, value: text('b'), envName: `SHARED_${round}` }),
      ]);
      const ok = results.filter((r) => r.status === 'fulfilled');
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(ok).toHaveLength(1);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.reason).toBeInstanceOf(SecretConflictError);
      expect(failed[0]!.reason.field).toBe('env_name');
    }
    const users = (await a.list('me')).map((s) => s.envName).sort();
    expect(users).toEqual(['SHARED_0', 'SHARED_1', 'SHARED_2', 'SHARED_3', 'SHARED_4']);
  });

  test('two writers read the same version; one wins, the other gets a conflict', async () => {
    const gate = barrier(2);
    const options = { beforeDataWrite: async (w: { op: string }) => (w.op === 'update' ? gate() : undefined) };
    const { store: a } = open(options, 'coffer/race-value');
    const { store: b } = open(options, 'coffer/race-value');
    await a.create('me', { name: 'db', value: text('v1'), envName: 'DB' });
    const results = await Promise.allSettled([
      a.update('me', 'db', { value: text('from-a') }),
      b.update('me', 'db', { value: text('from-b') }),
    ]);
    const ok = results.filter(
      (r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof a.update>>> => r.status === 'fulfilled',
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    const err = failed[0]!.reason as SecretConflictError;
    expect(err).toBeInstanceOf(SecretConflictError);
    expect(err.field).toBe('value');
    expect(err.message).toBe('secret "db" of user "alice" was changed concurrently; retry');
    const winner = results[0]!.status === 'fulfilled' ? 'from-a' : 'from-b';
    expect((await a.readValue('me', 'db')).reveal()).toBe(winner);
    expect(ok[0]!.value.valueVersion).toBe(2);

    // Metadata-only changes are check-and-set writes too.
    const gate2 = barrier(2);
    const options2 = { beforeDataWrite: async (w: { op: string }) => (w.op === 'update' ? gate2() : undefined) };
    const { store: c } = open(options2, 'coffer/race-value');
    const { store: d } = open(options2, 'coffer/race-value');
    const meta = await Promise.allSettled([
      c.update('me', 'db', { description: 'from c' }),
      d.update('me', 'db', { enabled: false }),
    ]);
    expect(meta.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const metaErr = (meta.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
    expect(metaErr).toBeInstanceOf(SecretConflictError);
    expect(metaErr.field).toBe('name');
    const final = await a.get('me', 'db');
    expect(final.description === 'from c' ? final.enabled : !final.enabled).toBe(true);
    expect(final.valueVersion).toBe(2);
  });

  test('validation errors name the field and write nothing', async () => {
    const { store, log, prefix } = open();
    const cases: [Parameters<typeof store.create>[1], string][] = [
      [{ name: 'x', value: text('v'), envName: '1BAD' }, 'env_name'],
      [{ name: 'x', value: text('v'), envName: 'PATH' }, 'env_name'],
      [{ name: 'x', value: text('v'), filePath: 'relative' }, 'file_path'],
      [{ name: 'x', value: text('v') }, 'env_name'],
      [{ name: 'a/b', value: text('v'), envName: 'X' }, 'name'],
      [{ name: ' x', value: text('v'), envName: 'X' }, 'name'],
      [{ name: 'x', value: text(''), envName: 'X' }, 'value'],
      [{ name: 'x', value: text('v'.repeat(24 * 1024 + 1)), envName: 'X' }, 'value'],
      [{ name: 'x', value: text('v'), envName: 'X', fileMode: 0o10000 }, 'file_mode'],
      [{ name: 'x', value: text('v'), envName: 'X', fileOwner: 'a b' }, 'file_owner'],
      [{ name: 'x', value: text('v'), envName: 'X', description: 'd'.repeat(16 * 1024 + 1) }, 'description'],
    ];
    for (const [input, field] of cases) {
      const err = await rejection(store.create('me', input), SecretValidationError);
      expect(err.field).toBe(field);
    }
    expect(log.filter((e) => e.method !== 'GET' && e.method !== 'LIST')).toEqual([]);
    const err = await rejection(
      store.create('a/b', { name: 'x', value: text('v'), envName: 'X' }),
      SecretValidationError,
    );
    expect(err.field).toBe('user');
    expect((await bao.api('LIST', `secret/metadata/${prefix}/`)).status).toBe(404);
  });

  test('importBatch creates all or none', async () => {
    const { store } = open();
    await store.create('me', { name: 'existing', value: text('e'), envName: 'EXISTING' });
    const good = [
      { name: 'i1', value: text('1'), envName: 'I1' },
      { name: 'i2', value: text('2'), filePath: '~/.i2' },
    ];
    let err = await rejection(
      store.importBatch('me', [...good, { name: 'existing', value: text('x'), envName: 'I3' }]),
      SecretConflictError,
    );
    expect(err.field).toBe('name');
    expect(err.message).toContain('import item 3');
    err = await rejection(
      store.importBatch('me', [...good, { name: 'i3', value: text('x'), envName: 'EXISTING' }]),
      SecretConflictError,
    );
    expect(err.field).toBe('env_name');
    err = await rejection(
      store.importBatch('me', [...good, { name: 'i3', value: text('x'), envName: 'I1' }]),
      SecretConflictError,
    );
    expect(err.field).toBe('env_name');
    const verr = await rejection(
      store.importBatch('me', [...good, { name: 'i3', value: text('x'), envName: 'bad-name' }]),
      SecretValidationError,
    );
    expect(verr.message).toContain('import item 3');
    expect((await store.list('me')).map((s) => s.name)).toEqual(['existing']);

    expect(await store.importBatch('me', [])).toEqual([]);
    const done = await store.importBatch('me', good);
    expect(done.map((s) => s.name)).toEqual(['i1', 'i2']);
    expect((await store.list('me')).map((s) => s.name)).toEqual(['existing', 'i1', 'i2']);
  });

  test('importBatch rolls back the secrets it wrote when a later write fails', async () => {
    // Someone else creates "b2" between our checks and our write of it: cas=0 fails for that one.
    const { prefix } = open();
    const { store } = open(
      {
        beforeDataWrite: async (w) => {
          if (w.op === 'create' && w.name === 'b2') {
            await bao.api('POST', `secret/data/${prefix}/alice/b2`, { options: { cas: 0 }, data: { value: 'theirs' } });
          }
        },
        concurrency: 1,
      },
      prefix,
    );
    const err = await rejection(
      store.importBatch('me', [
        { name: 'b1', value: text('1'), envName: 'B1' },
        { name: 'b2', value: text('2'), envName: 'B2' },
        { name: 'b3', value: text('3'), envName: 'B3' },
      ]),
      SecretConflictError,
    );
    expect(err.field).toBe('name');
    expect(err.message).toContain('import item 2');
    // Only the other writer's key is left; b1 was written and deleted again, b3 never.
    const names = (await store.list('me')).map((s) => s.name);
    expect(names).toEqual(['b2']);
    expect((await store.readValue('me', 'b2')).reveal()).toBe('theirs');
    // The claims were released: the targets are free.
    await store.create('me', { name: 'c', value: text('c'), envName: 'B1' });
    await store.create('me', { name: 'd', value: text('d'), envName: 'B3' });
  });

  test('valueVersion changes only when the value changes', async () => {
    const { store, log } = open();
    const a = await store.create('me', { name: 's', value: text('one'), envName: 'S' });
    expect(a.valueVersion).toBe(1);
    const b = await store.update('me', 's', { description: 'meta only' });
    expect(b.valueVersion).toBe(1);
    expect(b.updatedAt >= a.updatedAt).toBe(true);
    log.length = 0;
    const c = await store.update('me', 's', { value: text('one') });
    expect(c).toEqual(b); // same value: nothing written
    expect(log.filter((e) => e.method === 'POST' || e.method === 'PATCH')).toEqual([]);
    const d = await store.update('me', 's', { value: text('two') });
    expect(d.valueVersion).toBe(3); // the KV version that holds the value (2 held the metadata change)
    const e = await store.update('me', 's', { enabled: false, value: text('two') });
    expect(e.valueVersion).toBe(3);
    expect((await store.get('me', 's')).valueVersion).toBe(3);
    expect((await store.readValue('me', 's')).reveal()).toBe('two');
  });

  test('a 4096-byte file_path and a long description round-trip through custom_metadata', async () => {
    const { store, log, prefix } = open();
    const filePath = '/' + 'ä'.repeat(1000) + '/' + 'p'.repeat(4096 - 2002);
    expect(Buffer.byteLength(filePath)).toBe(4096);
    const description = 'd€'.repeat(3000); // 12000 bytes
    const created = await store.create('me', {
      name: 'long',
      value: text('v'),
      filePath,
      description,
      fileMode: 0o600,
    });
    expect(created.filePath).toBe(filePath);
    log.length = 0;
    const got = await store.get('me', 'long');
    expect(got).toEqual(created);
    // Served from the mirror: metadata only, no data read.
    expect(log.map((e) => `${e.method} ${e.path.split('/')[1]}`)).toEqual(['GET metadata']);
    const raw = await bao.api('GET', `secret/metadata/${prefix}/alice/long`);
    const cm = raw.body.data.custom_metadata as Record<string, string>;
    expect(Object.keys(cm).length).toBeLessThanOrEqual(64);
    for (const [k, v] of Object.entries(cm)) {
      expect(Buffer.byteLength(k)).toBeLessThanOrEqual(128);
      expect(Buffer.byteLength(v)).toBeLessThanOrEqual(512);
    }
    expect(cm['file_path.parts']).toBe('9');
    expect(cm.file_mode).toBe('0600');
    // Too long to mirror: rejected before anything is written.
    await rejection(store.update('me', 'long', { description: 'x'.repeat(16 * 1024 + 1) }), SecretValidationError);
  });

  test('a stale mirror (crash between data write and metadata write) is detected and repaired', async () => {
    const { store, log, prefix } = open();
    await store.create('me', { name: 's', value: text('v'), envName: 'S', description: 'old' });
    // Simulate a writer that died after its CAS data write, before its mirror write.
    const current = await bao.api('GET', `secret/data/${prefix}/alice/s`);
    const coffer = { ...current.body.data.data.coffer, description: 'new', write_id: 'x' };
    const w = await bao.api('POST', `secret/data/${prefix}/alice/s`, {
      options: { cas: 1 },
      data: { value: 'v', coffer },
    });
    expect(w.status).toBe(200);
    log.length = 0;
    // get/list (what plan and refresh call) read metadata only and write nothing: the last
    // mirrored metadata, flagged unverified, with the value possibly changed up to version 2.
    expect(await store.get('me', 's')).toMatchObject({ description: 'old', valueVersion: 2, metadataUnverified: true });
    expect((await store.list('me'))[0]).toMatchObject({ description: 'old', metadataUnverified: true });
    expect(log.map((e) => `${e.method} ${e.path.split('/')[1]}`).filter((r) => r !== 'LIST detailed-metadata')).toEqual(['GET metadata']);
    // The next write reads the data document of that version and repairs the mirror.
    await store.update('me', 's', { enabled: false });
    log.length = 0;
    const repaired = await store.get('me', 's');
    expect(repaired).toMatchObject({ description: 'new', enabled: false, valueVersion: 1 });
    expect(repaired.metadataUnverified).toBeUndefined();
    expect(log).toHaveLength(1);
  });

  test('an owner claim is kept with the create, in the data document and the mirror, through updates', async () => {
    const { store, prefix } = open();
    const claim = ownerClaim({ directory: '/work/infra', workspace: 'default' }, 'me', 'owned');
    expect((await store.create('me', { name: 'owned', value: text('v'), envName: 'OWNED', ownerClaim: claim })).ownerClaim).toBe(claim);
    await store.update('me', 'owned', { description: 'changed', value: text('w') });
    expect((await store.get('me', 'owned')).ownerClaim).toBe(claim);
    const doc = await bao.api('GET', `secret/data/${prefix}/alice/owned`);
    expect(doc.body.data.data.coffer.owner_claim).toBe(claim);
    await rejection(store.create('me', { name: 'other', value: text('v'), ownerClaim: 'not a claim', enabled: false }), SecretValidationError);
  });

  test('soft-deleted and foreign KV entries', async () => {
    const { store, prefix } = open();
    await store.create('me', { name: 'gone', value: text('v'), envName: 'GONE' });
    await store.update('me', 'gone', { value: text('w') });
    // `bao kv delete` by hand: the current version answers 404 with metadata.
    expect((await bao.api('DELETE', `secret/data/${prefix}/alice/gone`)).status).toBe(204);
    await rejection(store.get('me', 'gone'), SecretNotFoundError);
    await rejection(store.readValue('me', 'gone'), SecretNotFoundError);
    expect(await store.list('me')).toEqual([]);
    const again = await store.create('me', { name: 'gone', value: text('x'), envName: 'GONE' });
    expect(again.valueVersion).toBe(3);

    // Written without Coffer: listed, disabled, no targets, value readable; a stable id.
    await bao.api('POST', `secret/data/${prefix}/alice/foreign`, { data: { value: 'f' } });
    const foreign = await store.get('me', 'foreign');
    expect(foreign).toMatchObject({ name: 'foreign', enabled: false, envName: '', filePath: '', valueVersion: 1 });
    expect((await store.get('me', 'foreign')).id).toBe(foreign.id);
    expect((await store.list('me')).map((s) => s.name)).toEqual(['foreign', 'gone']);
    expect((await store.readValue('me', 'foreign')).reveal()).toBe('f');
    // Adopted by an update.
    const adopted = await store.update('me', 'foreign', { envName: 'FOREIGN', enabled: true });
    expect(adopted).toMatchObject({ id: foreign.id, envName: 'FOREIGN', enabled: true });
  });

  test('a token with a short TTL is renewed before it expires', async () => {
    await bao.api('PUT', 'sys/policies/acl/coffer-all', {
      policy: 'path "secret/*" { capabilities = ["create","read","update","patch","delete","list"] }',
    });
    const created = await bao.api('POST', 'auth/token/create', {
      policies: ['coffer-all'],
      ttl: '6s',
      explicit_max_ttl: '120s',
      renewable: true,
      no_parent: true,
    });
    const token = created.body.auth.client_token as string;
    const { store, log } = open({ auth: { method: 'token', token } });
    await store.create('me', { name: 'r', value: text('v'), envName: 'R' });
    await sleep(9000); // past the original 6 s TTL
    expect((await store.readValue('me', 'r')).reveal()).toBe('v');
    const renewals = log.filter((e) => e.path === 'auth/token/renew-self');
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    expect(renewals.every((e) => e.status === 200)).toBe(true);
    const info = await bao.api('POST', 'auth/token/lookup', { token });
    expect(info.body.data.ttl).toBeGreaterThan(0);
    expect(JSON.stringify(log)).not.toContain(token);
  }, 60_000);

  test('AppRole login with a policy limited to its own folder; 403 → fresh login', async () => {
    await bao.api('POST', 'sys/auth/approle', { type: 'approle' });
    await bao.api('PUT', 'sys/policies/acl/coffer-ci', {
      policy: [
        'path "secret/data/coffer/approle/ci-bot/*" { capabilities = ["create","read","update","patch","delete"] }',
        'path "secret/metadata/coffer/approle/ci-bot/*" { capabilities = ["create","read","update","delete","list"] }',
      ].join('\n'),
    });
    await bao.api('POST', 'auth/approle/role/ci-bot', { token_policies: ['coffer-ci'], token_ttl: '10m' });
    const roleId = (await bao.api('GET', 'auth/approle/role/ci-bot/role-id')).body.data.role_id as string;
    const secretId = (await bao.api('POST', 'auth/approle/role/ci-bot/secret-id')).body.data.secret_id as string;

    const { store, log } = open(
      { auth: { method: 'approle', roleId, secretId }, identity: undefined },
      'coffer/approle',
    );
    const created = await store.create('me', { name: 'deploy', value: text('d'), envName: 'DEPLOY' });
    expect(created.user).toBe('ci-bot'); // `me` = the role name from lookup-self
    expect((await store.list('me')).map((s) => s.name)).toEqual(['deploy']);
    expect(log.filter((e) => e.path === 'auth/approle/login')).toHaveLength(1);
    expect(await store.update('me', 'deploy', { description: 'via PATCH' })).toMatchObject({
      description: 'via PATCH',
    });
    expect(log.some((e) => e.method === 'PATCH' && e.status === 200)).toBe(true);
    // The policy keeps it out of other users' folders.
    const denied = await rejection(store.list('someone-else'), SecretStoreError);
    expect(denied.code).toBe('unauthorized');
    expect(denied.message).toContain('permission denied');

    // Revoke every AppRole token behind the store's back: the next call logs in again.
    expect((await bao.api('PUT', 'sys/leases/revoke-prefix/auth/approle/login', {})).status).toBe(204);
    log.length = 0;
    expect((await store.readValue('me', 'deploy')).reveal()).toBe('d');
    expect(log.map((e) => `${e.status} ${e.path}`)).toEqual([
      '403 secret/data/coffer/approle/ci-bot/deploy',
      '403 auth/token/lookup-self',
      '200 auth/approle/login',
      '200 secret/data/coffer/approle/ci-bot/deploy',
    ]);
    await store.close();
    expect(JSON.stringify(log)).not.toContain(secretId);
  });

  test('metadata-only updates work without the patch capability (read + CAS write instead)', async () => {
    await bao.api('PUT', 'sys/policies/acl/coffer-nopatch', {
      policy: [
        'path "secret/data/coffer/nopatch/*" { capabilities = ["create","read","update","delete"] }',
        'path "secret/metadata/coffer/nopatch/*" { capabilities = ["create","read","update","delete","list"] }',
      ].join('\n'),
    });
    const token = (await bao.api('POST', 'auth/token/create', { policies: ['coffer-nopatch'], ttl: '1h' })).body.auth
      .client_token as string;
    const { store, log } = open({ auth: { method: 'token', token } }, 'coffer/nopatch');
    await store.create('me', { name: 'p', value: text('keep me'), envName: 'P' });
    const updated = await store.update('me', 'p', { description: 'changed' });
    expect(updated).toMatchObject({ description: 'changed', valueVersion: 1 });
    expect(log.some((e) => e.method === 'PATCH' && e.status === 403)).toBe(true);
    expect((await store.readValue('me', 'p')).reveal()).toBe('keep me');
    expect((await store.get('me', 'p')).description).toBe('changed');
  });

  test('JWT login (CI): RS256 token checked against a configured public key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await bao.api('POST', 'sys/auth/jwt', { type: 'jwt' });
    const cfg = await bao.api('POST', 'auth/jwt/config', {
      jwt_validation_pubkeys: [publicKey.export({ type: 'spki', format: 'pem' }).toString()],
      bound_issuer: 'https://ci.example',
    });
    expect(cfg.status).toBe(204);
    await bao.api('PUT', 'sys/policies/acl/coffer-jwt', {
      policy: 'path "secret/*" { capabilities = ["create","read","update","patch","delete","list"] }',
    });
    const role = await bao.api('POST', 'auth/jwt/role/ci', {
      role_type: 'jwt',
      bound_audiences: ['coffer'],
      user_claim: 'sub',
      token_policies: ['coffer-jwt'],
      token_ttl: '5m',
    });
    expect(role.status).toBe(204);
    const now = Math.floor(Date.now() / 1000);
    const jwt = signJwt(privateKey, {
      iss: 'https://ci.example',
      sub: 'carol',
      aud: 'coffer',
      iat: now,
      nbf: now - 5,
      exp: now + 300,
    });

    const { store, log } = open({
      auth: { method: 'jwt', role: 'ci', jwtEnv: 'CI_ID_TOKEN' },
      identity: undefined,
      env: { CI_ID_TOKEN: jwt },
    });
    const created = await store.create('me', { name: 'ci', value: text('c'), envName: 'CI' });
    expect(created.user).toBe('carol'); // display_name "jwt-carol" without the mount prefix
    expect(log.some((e) => e.path === 'auth/jwt/login' && e.status === 200)).toBe(true);

    const wrong = signJwt(privateKey, {
      iss: 'https://ci.example',
      sub: 'carol',
      aud: 'other',
      iat: now,
      exp: now + 300,
    });
    const { store: bad } = open({ auth: { method: 'jwt', role: 'ci', jwt: wrong }, identity: undefined });
    const err = await rejection(bad.list('me'), SecretStoreError);
    expect(err.code).toBe('unauthorized');
    expect(err.message).not.toContain(wrong);
  });

  test('retries 503s from a proxy, then gives up with a retryable error', async () => {
    let failuresLeft = 2;
    const proxy = http.createServer((req, res) => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end('{"errors":["Vault is sealed"]}');
        req.resume();
        return;
      }
      const upstream = http.request(
        { host: '127.0.0.1', port: new URL(bao.address).port, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const { store, log } = open({ address: `http://127.0.0.1:${port}`, retryBaseMs: 10 });
      expect(await store.list('me')).toEqual([]);
      expect(log.slice(0, 3).map((e) => [e.status, e.attempt])).toEqual([
        [503, 1],
        [503, 2],
        [200, 3],
      ]);

      failuresLeft = 100;
      const { store: impatient } = open({ address: `http://127.0.0.1:${port}`, retryBaseMs: 5, maxAttempts: 3 });
      const err = await rejection(impatient.list('me'), BackendUnavailableError);
      expect(err.retryable).toBe(true);
      expect(err.message).toContain('503');
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  test('a write that landed but whose answer was lost is not reported as a conflict on retry', async () => {
    // The proxy forwards the first secret write, lets OpenBao apply it, then drops the connection.
    let drops = 0;
    const proxy = http.createServer((req, res) => {
      const drop =
        drops === 0 &&
        (req.method === 'POST' || req.method === 'PATCH') &&
        /\/data\/coffer\/lost\/alice\/s$/.test(req.url ?? '');
      if (drop) drops += 1;
      const upstream = http.request(
        { host: '127.0.0.1', port: new URL(bao.address).port, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          if (drop) {
            r.resume();
            r.on('end', () => res.socket?.destroy());
            return;
          }
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const { store, log } = open({ address: `http://127.0.0.1:${port}`, retryBaseMs: 5 }, 'coffer/lost');
      const created = await store.create('me', { name: 's', value: text('v1'), envName: 'S' });
      expect(drops).toBe(1);
      expect(created.valueVersion).toBe(1);
      const writes = log.filter((e) => e.method === 'POST' && e.path.endsWith('/alice/s') && e.path.includes('/data/'));
      expect(writes.map((e) => [e.status, e.attempt])).toEqual([
        [0, 1],
        [400, 2], // "check-and-set parameter did not match": our own first attempt
      ]);
      drops = 0;
      const updated = await store.update('me', 's', { description: 'd' }); // PATCH
      expect(drops).toBe(1);
      expect(updated).toMatchObject({ description: 'd', valueVersion: 1 });
      expect((await store.get('me', 's')).description).toBe('d');
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  test('an unreachable server is a retryable BackendUnavailableError', async () => {
    const { store } = open({ address: 'http://127.0.0.1:1', retryBaseMs: 5, maxAttempts: 2 });
    const err = await rejection(store.list('me'), BackendUnavailableError);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('ECONNREFUSED');
  });

  test('canary: a value never shows up in the request log or in error messages', async () => {
    const canary = `CANARY-${randomBytes(12).toString('hex')}`;
    const gate = barrier(2);
    const options = { beforeDataWrite: async (w: { op: string }) => (w.op === 'update' ? gate() : undefined) };
    const { store, log } = open(options, 'coffer/canary');
    const { store: other, log: otherLog } = open(options, 'coffer/canary');
    const messages: string[] = [];
    const capture = async (p: Promise<unknown>): Promise<void> => {
      try {
        await p;
      } catch (error) {
        messages.push(String(error), (error as Error).message, JSON.stringify(error), (error as Error).stack ?? '');
      }
    };
    await store.create('me', { name: 'c', value: text(canary), envName: 'C' });
    await capture(store.create('me', { name: 'c', value: text(canary), envName: 'C2' }));
    await capture(store.create('me', { name: 'd', value: text(canary), envName: 'C' }));
    await capture(store.create('me', { name: 'e', value: text(canary + '\0'), envName: 'E' }));
    await Promise.all([
      capture(store.update('me', 'c', { value: text(`${canary}-a`) })),
      capture(other.update('me', 'c', { value: text(`${canary}-b`) })),
    ]);
    await capture(
      store.importBatch('me', [
        { name: 'f', value: text(canary), envName: 'F' },
        { name: 'c', value: text(canary), envName: 'G' },
      ]),
    );
    const read = await store.readValue('me', 'c');
    expect(String(read)).toBe('[redacted]');
    expect(JSON.stringify(await store.list('me'))).not.toContain(canary);
    expect(messages.length).toBeGreaterThan(0);
    const everything = JSON.stringify([log, otherLog, messages]);
    expect(everything).not.toContain(canary);
    expect(everything).not.toContain(bao.token);
    for (const entry of [...log, ...otherLog]) {
      expect(Object.keys(entry).sort()).toEqual(expect.arrayContaining(['attempt', 'method', 'ms', 'path', 'status']));
    }
  });

  test('close() makes further calls fail and is idempotent', async () => {
    const { store } = open();
    await store.list('me');
    await store.close();
    await store.close();
    const err = await rejection(store.list('me'), SecretStoreError);
    expect(err.code).toBe('unavailable');
  });
});

function signJwt(privateKey: import('node:crypto').KeyObject, claims: Record<string, unknown>): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}`;
  const signature = createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url');
  return `${input}.${signature}`;
}
