/**
 * Coffer in a Coder template, built by a real Coder server (v2.30.0, PostgreSQL, built-in
 * provisioner running `terraform` from PATH) — issue #9. The server has user-secrets tables but
 * not the REST routes, so the Coder backend talks to the Coder double in authenticate-upstream
 * mode: every request's token is checked against the real server (`GET /api/v2/users/me`) and
 * secrets are owner-only, so the tokens Coder hands terraform, and their absence, are real.
 *
 * The session: an admin pushes the HCL template (import), a user creates workspaces (preview +
 * start), a second workspace, stop and delete — for the admin and for a member — and nothing of
 * the test's values reaches build logs, the resources API or Coder's database.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VaultSecretStore } from '../../src/client/backends/vault';
import { SecretText } from '../../src/client/secret-text';
import { CoderDouble } from '../support/coder-double';
import { findBao, startOpenBao, type OpenBaoServer } from '../support/openbao';
import { findPostgres, startPostgres, type PostgresServer } from '../support/postgres';
import { findCoder, startCoderServer, type CoderServer, type CoderUser } from './support/coder-server';

const root = path.resolve(__dirname, '../..');
const NPM_VALUE = 'npm_e2e_value_7Qx2PLATFORM';
const SSH_VALUE = 'ssh_e2e_value_9Kd4USERBROUGHT';
const PYPI_VALUE = 'pypi_e2e_value_3Ms8PLATFORM';
const TEMPLATE = 'coffer-ws';

function terraformOnPath(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() !== '' ? which.stdout.trim() : undefined;
}

function skipReason(): string | undefined {
  const coder = findCoder();
  if ('missing' in coder) return coder.missing;
  if (terraformOnPath() === undefined) return "no terraform on PATH: Coder's built-in provisioner needs it (offline)";
  if (findPostgres() === undefined) return 'no PostgreSQL: run scripts/setup-tools.sh';
  if (findBao() === undefined) return 'no OpenBao (bao): run scripts/setup-tools.sh';
  return undefined;
}

const reason = skipReason();
if (reason !== undefined) {
  console.warn(`[coder-workspace] skipped: ${reason}`);
}
const describeWithCoder = reason === undefined ? describe : describe.skip;

interface Build {
  id: string;
  transition: string;
  status: string;
  job: { id: string; status: string; error?: string };
  resources: unknown[];
}

describeWithCoder('a Coder template using Coffer, built by a real Coder server', () => {
  let pg: PostgresServer;
  let bao: OpenBaoServer;
  let coder: CoderServer;
  let double: CoderDouble;
  let member: CoderUser;
  let work: string;
  let platformHome: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-e2e-coder-'));
    // The platform team's store, which the template reads ephemerally: OpenBao, its credential
    // in the provisioner's environment (never in the template).
    platformHome = path.join(work, 'platform-home');
    bao = await startOpenBao();
    const platformEnv = { COFFER_BACKEND: 'vault', BAO_ADDR: bao.address, BAO_TOKEN: bao.token, COFFER_HOME: platformHome };
    const platform = new VaultSecretStore({ env: { ...platformEnv } });
    await platform.create('platform-team', { name: 'npm-token', value: new SecretText(NPM_VALUE), enabled: false });
    await platform.create('platform-team', { name: 'pypi-token', value: new SecretText(PYPI_VALUE), enabled: false }); // CDK form
    await platform.close();

    const mirror = process.env.COFFER_E2E_MIRROR as string;
    const tools = path.join(process.env.COFFER_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'coffer-tools'), 'provider-mirror');
    const cliConfig = path.join(work, 'cli.tfrc');
    fs.writeFileSync(
      cliConfig,
      `provider_installation {\n` +
        `  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["registry.terraform.io/cofferhq/*", "registry.opentofu.org/cofferhq/*"]\n  }\n` +
        `  filesystem_mirror {\n    path    = "${tools}"\n    include = ["registry.terraform.io/coder/*", "registry.opentofu.org/coder/*"]\n  }\n}\n`,
    );
    pg = await startPostgres();
    coder = await startCoderServer({
      binary: (findCoder() as { binary: string }).binary,
      pg,
      cliConfig,
      // Reaches terraform (only CODER_* is stripped): the platform alias's backend.
      env: {
        ...platformEnv,
        // The CDK form uses `data.coder_external_auth.github` (pattern a): declare the provider
        // (never contacted: only the import runs for that template).
        CODER_EXTERNAL_AUTH_0_ID: 'github',
        CODER_EXTERNAL_AUTH_0_TYPE: 'github',
        CODER_EXTERNAL_AUTH_0_CLIENT_ID: 'coffer-e2e',
        CODER_EXTERNAL_AUTH_0_CLIENT_SECRET: 'coffer-e2e-not-a-secret',
      },
    });
    double = await CoderDouble.start({ authenticateWith: coder.url });
    member = await coder.addMember('mia');

    const templateDir = path.join(work, 'template');
    fs.mkdirSync(templateDir);
    // The only change to the shipped example: v2.30 has no user-secrets routes, so point the
    // Coder backend at the double (which authenticates against this server).
    const hcl = fs
      .readFileSync(path.join(root, 'examples/coder-template/hcl/main.tf'), 'utf8')
      .replace('  backend     = "coder"\n', `  backend     = "coder"\n  coder_url   = "${double.url}"\n`);
    expect(hcl).toContain(double.url);
    fs.writeFileSync(path.join(templateDir, 'main.tf'), hcl);
  }, 600_000);

  afterAll(async () => {
    await double?.close();
    await coder?.stop();
    await pg?.stop();
    await bao?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, 120_000);

  const cli = async (user: CoderUser, args: string[]) => coder.cli(user, args, { cwd: work });

  /** Runs the CLI and fails with its output (the build log it streams) when it exits non-zero. */
  async function succeeds(user: CoderUser, args: string[]): Promise<void> {
    const result = await cli(user, args);
    if (result.code !== 0) throw new Error(`coder ${args.join(' ')} exited ${result.code}:\n${(result.stdout + result.stderr).slice(-4000)}`);
  }

  /** Runs SQL on Coder's own database (psql -tA output). */
  function coderDb(sql: string): string {
    return execFileSync(pg.psql, ['-X', '-tA', '-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-d', 'coder', '-c', sql], {
      env: { PATH: process.env.PATH, PGPASSWORD: pg.password },
      encoding: 'utf8',
    }).trim();
  }

  async function builds(owner: string, workspace: string): Promise<Build[]> {
    const ws = await coder.api.get<{ id: string }>(`/api/v2/users/${owner}/workspace/${workspace}?include_deleted=true`);
    return coder.api.get<Build[]>(`/api/v2/workspaces/${ws.id}/builds`);
  }

  async function buildLogs(buildId: string): Promise<string> {
    const logs = await coder.api.get<{ output: string }[]>(`/api/v2/workspacebuilds/${buildId}/logs`);
    return logs.map((l) => l.output).join('\n');
  }

  /** A user adds a secret themselves (what `coder secret create` does), with their own token. */
  async function userCreatesSecret(user: CoderUser, name: string, value: string): Promise<void> {
    const response = await fetch(`${double.url}/api/v2/users/me/secrets`, {
      method: 'POST',
      headers: { 'Coder-Session-Token': user.token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, value, file_path: '~/.ssh/signing_key' }),
    });
    expect(response.status).toBe(201);
  }

  test('template push: the import runs without a token and a placeholder owner, and passes with warnings', async () => {
    await succeeds(coder.admin, ['templates', 'push', TEMPLATE, '--directory', path.join(work, 'template'), '--yes']);
    const template = await coder.api.get<{ active_version_id: string }>(`/api/v2/organizations/${coder.organizationId}/templates/${TEMPLATE}`);
    const logs = await coder.api.get<{ output: string }[]>(`/api/v2/templateversions/${template.active_version_id}/logs`);
    const text = logs.map((l) => l.output).join('\n');
    expect(text).not.toContain('needs a session token');
    expect(text).toContain('coffer_secret_check skipped in this template import or workspace preview');
    // failure 5: no template variables at all
    expect(await coder.api.get<unknown[]>(`/api/v2/templateversions/${template.active_version_id}/variables`)).toEqual([]);
    // Nothing was asked of the secrets API: no token, nothing to ask with.
    expect(double.requests).toEqual([]);
  }, 600_000);

  test('the CDK form of the example, synthesized, imports too (push without a token)', async () => {
    const out = path.join(work, 'cdktf.out');
    const synth = spawnSync(process.execPath, [path.join(root, 'examples/coder-template/synth.mjs'), '--out', out], { cwd: root, encoding: 'utf8' });
    expect(synth.status).toBe(0);
    const stack = path.join(out, 'stacks/workspace');
    const doc = JSON.parse(fs.readFileSync(path.join(stack, 'cdk.tf.json'), 'utf8')) as { provider: { coffer: Record<string, unknown>[] } };
    (doc.provider.coffer[0] as Record<string, unknown>).coder_url = double.url; // v2.30 has no user-secrets routes
    fs.writeFileSync(path.join(stack, 'cdk.tf.json'), JSON.stringify(doc, null, 2));
    await succeeds(coder.admin, ['templates', 'push', `${TEMPLATE}-cdk`, '--directory', stack, '--yes']);
    const template = await coder.api.get<{ active_version_id: string }>(`/api/v2/organizations/${coder.organizationId}/templates/${TEMPLATE}-cdk`);
    const logs = await coder.api.get<{ output: string }[]>(`/api/v2/templateversions/${template.active_version_id}/logs`);
    expect(logs.map((l) => l.output).join('\n')).toContain('coffer_secret_check skipped in this template import or workspace preview');
    expect(await coder.api.get<unknown[]>(`/api/v2/templateversions/${template.active_version_id}/variables`)).toEqual([]);
    expect(double.requests).toEqual([]);
  }, 600_000);

  test('admin: preview + start write the npm token into their Coder secrets from the platform store', async () => {
    await userCreatesSecret(coder.admin, 'ssh-signing-key', SSH_VALUE);
    await succeeds(coder.admin, ['create', 'ws-a1', '--template', TEMPLATE, '--yes']);
    const secrets = double.secretsOf(coder.admin.id);
    expect(secrets.map((s) => [s.name, s.env_name])).toEqual([
      ['npm-token', 'NPM_TOKEN'],
      ['ssh-signing-key', ''],
    ]);
    expect(double.valueOf(coder.admin.id, 'npm-token')).toBe(NPM_VALUE);
    // `coder create` ran the preview (a dry-run job, which has no token) before the start build.
    const dryRuns = coderDb("SELECT count(*) FROM provisioner_jobs WHERE type = 'template_version_dry_run' AND job_status = 'succeeded'");
    expect(Number(dryRuns)).toBeGreaterThanOrEqual(1);
  }, 600_000);

  test("admin: a second workspace adopts the same per-user secret (no 409)", async () => {
    await succeeds(coder.admin, ['create', 'ws-a2', '--template', TEMPLATE, '--yes']);
    expect(double.secretsOf(coder.admin.id).map((s) => s.name)).toEqual(['npm-token', 'ssh-signing-key']);
  }, 600_000);

  test('admin: stopping and deleting one workspace keeps the secret the other uses', async () => {
    await succeeds(coder.admin, ['stop', 'ws-a1', '--yes']);
    await succeeds(coder.admin, ['delete', 'ws-a1', '--yes']);
    const history = await builds('admin', 'ws-a1');
    expect(history.map((b) => [b.transition, b.job.status])).toEqual([
      ['delete', 'succeeded'],
      ['stop', 'succeeded'],
      ['start', 'succeeded'],
    ]);
    expect(await buildLogs(history[1]?.id as string)).toContain('coffer_secret_check skipped in this workspace stop build');
    // terraform's destroy plan reads the check too (Coder shows no warnings there): no error either.
    expect(await buildLogs(history[0]?.id as string)).toContain('data.coffer_secret_check.required: Refresh complete');
    expect(double.secretsOf(coder.admin.id).map((s) => s.name)).toEqual(['npm-token', 'ssh-signing-key']);
    await succeeds(coder.admin, ['restart', 'ws-a2', '--yes']);
  }, 900_000);

  test('member: the start build fails with the missing secret in Coder terms, then starts once it exists', async () => {
    const first = await cli(member, ['create', 'ws-m1', '--template', TEMPLATE, '--yes']);
    expect(first.code).not.toBe(0);
    const [failed] = await builds(member.username, 'ws-m1');
    expect(failed?.job.status).toBe('failed');
    const logs = await buildLogs(failed?.id as string);
    expect(logs + (failed?.job.error ?? '')).toContain('coder secret create ssh-signing-key');
    expect(logs).not.toContain('coffer secret create');

    await userCreatesSecret(member, 'ssh-signing-key', SSH_VALUE);
    await succeeds(member, ['start', 'ws-m1']);
    expect(double.valueOf(member.id, 'npm-token')).toBe(NPM_VALUE);
  }, 900_000);

  test("member: the admin's token is refused on the member's secrets; the admin can still stop and delete the workspace", async () => {
    const refused = await fetch(`${double.url}/api/v2/users/${member.username}/secrets`, { headers: { 'Coder-Session-Token': coder.admin.token } });
    expect(refused.status).toBe(500);
    expect(await refused.text()).toContain('rbac: forbidden');

    await succeeds(coder.admin, ['stop', `${member.username}/ws-m1`, '--yes']);
    await succeeds(coder.admin, ['delete', `${member.username}/ws-m1`, '--yes']);
    expect(double.secretsOf(member.id).map((s) => s.name)).toEqual(['npm-token', 'ssh-signing-key']);
  }, 900_000);

  test("no test value in build logs, the resources API or Coder's database", async () => {
    for (const [owner, workspace] of [
      ['admin', 'ws-a1'],
      ['admin', 'ws-a2'],
      [member.username, 'ws-m1'],
    ] as const) {
      for (const build of await builds(owner, workspace)) {
        const logs = await buildLogs(build.id);
        expect(logs).not.toContain(NPM_VALUE);
        expect(logs).not.toContain(SSH_VALUE);
        expect(logs).not.toContain(PYPI_VALUE);
        expect(JSON.stringify(build)).not.toContain(NPM_VALUE);
      }
    }
    const pgDump = path.join(path.dirname(pg.psql), 'pg_dump');
    const dump = execFileSync(pgDump, ['-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-d', 'coder', '--data-only'], {
      env: { PATH: process.env.PATH, PGPASSWORD: pg.password },
      maxBuffer: 512 * 1024 * 1024,
      encoding: 'utf8',
    });
    expect(dump).toContain(TEMPLATE); // the dump is real
    expect(dump).not.toContain(NPM_VALUE);
    expect(dump).not.toContain(SSH_VALUE);
    expect(dump).not.toContain(PYPI_VALUE);
    expect(coder.log()).not.toContain(NPM_VALUE);
    // failure 6: no audit file in the provisioner's home for the owners' secrets (their audit lines
    // go to the provider log); the only file is the platform alias's, for its reads (COFFER_HOME).
    expect(fs.existsSync(path.join(coder.home, '.local/share/coffer'))).toBe(false);
    const platformAudit = fs.readFileSync(path.join(platformHome, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { backend: string; action: string });
    expect(platformAudit.length).toBeGreaterThan(0);
    expect(new Set(platformAudit.map((l) => `${l.backend} ${l.action}`))).toEqual(new Set(['vault read_value']));
  }, 300_000);
});
