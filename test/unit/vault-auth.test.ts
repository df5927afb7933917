/**
 * Login, renewal and re-login against a small stub of the Vault API. Kubernetes auth is tested
 * here because no Kubernetes cluster is available to the tests: the stub plays
 * `auth/kubernetes/login` and checks the service-account token read from a file.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  identityFromToken,
  VaultSecretStore,
  type VaultRequestLogEntry,
  type VaultSecretStoreOptions,
} from '../../src/client/backends/vault';
import { SecretStoreError } from '../../src/client/errors';

interface StubOptions {
  leaseSeconds: number;
  /** What renew-self grants (defaults to the increment asked for). */
  grant?: (asked: number) => number;
  renewStatus?: number;
}

class StubVault {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- request bodies are read ad hoc
  readonly calls: { method: string; path: string; token: string | undefined; body: any }[] = [];
  readonly valid = new Set<string>();
  readonly revoked: string[] = [];
  logins = 0;
  expectedJwt = 'sa-token-1';
  server!: http.Server;
  address = '';

  constructor(readonly options: StubOptions) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.#handle(req, res, Buffer.concat(chunks).toString()));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.address = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  count(p: string): number {
    return this.calls.filter((c) => c.path === p).length;
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname.replace(/^\/v1\//, '');
    const token = req.headers['x-vault-token'] as string | undefined;
    const body = raw === '' ? undefined : JSON.parse(raw);
    this.calls.push({ method: req.method ?? '', path: p, token, body });
    const send = (status: number, payload?: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    if (p === 'auth/kubernetes/login') {
      if (body?.role !== 'app' || body?.jwt !== this.expectedJwt)
        return send(400, { errors: [`invalid role or service account token ${body?.jwt}`] });
      this.logins += 1;
      const issued = `s.token-${this.logins}`;
      this.valid.add(issued);
      return send(200, { auth: { client_token: issued, lease_duration: this.options.leaseSeconds, renewable: true } });
    }
    if (token === undefined || !this.valid.has(token)) return send(403, { errors: ['permission denied'] });
    if (p === 'auth/token/lookup-self') {
      return send(200, {
        data: {
          display_name: 'kubernetes-default-builder',
          entity_id: 'e-123',
          meta: { service_account_name: 'builder', service_account_namespace: 'default', role: 'app' },
          ttl: this.options.leaseSeconds,
          creation_ttl: this.options.leaseSeconds,
          renewable: true,
        },
      });
    }
    if (p === 'auth/token/renew-self') {
      if (this.options.renewStatus !== undefined)
        return send(this.options.renewStatus, { errors: ['renewal refused'] });
      const asked = Number(String(body?.increment ?? '0s').replace(/s$/, ''));
      return send(200, {
        auth: {
          client_token: token,
          lease_duration: this.options.grant ? this.options.grant(asked) : asked,
          renewable: true,
        },
      });
    }
    if (p === 'auth/token/revoke-self') {
      this.valid.delete(token);
      this.revoked.push(token);
      return send(204);
    }
    if (p.startsWith('secret/detailed-metadata/coffer/users/default-builder/')) return send(404, { errors: [] });
    if (p === 'sys/internal/ui/mounts/secret') return send(200, { data: { type: 'kv', path: 'secret/', options: { version: '2' } } });
    return send(403, { errors: ['permission denied'] });
  }
}

let stub: StubVault;
let dir: string;
const stores: VaultSecretStore[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-vault-auth-'));
  fs.writeFileSync(path.join(dir, 'token'), 'sa-token-1\n');
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await stub?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(
  options: StubOptions,
  storeOptions: Partial<VaultSecretStoreOptions> = {},
): Promise<{ store: VaultSecretStore; log: VaultRequestLogEntry[] }> {
  stub = new StubVault(options);
  await stub.start();
  const log: VaultRequestLogEntry[] = [];
  const store = new VaultSecretStore({
    address: stub.address,
    auth: { method: 'kubernetes', role: 'app', tokenFile: path.join(dir, 'token') },
    env: {},
    retryBaseMs: 5,
    onRequest: (e) => log.push(e),
    ...storeOptions,
  });
  stores.push(store);
  return { store, log };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Kubernetes login (stubbed auth/kubernetes/login)', () => {
  test('logs in lazily with the service-account token file and resolves "me" from lookup-self', async () => {
    const { store, log } = await start({ leaseSeconds: 3600 });
    expect(stub.calls).toHaveLength(0); // nothing before the first call
    expect(await store.list('me')).toEqual([]);
    expect(stub.calls.map((c) => c.path)).toEqual([
      'auth/kubernetes/login',
      'sys/internal/ui/mounts/secret', // the one mount check before the first secret operation
      'auth/token/lookup-self',
      'secret/detailed-metadata/coffer/users/default-builder/',
    ]);
    expect(stub.calls[0]!.body).toEqual({ role: 'app', jwt: 'sa-token-1' });
    expect(stub.calls[3]!.token).toBe('s.token-1');
    expect(JSON.stringify(log)).not.toMatch(/sa-token|s\.token/);
    await store.close();
    expect(stub.revoked).toEqual(['s.token-1']); // a token we minted is revoked on close
  });

  test('a refused login is an unauthorized error that does not quote the token', async () => {
    const { store } = await start({ leaseSeconds: 60 });
    stub.expectedJwt = 'something else';
    const err = await store.list('me').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretStoreError);
    expect((err as SecretStoreError).code).toBe('unauthorized');
    expect((err as Error).message).toContain('kubernetes login');
    expect((err as Error).message).not.toContain('sa-token-1');
  });

  test('renews at 2/3 of the lease, over and over', async () => {
    const { store } = await start({ leaseSeconds: 1 });
    await store.list('me');
    await sleep(1700);
    expect(stub.count('auth/token/renew-self')).toBeGreaterThanOrEqual(2);
    expect(stub.calls.filter((c) => c.path === 'auth/token/renew-self').every((c) => c.body.increment === '1s')).toBe(
      true,
    );
    expect(stub.logins).toBe(1);
    await store.list('me');
    expect(stub.logins).toBe(1);
  });

  test('logs in again (re-reading the rotated token file) when renewal fails', async () => {
    const { store } = await start({ leaseSeconds: 1, renewStatus: 403 });
    await store.list('me');
    fs.writeFileSync(path.join(dir, 'token'), 'sa-token-2\n');
    stub.expectedJwt = 'sa-token-2';
    await sleep(900);
    expect(stub.count('auth/token/renew-self')).toBe(1);
    expect(stub.logins).toBe(2);
    const before = stub.calls.length;
    await store.list('me');
    expect(stub.calls.slice(before).map((c) => c.token)).toEqual(['s.token-2']);
  });

  test('logs in again before the max TTL when renewal is capped', async () => {
    const { store } = await start({ leaseSeconds: 1, grant: () => 0.6 });
    await store.list('me');
    await sleep(1300); // renew at ~0.67 s (granted 0.6 s < 1 s asked) → re-login at ~0.4 s later
    expect(stub.count('auth/token/renew-self')).toBeGreaterThanOrEqual(1);
    expect(stub.logins).toBeGreaterThanOrEqual(2);
  });

  test('close() stops the timers', async () => {
    const { store } = await start({ leaseSeconds: 1 });
    await store.list('me');
    await store.close();
    const calls = stub.calls.length;
    await sleep(1000);
    expect(stub.calls.length).toBe(calls);
  });

  test('a 403 with a live token is a policy "no": no new login', async () => {
    const { store } = await start({ leaseSeconds: 3600 });
    const err = await store.list('someone-else').catch((e: unknown) => e);
    expect((err as SecretStoreError).code).toBe('unauthorized');
    expect(stub.logins).toBe(1);
  });

  test('a revoked token is replaced by a fresh login and the call retried', async () => {
    const { store } = await start({ leaseSeconds: 3600 });
    await store.list('me');
    stub.valid.clear();
    expect(await store.list('me')).toEqual([]);
    expect(stub.logins).toBe(2);
  });
});

