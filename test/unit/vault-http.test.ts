import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { VaultHttpClient, vaultErrors, type VaultRequestLogEntry } from '../../src/client/backends/vault/vault-http';
import { VaultSecretStore } from '../../src/client/backends/vault';
import { BackendUnavailableError, SecretStoreError } from '../../src/client/errors';
import { generateServerCertificate } from '../../src/provider/protocol/tls';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  socket: unknown;
}

type Handler = (req: Seen, res: http.ServerResponse) => void;

const servers: (http.Server | https.Server)[] = [];
const clients: VaultHttpClient[] = [];

afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((resolve) => {
          s.closeAllConnections();
          s.close(resolve);
        }),
    ),
  );
});

async function serve(
  handler: Handler,
  tls?: { cert: string; key: string },
): Promise<{ address: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        socket: req.socket,
      };
      seen.push(s);
      handler(s, res);
    });
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { address: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, seen };
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

function client(
  address: string,
  options: Partial<ConstructorParameters<typeof VaultHttpClient>[0]> = {},
): { c: VaultHttpClient; log: VaultRequestLogEntry[] } {
  const log: VaultRequestLogEntry[] = [];
  const c = new VaultHttpClient({ address, retryBaseMs: 5, onRequest: (e) => log.push(e), ...options });
  clients.push(c);
  return { c, log };
}

