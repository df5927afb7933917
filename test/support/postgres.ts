/**
 * A throwaway PostgreSQL server for tests: `initdb` into a temporary directory, a superuser
 * `postgres` with a random password (scram over TCP), listening on 127.0.0.1 on a free port, no
 * Unix socket. PostgreSQL refuses to run as root, so as root the server runs as `nobody`
 * (`runuser`). `stop()` shuts it down (`pg_ctl stop -m fast`) and removes the directory.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, type OpenBaoServer } from './openbao';

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  /** The superuser and its password. */
  readonly user: string;
  readonly password: string;
  /** Absolute path of `psql` (for provisioners and the test's own queries). */
  readonly psql: string;
  /** Runs SQL as the superuser; returns `psql -tA` output (rows separated by newlines, columns by `|`). */
  query(sql: string): Promise<string>;
  /** Runs SQL as another role; rejects when the login fails. */
  queryAs(user: string, password: string, sql: string): Promise<string>;
  stop(): Promise<void>;
}

const TOOLS = ['initdb', 'pg_ctl', 'postgres', 'psql'] as const;

/** The PostgreSQL binaries: `$COFFER_TOOLS_DIR/bin` (setup-tools.sh links them), else PATH. Real paths: `nobody` cannot enter /root. */
export function findPostgres(): Record<(typeof TOOLS)[number], string> | undefined {
  const toolsBin = path.join(process.env.COFFER_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'coffer-tools'), 'bin');
  const found: Partial<Record<(typeof TOOLS)[number], string>> = {};
  for (const tool of TOOLS) {
    let candidate = path.join(toolsBin, tool);
    if (!fs.existsSync(candidate)) {
      const which = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
      if (which.status !== 0 || which.stdout.trim() === '') return undefined;
      candidate = which.stdout.trim();
    }
    found[tool] = fs.realpathSync(candidate);
  }
  return found as Record<(typeof TOOLS)[number], string>;
}

function findRunuser(): string {
  for (const candidate of ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser']) if (fs.existsSync(candidate)) return candidate;
  throw new Error('running as root and runuser is missing: PostgreSQL refuses to run as root');
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgres();
  if (bin === undefined) throw new Error('PostgreSQL not found: run scripts/setup-tools.sh');
  const asRoot = process.getuid?.() === 0;
  const runuser = asRoot ? findRunuser() : '';
  // As root, every server-side command runs as nobody, which must own the data directory.
  const asServer = (file: string, args: readonly string[]): [string, string[]] => (asRoot ? [runuser, ['-u', 'nobody', '--', file, ...args]] : [file, [...args]]);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-pg-'));
  fs.chmodSync(root, 0o755);
  const data = path.join(root, 'data');
  const password = randomBytes(18).toString('base64url');
  const pwfile = path.join(root, 'pw');
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o644 });
  if (asRoot) fs.chownSync(root, 65534, 65534);

  const cleanup = () => fs.rmSync(root, { recursive: true, force: true });
  try {
    const [initdb, initArgs] = asServer(bin.initdb, ['-D', data, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync']);
    await run(initdb, initArgs, { LC_ALL: 'C' });
  } catch (error) {
    cleanup();
    throw error;
  }
  fs.rmSync(pwfile, { force: true });

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const options = `-c listen_addresses=127.0.0.1 -p ${port} -k '' -c fsync=off`;
    const [pgCtl, startArgs] = asServer(bin.pg_ctl, ['-D', data, '-w', '-t', '30', '-l', path.join(root, 'server.log'), '-o', options, 'start']);
    try {
      await run(pgCtl, startArgs);
    } catch (error) {
      lastError = error;
      continue;
    }
    const query = (sql: string, user = 'postgres', pass = password) =>
      run(bin.psql, ['-X', '-v', 'ON_ERROR_STOP=1', '-tA', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'postgres', '-c', sql], { PGPASSWORD: pass, PGCONNECT_TIMEOUT: '10' }).then((out) => out.trim());
    return {
      host: '127.0.0.1',
      port,
      user: 'postgres',
      password,
      psql: bin.psql,
      query: (sql) => query(sql),
      queryAs: (user, pass, sql) => query(sql, user, pass),
      stop: async () => {
        const [stopCmd, stopArgs] = asServer(bin.pg_ctl, ['-D', data, '-w', '-m', 'fast', 'stop']);
        await run(stopCmd, stopArgs).catch(() => undefined);
        cleanup();
      },
    };
  }
  cleanup();
  throw lastError instanceof Error ? lastError : new Error('postgres did not start');
}

export interface DatabaseEngineOptions {
  /** Mount of the database secrets engine. @default "database" */
  readonly mount?: string;
  readonly role: string;
  /** Vault durations, e.g. "10s". */
  readonly defaultTtl: string;
  readonly maxTtl: string;
}

/**
 * Enables OpenBao's database secrets engine against `pg` with the built-in
 * `postgresql-database-plugin`, and a role that creates a LOGIN role valid until the lease's
 * expiration (so a credential whose lease was not renewed stops working even before revocation).
 */
export async function enableDatabaseEngine(bao: OpenBaoServer, pg: PostgresServer, options: DatabaseEngineOptions): Promise<void> {
  const mount = options.mount ?? 'database';
  const ok = async (method: string, apiPath: string, body?: unknown): Promise<void> => {
    const response = await bao.api(method, apiPath, body);
    if (response.status >= 300) throw new Error(`${method} ${apiPath} answered ${response.status}: ${JSON.stringify(response.body)}`);
  };
  await ok('POST', `sys/mounts/${mount}`, { type: 'database' });
  await ok('POST', `${mount}/config/pg`, {
    plugin_name: 'postgresql-database-plugin',
    allowed_roles: [options.role],
    connection_url: `postgresql://{{username}}:{{password}}@${pg.host}:${pg.port}/postgres?sslmode=disable`,
    username: pg.user,
    password: pg.password,
    verify_connection: true,
  });
  await ok('POST', `${mount}/roles/${options.role}`, {
    db_name: 'pg',
    default_ttl: options.defaultTtl,
    max_ttl: options.maxTtl,
    creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`],
  });
}