describe('plain token renewal', () => {
  test('a renewable token with a TTL is renewed with renew-self; no login happens', async () => {
    stub = new StubVault({ leaseSeconds: 1 });
    await stub.start();
    stub.valid.add('s.static');
    const store = new VaultSecretStore({
      address: stub.address,
      auth: { method: 'token', token: 's.static' },
      identity: 'default-builder',
      env: {},
    });
    stores.push(store);
    await store.list('me');
    await sleep(1500);
    expect(stub.count('auth/token/renew-self')).toBeGreaterThanOrEqual(2);
    expect(stub.logins).toBe(0);
    await store.close();
    expect(stub.revoked).toEqual([]); // a token we were given is not ours to revoke
  });
});

describe('identityFromToken', () => {
  const info = { displayName: '', entityId: '', meta: {}, ttl: 0, renewable: false };
  test('meta.username, then display name without the mount, then role_name, then entity id', () => {
    expect(identityFromToken({ ...info, meta: { username: 'dave' }, displayName: 'userpass-dave' }, 'userpass')).toBe(
      'dave',
    );
    expect(identityFromToken({ ...info, displayName: 'jwt-carol', entityId: 'e' }, 'jwt')).toBe('carol');
    expect(identityFromToken({ ...info, displayName: 'ci-jwt-carol' }, 'ci/jwt')).toBe('carol');
    expect(
      identityFromToken({ ...info, displayName: 'approle', meta: { role_name: 'ci-bot' }, entityId: 'e' }, 'approle'),
    ).toBe('ci-bot');
    expect(identityFromToken({ ...info, displayName: 'approle', entityId: 'e-1' }, 'approle')).toBe('e-1');
    expect(identityFromToken({ ...info, displayName: 'jwt-a/b', entityId: 'e-2' }, 'jwt')).toBe('e-2');
    expect(identityFromToken(info, 'jwt')).toBeUndefined();
  });
});
