/**
 * examples/wrapped-approle end to end, as the people in its README run it: the platform team
 * sets up the AppRole once, the pipeline mints a wrapped SecretID from a real OpenBao, and the
 * workspace agent runs `startup.sh` with what the pipeline printed in its environment. The
 * command sees a live login of a real PostgreSQL role; the role is gone when it ends; a second
 * start with the same wrapped token fails, naming the possible interception.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';
import { enableDatabaseEngine, startPostgres, type PostgresServer } from '../support/postgres';
import { cofferOnPath, runProcess, type ProcessResult } from './support/process';

const example = path.resolve(__dirname, '../../examples/wrapped-approle');

let bao: OpenBaoServer;
let pg: PostgresServer;
let base: string;
let pathWithTools: string;

beforeAll(async () => {
  [bao, pg] = await Promise.all([startOpenBao(), startPostgres()]);
  await enableDatabaseEngine(bao, pg, { role: 'app', defaultTtl: '5m', maxTtl: '10m' });
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-e2e-wrapped-'));
  cofferOnPath(base);
  // `coffer`, `bao` and `psql` on PATH, as the pipeline and the workspace image have them.
  fs.symlinkSync(bao.bin, path.join(base, 'bao'));
  fs.symlinkSync(pg.psql, path.join(base, 'psql'));
  pathWithTools = `${base}:${process.env.PATH ?? '/usr/bin:/bin'}`;
});

afterAll(async () => {
  await Promise.all([bao?.stop(), pg?.stop()]);
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

/** A clean environment for one actor: only what the README says it has. */
function actorEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: pathWithTools, HOME: path.join(base, 'home'), TMPDIR: os.tmpdir(), ...extra };
}

function check(r: ProcessResult, what: string): ProcessResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

async function dynamicRoles(): Promise<string[]> {
  const rows = await pg.query(`SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%' ORDER BY 1`);
  return rows === '' ? [] : rows.split('\n');
}

test('the pipeline mints a wrapped SecretID; the workspace start-up logs in, gets a database login, and a reused token is refused', async () => {
  fs.mkdirSync(path.join(base, 'home'), { recursive: true });
  const admin = actorEnv({ BAO_ADDR: bao.address, BAO_TOKEN: bao.token });
  check(await runProcess(path.join(example, 'platform-setup.sh'), [], { env: admin }), 'platform-setup.sh');

  // The pipeline has its own token, allowed to read the role id and mint SecretIDs only.
  const policy = await bao.api('PUT', 'sys/policies/acl/pipeline', {
    policy:
      'path "auth/approle/role/workspace-db/role-id" { capabilities = ["read"] }\n' +
      'path "auth/approle/role/workspace-db/secret-id" { capabilities = ["update"] }\n',
  });
  expect(policy.status).toBeLessThan(300);
  const pipelineToken = (await bao.api('POST', 'auth/token/create', { policies: ['pipeline'], ttl: '10m' })).body.auth
    .client_token as string;
  const minted = check(
    await runProcess(path.join(example, 'mint.sh'), [], { env: actorEnv({ BAO_ADDR: bao.address, BAO_TOKEN: pipelineToken }) }),
    'mint.sh',
  );
  const agentEnv = Object.fromEntries(
    minted.stdout
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  ) as Record<string, string>;
  expect(Object.keys(agentEnv).sort()).toEqual(['COFFER_VAULT_ROLE_ID', 'COFFER_VAULT_WRAPPED_SECRET_ID']);
  const wrapping = agentEnv.COFFER_VAULT_WRAPPED_SECRET_ID as string;
  // It is a wrapping token, not the SecretID itself.
  const lookup = await bao.api('POST', 'sys/wrapping/lookup', { token: wrapping });
  expect(lookup.body.data.creation_path).toBe('auth/approle/role/workspace-db/secret-id');

  const workspace = actorEnv({
    ...agentEnv,
    BAO_ADDR: bao.address,
    PGHOST: pg.host,
    PGPORT: String(pg.port),
    PGDATABASE: 'postgres',
    PGCONNECT_TIMEOUT: '10',
    COFFER_AUDIT_LOG: 'off',
  });
  const start = check(await runProcess(path.join(example, 'startup.sh'), [], { env: workspace }), 'startup.sh');
  const user = start.stdout.trim();
  // psql logged in as the role OpenBao created for this start (not the superuser).
  expect(user).toMatch(/^v-approle-app-/);
  // The lease was revoked when the command ended: the role is gone.
  expect(await dynamicRoles()).toEqual([]);
  expect(start.stderr).not.toContain(wrapping);

  // A restart with the same (now used) wrapped token: refused, naming the interception risk.
  const again = await runProcess(path.join(example, 'startup.sh'), [], { env: workspace });
  expect(again.code).toBe(6);
  expect(again.stdout).toBe('');
  expect(again.stderr).toMatch(/already unwrapped or has expired/);
  expect(again.stderr).toMatch(/someone else may have intercepted it/);
  expect(again.stderr).not.toContain(wrapping);
  expect(await dynamicRoles()).toEqual([]);
});

test('a wrapping token around anything but this role\'s SecretID is refused as swapped, and not unwrapped', async () => {
  // e.g. someone wraps a response of their own choosing and slips it into the agent's environment.
  const wrapped = check(
    await runProcess(bao.bin, ['write', '-wrap-ttl=5m', '-field=wrapping_token', 'sys/wrapping/wrap', 'secret_id=attacker-chosen'], {
      env: actorEnv({ BAO_ADDR: bao.address, BAO_TOKEN: bao.token }),
    }),
    'bao write sys/wrapping/wrap',
  );
  const token = wrapped.stdout.trim();
  const roleId = (await bao.api('GET', 'auth/approle/role/workspace-db/role-id')).body.data.role_id as string;
  const r = await runProcess(path.join(example, 'startup.sh'), [], {
    env: actorEnv({ BAO_ADDR: bao.address, COFFER_VAULT_ROLE_ID: roleId, COFFER_VAULT_WRAPPED_SECRET_ID: token, COFFER_AUDIT_LOG: 'off' }),
  });
  expect(r.code).toBe(6);
  expect(r.stderr).toMatch(/was not made by auth\/approle\/role\/NAME\/secret-id .*sys\/wrapping\/wrap.*may have been swapped/);
  // Still wrapped: the check came before any unwrap.
  expect((await bao.api('POST', 'sys/wrapping/lookup', { token })).status).toBe(200);
});
