/**
 * A real Coder server for the e2e suite: the binary scripts/setup-coder.sh builds, on loopback,
 * with PostgreSQL and its built-in provisioner running `terraform` from PATH, and a small client
 * for the API calls a test makes (first user, members, logs, builds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../support/openbao';
import type { PostgresServer } from '../../support/postgres';
import { runProcess, type ProcessResult } from './process';

export const CODER_VERSION = '2.30.0';

/** The Coder binary (COFFER_E2E_CODER, else the one setup-coder.sh caches), or why there is none. */
export function findCoder(): { binary: string } | { missing: string } {
  const toolsDir = process.env.COFFER_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'coffer-tools');
  const binary = process.env.COFFER_E2E_CODER ?? path.join(toolsDir, 'bin', `coder-${CODER_VERSION}`);
  if (fs.existsSync(binary)) return { binary };
  return { missing: `no Coder binary at ${binary}: build it with scripts/setup-coder.sh (about 10 minutes), or set COFFER_E2E_CODER` };
}

export interface CoderUser {
  readonly id: string;
  readonly username: string;
  readonly token: string;
}

export class CoderApi {
  constructor(
    readonly url: string,
    readonly token = '',
  ) {}

  as(token: string): CoderApi {
    return new CoderApi(this.url, token);
  }

  async call<T>(method: string, route: string, body?: unknown, expect: readonly number[] = [200, 201]): Promise<T> {
    const response = await fetch(`${this.url}${route}`, {
      method,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...(this.token ? { 'Coder-Session-Token': this.token } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!expect.includes(response.status)) throw new Error(`${method} ${route} answered ${response.status}: ${text.slice(0, 500)}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  get<T>(route: string): Promise<T> {
    return this.call<T>('GET', route);
  }
}

export interface CoderServer {
  readonly url: string;
  /** HOME of the server and its provisioner. */
  readonly home: string;
  readonly api: CoderApi;
  readonly organizationId: string;
  readonly admin: CoderUser;
  /** Creates a user with the member role in the default organization and logs them in. */
  addMember(username: string): Promise<CoderUser>;
  /** Runs the `coder` CLI as a user (CODER_URL + CODER_SESSION_TOKEN, a private config dir). */
  cli(user: CoderUser, args: readonly string[], options?: { cwd?: string }): Promise<ProcessResult>;
  /** The server's own log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

const PASSWORD = 'Coffer-e2e-pass-0';

export async function startCoderServer(options: {
  binary: string;
  pg: PostgresServer;
  /** TF_CLI_CONFIG_FILE for the provisioner (filesystem mirrors: no network). */
  cliConfig: string;
  /** Extra environment for the server, which its provisioner passes on to terraform (CODER_* excepted). */
  env?: Record<string, string>;
}): Promise<CoderServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-coder-'));
  await options.pg.query('CREATE DATABASE coder');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(root, 'server.log');
  const out = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(options.binary, ['server'], {
    env: {
      PATH: process.env.PATH,
      HOME: path.join(root, 'home'),
      TMPDIR: process.env.TMPDIR,
      TF_CLI_CONFIG_FILE: options.cliConfig,
      CHECKPOINT_DISABLE: '1',
      CODER_HTTP_ADDRESS: `127.0.0.1:${port}`,
      CODER_ACCESS_URL: url,
      CODER_PG_CONNECTION_URL: `postgres://${options.pg.user}:${encodeURIComponent(options.pg.password)}@127.0.0.1:${options.pg.port}/coder?sslmode=disable`,
      CODER_TELEMETRY_ENABLE: 'false',
      CODER_UPDATE_CHECK: 'false',
      CODER_DANGEROUS_DISABLE_RATE_LIMITS: 'true',
      CODER_CACHE_DIRECTORY: path.join(root, 'cache'),
      CODER_CONFIG_DIR: path.join(root, 'server-config'),
      CODER_PROVISIONER_DAEMONS: '1',
      CODER_OAUTH2_GITHUB_DEFAULT_PROVIDER_ENABLE: 'false',
      CODER_DERP_SERVER_STUN_ADDRESSES: 'disable',
      CODER_BLOCK_DIRECT: 'true',
      ...options.env,
    },
    stdio: ['ignore', out, out],
    detached: false,
  });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(url, child, log);
    const api = new CoderApi(url);
    const first = await api.call<{ user_id: string; organization_id: string }>('POST', '/api/v2/users/first', {
      email: 'admin@example.com',
      username: 'admin',
      name: 'Admin',
      password: PASSWORD,
      trial: false,
    });
    const admin = { id: first.user_id, username: 'admin', token: await login(api, 'admin@example.com') };
    const configDirs = new Map<string, string>();
    return {
      url,
      home: path.join(root, 'home'),
      api: api.as(admin.token),
      organizationId: first.organization_id,
      admin,
      async addMember(username: string): Promise<CoderUser> {
        const email = `${username}@example.com`;
        const created = await api.as(admin.token).call<{ id: string }>('POST', '/api/v2/users', {
          email,
          username,
          password: PASSWORD,
          login_type: 'password',
          organization_ids: [first.organization_id],
        });
        return { id: created.id, username, token: await login(api, email) };
      },
      cli(user: CoderUser, args: readonly string[], cliOptions: { cwd?: string } = {}) {
        let configDir = configDirs.get(user.username);
        if (configDir === undefined) {
          configDir = path.join(root, `cli-${user.username}`);
          fs.mkdirSync(configDir, { recursive: true });
          configDirs.set(user.username, configDir);
        }
        return runProcess(options.binary, args, {
          cwd: cliOptions.cwd,
          env: {
            PATH: process.env.PATH,
            HOME: configDir,
            CODER_URL: url,
            CODER_SESSION_TOKEN: user.token,
            CODER_CONFIG_DIR: configDir,
            CODER_NO_VERSION_WARNING: 'true',
            CODER_FORCE_TTY: 'false',
            NO_COLOR: '1',
          },
        });
      },
      log,
      stop,
    };
  } catch (error) {
    const tail = log().split('\n').slice(-40).join('\n');
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- coder server log (tail) ---\n${tail}`);
  }
}

async function login(api: CoderApi, email: string): Promise<string> {
  const session = await api.call<{ session_token: string }>('POST', '/api/v2/users/login', { email, password: PASSWORD });
  return session.session_token;
}

async function waitUntilReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  // Migrations on a fresh database take a while on a busy machine; the limit only guards a hang.
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`coder server exited (${child.exitCode}) before it was ready`);
    try {
      const response = await fetch(`${url}/api/v2/buildinfo`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`coder server not ready after 240 s:\n${log().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
