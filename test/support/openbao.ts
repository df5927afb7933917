/**
 * A throwaway OpenBao dev server for tests: in-memory storage, unsealed, KV v2 at `secret/`,
 * a random root token, a free loopback port. `stop()` kills it and waits for the exit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A parsed API answer; tests read it ad hoc (`body.data.keys`), so it is deliberately untyped. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ApiBody = any;

export interface OpenBaoServer {
  /** `http://127.0.0.1:<port>` */
  readonly address: string;
  /** The root token. */
  readonly token: string;
  /** Path of the `bao` binary that runs the server (for CLI calls in tests). */
  readonly bin: string;
  /** Calls the HTTP API as root; returns status and parsed body. */
  api(method: string, apiPath: string, body?: unknown, token?: string): Promise<{ status: number; body: ApiBody }>;
  stop(): Promise<void>;
}

/** Where `scripts/setup-tools.sh` puts `bao`, or `$COFFER_BAO_BIN`, or `bao` on PATH. */
export function findBao(): string | undefined {
  const candidates = [
    process.env.COFFER_BAO_BIN,
    path.join(process.env.COFFER_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'coffer-tools'), 'bin', 'bao'),
  ];
  for (const c of candidates) if (c !== undefined && c !== '' && fs.existsSync(c)) return c;
  const which = spawnSync('sh', ['-c', 'command -v bao'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() !== '' ? which.stdout.trim() : undefined;
}

/** A port nobody listens on right now (bind port 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startOpenBao(options: { readonly timeoutMs?: number } = {}): Promise<OpenBaoServer> {
  const bin = findBao();
  if (bin === undefined) throw new Error('bao not found: run scripts/setup-tools.sh (or set COFFER_BAO_BIN)');
  const timeoutMs = options.timeoutMs ?? 30_000;
  // The port can be taken between probing and binding; try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const token = `root-${randomBytes(12).toString('hex')}`;
    try {
      return await launch(bin, port, token, timeoutMs);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function launch(bin: string, port: number, token: string, timeoutMs: number): Promise<OpenBaoServer> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-bao-'));
  const child = spawn(
    bin,
    ['server', '-dev', `-dev-listen-address=127.0.0.1:${port}`, `-dev-root-token-id=${token}`, '-dev-no-store-token'],
    {
      // A private HOME: the dev server must not read or write the developer's ~/.vault-token.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, BAO_DEV_ROOT_TOKEN_ID: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `http://127.0.0.1:${port}`;

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(home, { recursive: true, force: true });
  };

  const api = async (
    method: string,
    apiPath: string,
    body?: unknown,
    asToken = token,
  ): Promise<{ status: number; body: ApiBody }> => {
    const response = await fetch(`${address}/v1/${apiPath}`, {
      method,
      headers: { 'X-Vault-Token': asToken, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`bao server exited early:\n${output}`);
    }
    try {
      const response = await fetch(`${address}/v1/sys/health`);
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`bao server did not become healthy within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // The dev server mounts KV v2 at secret/ asynchronously; wait until it answers.
  for (;;) {
    const probe = await api('GET', 'secret/config').catch(() => ({ status: 0, body: undefined }));
    if (probe.status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error('the dev server never mounted secret/');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { address, token, bin, api, stop };
}
