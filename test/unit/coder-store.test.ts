import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import {
  CoderSecretStore,
  type CoderRequestLogEntry,
  type CoderSecretStoreOptions,
} from '../../src/client/backends/coder';
import {
  BackendUnavailableError,
  SecretConflictError,
  SecretNotFoundError,
  SecretStoreError,
  SecretValidationError,
} from '../../src/client/errors';
import type { SecretStore } from '../../src/client/secret-store';
import { CoderDouble, type CoderDoubleOptions } from '../support/coder-double';
import { rejection } from '../support/assertions';
import { describeCoderStoreContract, text } from '../support/coder-double/contract';

// The same behavioural checks the real-server test runs, against both API shapes of the double.
let current: CoderDouble;
let legacy: CoderDouble;
beforeAll(async () => {
  current = await CoderDouble.start();
  legacy = await CoderDouble.start({ version: 'v2.33' });
});
afterAll(async () => {
  await current.close();
  await legacy.close();
});

describeCoderStoreContract('double, current API', {
  url: () => current.url,
  token: () => current.user.token,
  expectedOwner: () => current.user.username,
});
describeCoderStoreContract('double, v2.33 API (no enabled, no /batch)', {
  url: () => legacy.url,
  token: () => legacy.user.token,
  expectedOwner: () => legacy.user.username,
});
describeCoderStoreContract('double, addressed by username', {
  url: () => current.url,
  token: () => current.user.token,
  user: 'alice',
});