describe('VaultHttpClient', () => {
  test('sends the Vault headers, JSON bodies, LIST as GET ?list=true, and reuses one connection', async () => {
    const { address, seen } = await serve((_req, res) => json(res, 200, { data: { keys: ['a'] } }));
    const { c, log } = client(`${address}/prefix/`, { namespace: 'team/' });
    const r1 = await c.request({ method: 'POST', path: 'secret/data/x', token: 'tok', body: { data: { value: 'v' } } });
    expect(r1).toEqual({ status: 200, body: { data: { keys: ['a'] } }, attempt: 1, ambiguous: false });
    await c.request({ method: 'LIST', path: 'secret/metadata/u/', token: 'tok' });
    await c.request({
      method: 'PATCH',
      path: 'secret/data/x',
      token: 'tok',
      body: {},
      contentType: 'application/merge-patch+json',
    });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /prefix/v1/secret/data/x',
      'GET /prefix/v1/secret/metadata/u/?list=true',
      'PATCH /prefix/v1/secret/data/x',
    ]);
    expect(seen[0]!.headers).toMatchObject({
      'x-vault-token': 'tok',
      'x-vault-namespace': 'team/',
      'x-vault-request': 'true',
      'content-type': 'application/json',
    });
    expect(JSON.parse(seen[0]!.body)).toEqual({ data: { value: 'v' } });
    expect(seen[2]!.headers['content-type']).toBe('application/merge-patch+json');
    expect(new Set(seen.map((s) => s.socket)).size).toBe(1); // keep-alive
    // The log has method, path, status, ms and attempt only.
    expect(log.map((e) => Object.keys(e).sort())).toEqual(Array(3).fill(['attempt', 'method', 'ms', 'path', 'status']));
    expect(log[1]).toMatchObject({ method: 'LIST', path: 'secret/metadata/u/', status: 200, attempt: 1 });
    expect(JSON.stringify(log)).not.toMatch(/tok|value|team/);
  });

  test('retries 429, 5xx, 472 and 473 with backoff, then answers', async () => {
    const statuses = [429, 500, 502, 503, 472, 473, 200];
    let i = 0;
    const { address } = await serve((_req, res) => json(res, statuses[i++]!, { errors: ['busy'] }));
    const { c, log } = client(address, { maxAttempts: 10 });
    const r = await c.request({ method: 'GET', path: 'sys/health' });
    expect(r.status).toBe(200);
    expect(r.attempt).toBe(7);
    expect(r.ambiguous).toBe(true); // a 500/502 may have been applied
    expect(log.map((e) => e.status)).toEqual(statuses);
    expect(log.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  test('does not retry client errors', async () => {
    for (const status of [400, 403, 404, 405]) {
      const { address, seen } = await serve((_req, res) => json(res, status, { errors: ['nope'] }));
      const { c } = client(address);
      const r = await c.request({ method: 'GET', path: 'x' });
      expect(r.status).toBe(status);
      expect(seen).toHaveLength(1);
    }
  });

  test('gives up after maxAttempts with the last status, and honours Retry-After within the budget', async () => {
    const { address, seen } = await serve((_req, res) =>
      json(res, 503, { errors: ['Vault is sealed'] }, { 'Retry-After': '0' }),
    );
    const { c } = client(address, { maxAttempts: 3 });
    const r = await c.request({ method: 'GET', path: 'x' });
    expect(r.status).toBe(503);
    expect(seen).toHaveLength(3);
    expect(vaultErrors(r.body)).toBe('Vault is sealed');

    const { address: slow } = await serve((_req, res) => json(res, 429, {}, { 'Retry-After': '60' }));
    const { c: c2, log } = client(slow, { maxAttempts: 5, maxRetryTimeMs: 300 });
    const t0 = Date.now();
    const r2 = await c2.request({ method: 'GET', path: 'x' });
    expect(r2.status).toBe(429);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(log.length).toBeGreaterThanOrEqual(2);
  });

  test('connection errors: retried, then a retryable BackendUnavailableError', async () => {
    const { c, log } = client('http://127.0.0.1:1', { maxAttempts: 3 });
    const err = await c.request({ method: 'GET', path: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as BackendUnavailableError).retryable).toBe(true);
    expect((err as Error).message).toContain('ECONNREFUSED');
    expect(log.map((e) => [e.status, e.error])).toEqual([
      [0, 'ECONNREFUSED'],
      [0, 'ECONNREFUSED'],
      [0, 'ECONNREFUSED'],
    ]);
  });

  test('a dropped connection after the request was sent marks the answer ambiguous', async () => {
    let n = 0;
    const { address } = await serve((_req, res) => {
      if (n++ === 0) {
        res.socket?.destroy();
        return;
      }
      json(res, 200, {});
    });
    const { c } = client(address);
    const r = await c.request({ method: 'POST', path: 'x', body: { a: 1 } });
    expect(r).toMatchObject({ status: 200, attempt: 2, ambiguous: true });
  });

  test('a request that takes too long times out and is retried', async () => {
    let n = 0;
    const { address } = await serve((_req, res) => {
      if (n++ === 0) return; // never answer
      json(res, 200, { ok: true });
    });
    const { c, log } = client(address, { timeoutMs: 200 });
    const r = await c.request({ method: 'GET', path: 'x' });
    expect(r.status).toBe(200);
    expect(log[0]).toMatchObject({ status: 0, error: 'timeout', attempt: 1 });
  });

  describe('TLS', () => {
    const cert = generateServerCertificate();
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-vault-tls-'));
      fs.writeFileSync(path.join(dir, 'ca.pem'), cert.certPem);
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('verifies the server against the configured CA; unknown CAs fail without retries', async () => {
      const { address, seen } = await serve((_req, res) => json(res, 200, { data: {} }), {
        cert: cert.certPem,
        key: cert.keyPem,
      });
      const { c: untrusted, log } = client(address);
      const err = await untrusted.request({ method: 'GET', path: 'x' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SecretStoreError);
      expect((err as SecretStoreError).retryable).toBe(false);
      expect((err as Error).message).toMatch(/TLS connection to Vault .* failed/);
      expect(log).toHaveLength(1);
      expect(seen).toHaveLength(0);

      const { c: trusted } = client(address, { ca: [cert.certPem] });
      expect((await trusted.request({ method: 'GET', path: 'x' })).status).toBe(200);
      const { c: skipping } = client(address, { tlsSkipVerify: true });
      expect((await skipping.request({ method: 'GET', path: 'x' })).status).toBe(200);
    });

    test('an https:// address of a plain HTTP server fails at once, naming the address setting', async () => {
      const { address } = await serve((_req, res) => json(res, 200, { data: {} }));
      const { c, log } = client(address.replace('http:', 'https:'), {
        maxAttempts: 5,
        settingNames: { address: 'vault_address (or BAO_ADDR/VAULT_ADDR)', caCert: 'vault_ca_cert_file' },
      });
      const err = await c.request({ method: 'GET', path: 'x' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SecretStoreError);
      expect((err as SecretStoreError).retryable).toBe(false);
      expect((err as Error).message).toMatch(/does not answer in TLS \(is it plain http:\/\/\?\); check vault_address/);
      expect(log).toHaveLength(1);
    });

    test('the store takes the CA from BAO_CACERT / VAULT_CACERT and skip-verify from the environment', async () => {
      const { address } = await serve(
        (req, res) =>
          req.url.includes('detailed-metadata') ? json(res, 404, { errors: [] }) : json(res, 200, { data: {} }),
        { cert: cert.certPem, key: cert.keyPem },
      );
      const base = { BAO_ADDR: address, BAO_TOKEN: 't', COFFER_USER: 'u' };
      const ok = new VaultSecretStore({ env: { ...base, VAULT_CACERT: path.join(dir, 'ca.pem') } });
      expect(await ok.list('me')).toEqual([]);
      await ok.close();
      const skip = new VaultSecretStore({ env: { ...base, BAO_SKIP_VERIFY: 'true' } });
      expect(await skip.list('me')).toEqual([]);
      await skip.close();
      const strict = new VaultSecretStore({ env: base });
      const err = await strict.list('me').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SecretStoreError);
      expect((err as SecretStoreError).message).toContain('TLS');
      await strict.close();
    });
  });
});