describe('CoderSecretStore against the double', () => {
  let double: CoderDouble;
  let log: CoderRequestLogEntry[];
  const stores: CoderSecretStore[] = [];

  async function fresh(options: CoderDoubleOptions = {}): Promise<CoderDouble> {
    await double?.close();
    double = await CoderDouble.start(options);
    return double;
  }

  function open(options: Partial<CoderSecretStoreOptions> = {}): CoderSecretStore {
    log = [];
    const store = new CoderSecretStore({
      url: double.url,
      token: double.user.token,
      env: {},
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 5,
      onRequest: (entry) => log.push(entry),
      ...options,
    });
    stores.push(store);
    return store;
  }

  beforeEach(async () => {
    await fresh();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await double.close();
  });

  test('implements SecretStore with kind "coder"; configuration comes from options or CODER_* env', async () => {
    const store: SecretStore = new CoderSecretStore({
      env: { CODER_URL: double.url, CODER_SESSION_TOKEN: double.user.token },
    });
    stores.push(store as CoderSecretStore);
    expect(store.kind).toBe('coder');
    expect(await store.list('me')).toEqual([]);
    expect(() => new CoderSecretStore({ env: {} })).toThrow(
      expect.objectContaining({ code: 'validation', field: 'url' }),
    );
    expect(() => new CoderSecretStore({ env: { CODER_URL: double.url } })).toThrow(
      expect.objectContaining({ code: 'unauthorized', field: 'token' }),
    );
    expect(() => new CoderSecretStore({ url: 'ftp://x', token: 't' })).toThrow(
      expect.objectContaining({ field: 'url' }),
    );
    expect(() => new CoderSecretStore({ url: 'https://u:p@x', token: 't' })).toThrow(
      expect.objectContaining({ field: 'url' }),
    );
    expect(new CoderSecretStore({ url: 'coder.example.com/', token: 't' }).url).toBe('https://coder.example.com');
    expect(new CoderSecretStore({ url: 'localhost:3000', token: 't' }).url).toBe('http://localhost:3000');
  });

  test('values reach the server intact, as request bodies only', async () => {
    const store = open();
    const value = 'multi\nline "quoted" ünïcødé 😀 \\ end\n';
    await store.create('me', { name: 'api', value: text(value), envName: 'API_KEY' });
    expect(double.valueOf('alice', 'api')).toBe(value);
    await store.update('me', 'api', { value: text('second') });
    expect(double.valueOf('alice', 'api')).toBe('second');
    await store.update('me', 'api', { description: 'only metadata' });
    expect(double.valueOf('alice', 'api')).toBe('second');
    expect(log.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([
      'POST /api/v2/users/me/secrets 201',
      'GET /api/v2/users/me 200',
      'PATCH /api/v2/users/me/secrets/api 200',
      'PATCH /api/v2/users/me/secrets/api 200',
    ]);
    for (const entry of log) expect(Object.keys(entry).sort()).toEqual(['method', 'ms', 'path', 'status']);
  });

  test('"me" resolves to the username; a username or UUID is passed through', async () => {
    const store = open();
    const viaMe = await store.create('me', { name: 'a', value: text('v'), envName: 'A' });
    expect(viaMe.user).toBe('alice');
    const viaId = await store.get(double.user.id, 'a');
    expect(viaId).toEqual({ ...viaMe, user: double.user.id });
    const unresolved = open({ resolveMe: false });
    expect((await unresolved.get('me', 'a')).user).toBe('me');
  });

  test('conflicts reported by the server carry the field (create has no pre-check)', async () => {
    const store = open();
    await store.create('me', { name: 'one', value: text('v'), envName: 'ONE', filePath: '/etc/one' });
    log.length = 0;
    const error = await rejection(
      store.create('me', { name: 'two', value: text('v'), filePath: '/etc/one', enabled: true }),
      SecretConflictError,
    );
    expect(error.field).toBe('file_path');
    expect(error.message).toContain('409');
    expect(log).toEqual([expect.objectContaining({ method: 'POST', status: 409 })]);
  });

  test('server-side validation maps fields and combines message and detail', async () => {
    await fresh({ disableFilePath: true });
    const store = open();
    const error = await rejection(
      store.create('me', { name: 'f', value: text('v'), filePath: '~/.f' }),
      SecretValidationError,
    );
    expect(error.field).toBe('file_path');
    expect(error.message).toContain('Validation failed.');
    expect(error.message).toContain('file_path: File path delivery is disabled');
  });

  test('per-user limits from the server are code "limit"', async () => {
    double.seed(
      'alice',
      Array.from({ length: 50 }, (_, i) => ({ name: `s${i}`, value: 'v', envName: `S${i}` })),
    );
    const store = open();
    const count = await rejection(
      store.create('me', { name: 'one-more', value: text('v'), envName: 'MORE' }),
      SecretStoreError,
    );
    expect(count).toMatchObject({ code: 'limit' });
    expect(count.message).toContain('User secrets limit reached.');

    await fresh();
    double.seed(
      'alice',
      Array.from({ length: 8 }, (_, i) => ({ name: `big${i}`, value: 'x'.repeat(24 * 1024), enabled: false })),
    );
    const bytes = await rejection(
      open().create('me', { name: 'b', value: text('y'.repeat(10 * 1024)), enabled: false }),
      SecretStoreError,
    );
    expect(bytes).toMatchObject({ code: 'limit', field: 'value' });

    await fresh();
    double.seed('alice', [{ name: 'env-heavy', value: 'x'.repeat(20 * 1024), envName: 'HEAVY' }]);
    const env = await rejection(
      open().create('me', { name: 'e', value: text('y'.repeat(5 * 1024)), envName: 'E' }),
      SecretStoreError,
    );
    expect(env).toMatchObject({ code: 'limit', field: 'env_name' });
    // A file-delivered secret does not count towards the environment budget.
    await open().create('me', { name: 'f', value: text('y'.repeat(5 * 1024)), filePath: '~/f' });
  });

  test('importBatch uses /batch when the inputs fit an import file, else creates one by one', async () => {
    const store = open();
    await store.importBatch('me', [
      { name: 'FIRST', value: text('1'), envName: 'FIRST' },
      { name: 'SECOND', value: text('2'), envName: 'SECOND', enabled: true },
    ]);
    expect(log.filter((e) => e.method === 'POST').map((e) => e.path)).toEqual(['/api/v2/users/me/secrets/batch']);
    expect(double.valueOf('alice', 'SECOND')).toBe('2');
    log.length = 0;
    await store.importBatch('me', [
      { name: 'THIRD', value: text('3'), envName: 'THIRD' },
      { name: 'fourth', value: text('4'), envName: 'FOURTH' },
    ]);
    expect(log.filter((e) => e.method === 'POST').map((e) => e.path)).toEqual([
      '/api/v2/users/me/secrets',
      '/api/v2/users/me/secrets',
    ]);
  });

  test('importBatch falls back to single creates on a server without /batch', async () => {
    await fresh({ batchEndpoint: false });
    const store = open();
    const result = await store.importBatch('me', [
      { name: 'A', value: text('1'), envName: 'A' },
      { name: 'B', value: text('2'), envName: 'B' },
    ]);
    expect(result.map((m) => m.name)).toEqual(['A', 'B']);
    expect(log.filter((e) => e.method === 'POST').map((e) => `${e.path} ${e.status}`)).toEqual([
      '/api/v2/users/me/secrets/batch 404',
      '/api/v2/users/me/secrets 201',
      '/api/v2/users/me/secrets 201',
    ]);
    expect(store.serverFeatures.batchEndpoint).toBe(false);
    log.length = 0;
    await store.importBatch('me', [{ name: 'C', value: text('3'), envName: 'C' }]);
    expect(log.some((e) => e.path.endsWith('/batch'))).toBe(false);
  });

  test('a failing /batch import leaves nothing behind (server-side atomicity)', async () => {
    // Stored bytes the client cannot see: existing values near the 200 KiB budget.
    double.seed(
      'alice',
      Array.from({ length: 8 }, (_, i) => ({ name: `big${i}`, value: 'x'.repeat(24 * 1024), enabled: false })),
    );
    const store = open();
    const before = double.secretsOf('alice').length;
    const error = await rejection(
      store.importBatch('me', [
        { name: 'K1', value: text('a'.repeat(5 * 1024)), envName: 'K1' },
        { name: 'K2', value: text('b'.repeat(5 * 1024)), envName: 'K2' },
      ]),
      SecretStoreError,
    );
    expect(error).toMatchObject({ code: 'limit' });
    expect(error.message).toContain('import item 2 ("K2")');
    expect(double.secretsOf('alice')).toHaveLength(before);
  });

  test('a failing sequential import rolls back what it created', async () => {
    double.seed(
      'alice',
      Array.from({ length: 8 }, (_, i) => ({ name: `big${i}`, value: 'x'.repeat(24 * 1024), enabled: false })),
    );
    const store = open();
    const error = await rejection(
      store.importBatch('me', [
        { name: 'r1', value: text('a'.repeat(5 * 1024)), filePath: '~/r1' },
        { name: 'r2', value: text('b'.repeat(5 * 1024)), filePath: '~/r2' },
        { name: 'r3', value: text('c'.repeat(5 * 1024)), filePath: '~/r3' },
      ]),
      SecretStoreError,
    );
    expect(error.code).toBe('limit');
    expect(error.message).toContain('import item 2 ("r2")');
    expect(error.message).toContain('nothing was imported (the 1 secret(s) created before it were deleted again)');
    expect(double.secretsOf('alice').map((s) => s.name)).toEqual([
      'big0',
      'big1',
      'big2',
      'big3',
      'big4',
      'big5',
      'big6',
      'big7',
    ]);
    expect(log.filter((e) => e.method === 'DELETE').map((e) => `${e.path} ${e.status}`)).toEqual([
      '/api/v2/users/me/secrets/r1 204',
    ]);
  });

  test('a create whose answer is lost is rolled back too', async () => {
    const store = open();
    double.failNext({ method: 'POST', path: '/secrets', afterHandling: true, times: 1 });
    await store.create('me', { name: 'warmup', value: text('w'), envName: 'WARM' }).catch(() => undefined);
    expect(double.valueOf('alice', 'warmup')).toBe('w'); // applied although the client saw a failure
    await store.delete('me', 'warmup');
    const error = await rejection(
      (async () => {
        await store.importBatch('me', [{ name: 'ok1', value: text('1'), filePath: '/x/1' }]); // succeeds
        double.failNext({ method: 'POST', path: '/secrets', afterHandling: true, times: 1 });
        return store.importBatch('me', [
          { name: 'u1', value: text('1'), filePath: '/u/1' },
          { name: 'u2', value: text('2'), filePath: '/u/2' },
        ]);
      })(),
      BackendUnavailableError,
    );
    expect(error.message).toContain('may or may not have been applied');
    expect(error.message).toContain('nothing was imported');
    expect(double.secretsOf('alice').map((s) => s.name)).toEqual(['ok1']);
  });

  test('GET is retried on 5xx and network errors, POST is not', async () => {
    const store = open();
    await store.create('me', { name: 'r', value: text('v'), envName: 'R' });
    log.length = 0;
    double.failNext({ method: 'GET', path: '/secrets/r', status: 503, times: 2 });
    expect((await store.get('me', 'r')).name).toBe('r');
    expect(log.map((e) => e.status)).toEqual([503, 503, 200]);

    log.length = 0;
    double.failNext({ method: 'GET', path: '/secrets', reset: true, times: 1 });
    expect(await store.list('me')).toHaveLength(1);
    expect(log.map((e) => e.status)).toEqual([0, 200]);

    log.length = 0;
    double.failNext({ method: 'GET', path: '/secrets', status: 500, times: 10 });
    const exhausted = await rejection(store.list('me'), BackendUnavailableError);
    expect(exhausted.retryable).toBe(true);
    expect(exhausted.message).toContain('after 4 attempts');
    expect(log).toHaveLength(4);
    double.clearFaults();

    log.length = 0;
    double.failNext({ method: 'POST', status: 502 });
    const post = await rejection(
      store.create('me', { name: 'p', value: text('v'), envName: 'P' }),
      BackendUnavailableError,
    );
    expect(post.message).toContain('502');
    expect(log.filter((e) => e.method === 'POST')).toHaveLength(1);
    double.failNext({ method: 'PATCH', status: 503 });
    await rejection(store.update('me', 'r', { description: 'x' }), BackendUnavailableError);
    expect(log.filter((e) => e.method === 'PATCH')).toHaveLength(1);
  });

  test('DELETE is retried; a 404 after a lost answer counts as deleted', async () => {
    const store = open();
    await store.create('me', { name: 'd', value: text('v'), envName: 'D' });
    log.length = 0;
    double.failNext({ method: 'DELETE', afterHandling: true });
    await store.delete('me', 'd');
    expect(log.map((e) => e.status)).toEqual([0, 404]);
    await rejection(store.delete('me', 'd'), SecretNotFoundError);
  });

  test('an unreachable server is BackendUnavailableError after bounded retries', async () => {
    const url = double.url;
    await double.close();
    const store = open({ url });
    const error = await rejection(store.list('me'), BackendUnavailableError);
    expect(error.message).toMatch(/did not answer GET \/api\/v2\/users\/me\/secrets \(ECONNREFUSED\) after 4 attempts/);
    double = await CoderDouble.start();
  });

  test('401, 403, unknown users and 413 map to typed errors', async () => {
    const wrong = open({ token: 'wrongtoken-0000000000000000000000' });
    const unauthorized = await rejection(wrong.list('me'), SecretStoreError);
    expect(unauthorized).toMatchObject({ code: 'unauthorized', retryable: false });
    expect(unauthorized.message).toContain('401');
    expect(unauthorized.message).not.toContain('wrongtoken');

    const store = open();
    const forbidden = await rejection(store.list('bob'), SecretStoreError);
    expect(forbidden).toMatchObject({ code: 'unauthorized' });
    expect(forbidden.message).toContain('403');

    const unknown = await rejection(
      store.create('nobody', { name: 'x', value: text('v'), envName: 'X' }),
      SecretStoreError,
    );
    expect(unknown).toMatchObject({ code: 'not_found', field: 'user' });

    double.failNext({ method: 'POST', status: 413, body: { message: 'Request body exceeds 8 MiB.' } });
    const tooLarge = await rejection(
      store.create('me', { name: 'x', value: text('v'), envName: 'X' }),
      SecretStoreError,
    );
    expect(tooLarge).toMatchObject({ code: 'limit' });
    expect(tooLarge.message).toContain('8 MiB');
  });

  test('server text that echoes a value or the token is scrubbed', async () => {
    const canary = `CANARY-${randomBytes(8).toString('hex')}`;
    const store = open();
    double.failNext({
      method: 'POST',
      status: 400,
      body: {
        message: `Validation failed for ${canary}.`,
        detail: `token ${double.user.token}`,
        validations: [{ field: 'value', detail: `bad value "${canary}"` }],
      },
    });
    const error = await rejection(
      store.create('me', { name: 'x', value: text(canary), envName: 'X' }),
      SecretValidationError,
    );
    expect(error.field).toBe('value');
    expect(error.message).toContain('[redacted]');
    expect(error.message).not.toContain(canary);
    expect(error.message).not.toContain(double.user.token);
    expect(inspect(error)).not.toContain(canary);
  });

  test('redirects are not followed (the token header would go along)', async () => {
    const store = open();
    double.failNext({ method: 'GET', status: 307, body: { message: 'moved' } });
    const error = await rejection(store.list('me'), SecretStoreError);
    expect(error.message).toContain('redirect');
  });

  test('close() refuses further calls', async () => {
    const store = open();
    await store.close();
    await expect(store.list('me')).rejects.toMatchObject({ code: 'unavailable', retryable: false });
  });

  describe('on a server without "enabled" (v2.33)', () => {
    beforeEach(async () => {
      await fresh({ version: 'v2.33' });
    });

    test('enabled is derived from the targets; asking to keep a target undelivered is unsupported', async () => {
      double.seed('alice', [{ name: 'legacy-quiet', value: 'v' }]);
      const store = open();
      expect(await store.get('me', 'legacy-quiet')).toMatchObject({ enabled: false, envName: '' });
      const delivered = await store.create('me', { name: 'on', value: text('v'), envName: 'ON' });
      expect(delivered.enabled).toBe(true);
      expect(store.serverFeatures.enabledField).toBe(false);
      log.length = 0;
      const error = await rejection(
        store.create('me', { name: 'off', value: text('v'), envName: 'OFF', enabled: false }),
        SecretStoreError,
      );
      expect(error).toMatchObject({ code: 'unsupported', field: 'enabled' });
      expect(error.message).toContain('has no "enabled" flag');
      expect(log).toEqual([]);
      expect(double.valueOf('alice', 'off')).toBeUndefined();
      await rejection(store.update('me', 'on', { enabled: false }), SecretStoreError);
      const off = await store.update('me', 'on', { envName: '', enabled: false });
      expect(off).toMatchObject({ envName: '', enabled: false });
      await rejection(store.update('me', 'on', { envName: 'ON' }), SecretStoreError);
      expect(await store.update('me', 'on', { envName: 'ON', enabled: true })).toMatchObject({
        envName: 'ON',
        enabled: true,
      });
      log.length = 0;
      expect(await store.update('me', 'on', { enabled: true })).toMatchObject({ enabled: true });
      expect(log.filter((e) => e.method === 'PATCH')).toEqual([]);
      await rejection(store.update('me', 'on', { envName: '' }), SecretValidationError);
    });

    test('the build version decides before anything is written when no secret shows the shape', async () => {
      const store = open();
      const error = await rejection(
        store.create('me', { name: 'off', value: text('v'), envName: 'OFF', enabled: false }),
        SecretStoreError,
      );
      expect(error.code).toBe('unsupported');
      expect(log.map((e) => `${e.method} ${e.path}`)).toEqual([
        'GET /api/v2/users/me/secrets',
        'GET /api/v2/users/me',
        'GET /api/v2/buildinfo',
      ]);
    });

    test('an undetectable old server (development build) is caught by the answer and undone', async () => {
      await fresh({ version: 'v2.33', buildVersion: 'v0.0.0-devel+abc' });
      const store = open();
      const error = await rejection(
        store.create('me', { name: 'off', value: text('v'), envName: 'OFF', enabled: false }),
        SecretStoreError,
      );
      expect(error.code).toBe('unsupported');
      expect(double.secretsOf('alice')).toEqual([]);
    });
  });
});
