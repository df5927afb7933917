/**
 * `ephemeral "coffer_dynamic_secret"` against OpenBao's database secrets engine and a real
 * PostgreSQL, on every engine: a `terraform_data` provisioner logs in with the minted
 * credential, sleeps past the lease's TTL and logs in again. While it sleeps, the test sees the
 * role in pg_roles and the lease renewed in OpenBao; after the run the role is gone (revoked at
 * close with sync=true). The credential appears nowhere in output, logs, plan or state.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VaultSecretStore } from '../../src/client/backends/vault';
import type { DynamicSecrets } from '../../src/client/dynamic-secrets';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';
import { enableDatabaseEngine, startPostgres, type PostgresServer } from '../support/postgres';
import { streamDiagnostics } from './support/diagnostics';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace, type RunResult } from './support/workspace';

const ROLE = 'app';
const TTL_SECONDS = 10;
const MAX_TTL_SECONDS = 60;
/** Longer than the TTL, so the credential only works at the end if the lease was renewed. */
const SLEEP_SECONDS = 16;

let bao: OpenBaoServer;
let pg: PostgresServer;

beforeAll(async () => {
  [bao, pg] = await Promise.all([startOpenBao(), startPostgres()]);
  await enableDatabaseEngine(bao, pg, { role: ROLE, defaultTtl: `${TTL_SECONDS}s`, maxTtl: `${MAX_TTL_SECONDS}s` });
});

afterAll(async () => {
  await Promise.all([bao?.stop(), pg?.stop()]);
});

interface LeaseLookup {
  readonly id: string;
  readonly issue_time: string;
  readonly expire_time: string;
  readonly last_renewal: string | null;
  readonly ttl: number;
}

/** Live leases of the role, as OpenBao sees them. */
async function liveLeases(): Promise<LeaseLookup[]> {
  const list = await bao.api('LIST', `sys/leases/lookup/database/creds/${ROLE}/`);
  if (list.status === 404) return [];
  const keys: string[] = list.body?.data?.keys ?? [];
  const out: LeaseLookup[] = [];
  for (const key of keys) {
    const lookup = await bao.api('PUT', 'sys/leases/lookup', { lease_id: `database/creds/${ROLE}/${key}` });
    if (lookup.status === 200) out.push(lookup.body.data as LeaseLookup);
  }
  return out;
}

async function dynamicRoles(): Promise<string[]> {
  const rows = await pg.query(`SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%' ORDER BY 1`);
  return rows === '' ? [] : rows.split('\n');
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function vaultEnv(): Record<string, string> {
  return { COFFER_BACKEND: 'vault', BAO_ADDR: bao.address, BAO_TOKEN: bao.token, COFFER_USER: 'alice' };
}

describe.each(availableEngines().map((e) => [`${e.name} ${e.version}`, e] as const))('coffer_dynamic_secret on %s', (_label, engine) => {
  let ws: Workspace;
  /** Where the provisioner reports (outside the workspace, so canary searches of it stay meaningful). */
  let out: string;
  let output = '';

  beforeAll(async () => {
    ws = new Workspace(engine, vaultEnv());
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-dyn-out-'));
  });

  afterAll(() => {
    ws?.cleanup();
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  const config = (extra = '') => `${providerBlock()}
ephemeral "coffer_dynamic_secret" "db" {
  path = "database/creds/${ROLE}"${extra}
}

resource "terraform_data" "migrate" {
  provisioner "local-exec" {
    interpreter = ["/bin/sh", "-c"]
    command     = <<-EOT
      set -e
      "${pg.psql}" -X -tA -c 'SELECT current_user' > "$OUT/user-before"
      printf %s "$PGPASSWORD" > "$OUT/password"
      touch "$OUT/started"
      sleep ${SLEEP_SECONDS}
      "${pg.psql}" -X -tA -c 'SELECT current_user' > "$OUT/user-after"
    EOT
    environment = {
      OUT               = "${out}"
      PGHOST            = "${pg.host}"
      PGPORT            = "${pg.port}"
      PGDATABASE        = "postgres"
      PGCONNECT_TIMEOUT = "10"
      PGUSER            = ephemeral.coffer_dynamic_secret.db.data.username
      PGPASSWORD        = ephemeral.coffer_dynamic_secret.db.data.password
    }
  }
}
`;

  test('apply: the credential works, is renewed past its TTL while the provisioner runs, and is revoked at close', async () => {
    ws.write('main.tf', config());
    output += (await ws.init()).stdout;
    const plan = await ws.ok(['plan', '-no-color', '-input=false', '-out=tfplan'], { TF_LOG: 'trace' });
    output += plan.stdout + plan.stderr;
    output += (await ws.ok(['show', '-json', 'tfplan'])).stdout;
    // Plan opened the ephemeral resource too, and closed (revoked) it again.
    expect(await liveLeases()).toEqual([]);
    expect(await dynamicRoles()).toEqual([]);

    const started = Date.now();
    const applying: Promise<RunResult> = ws.run(['apply', '-auto-approve', '-no-color', '-input=false'], { TF_LOG: 'trace' });
    const failFast = applying.then((r) => {
      throw new Error(`apply ended before the provisioner started (exit ${r.code}):\n${r.stdout}`);
    });
    failFast.catch(() => undefined);
    await Promise.race([waitFor('the provisioner to start', () => (fs.existsSync(path.join(out, 'started')) ? true : undefined), 60_000), failFast]);
    const username = fs.readFileSync(path.join(out, 'user-before'), 'utf8').trim();
    const password = fs.readFileSync(path.join(out, 'password'), 'utf8');
    expect(username).toMatch(/^v-/);
    expect(password.length).toBeGreaterThan(8);
    expect(await dynamicRoles()).toEqual([username]);

    const [lease] = await liveLeases();
    expect(lease).toBeDefined();
    const issued = Date.parse(lease!.issue_time);
    // Wait past the original expiry: only a renewal keeps the lease (and the role) alive.
    await sleep(Math.max(0, issued + (TTL_SECONDS + 2) * 1000 - Date.now()));
    const [later] = await liveLeases();
    expect(later?.id).toBe(lease!.id);
    expect(later!.last_renewal).not.toBeNull();
    expect(Date.parse(later!.expire_time)).toBeGreaterThan(issued + TTL_SECONDS * 1000);
    expect(await dynamicRoles()).toEqual([username]);
    const beyondTtlMs = Date.now() - issued;

    const result = await applying;
    const elapsedMs = Date.now() - started;
    output += result.stdout + result.stderr;
    expect(result.code).toBe(0);
    // The second login, after the original TTL, worked: the renewals moved VALID UNTIL too.
    expect(fs.readFileSync(path.join(out, 'user-after'), 'utf8').trim()).toBe(username);
    expect(result.stdout).toContain('ephemeral.coffer_dynamic_secret.db: Renewing...');
    expect(result.stdout).toMatch(/ephemeral\.coffer_dynamic_secret\.db: Clos(e|ing) complete/);

    // Closed: revoked synchronously, so the role is gone the moment apply returns.
    expect(await liveLeases()).toEqual([]);
    expect(await dynamicRoles()).toEqual([]);
    expect((await bao.api('PUT', 'sys/leases/lookup', { lease_id: lease!.id })).status).toBe(400);

    // The provider's own log tells the same story.
    const log = result.stderr;
    const renewals = [...log.matchAll(/renewed lease: .*?timestamp=(\S+)/g)].filter((m) => m[0].includes(lease!.id));
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    expect(log).toMatch(new RegExp(`revoked lease: .*lease_id=${lease!.id.replace(/[/]/g, '\\/')}`));
    const renewedAt = renewals.map((m) => Date.parse(m[1] as string) - issued);
    console.log(
      `${engine.name}: lease TTL ${TTL_SECONDS}s, renewals at +${renewedAt.map((ms) => (ms / 1000).toFixed(1)).join('s, +')}s after issue; ` +
        `role alive ${(beyondTtlMs / 1000).toFixed(1)}s after issue; apply took ${(elapsedMs / 1000).toFixed(1)}s`,
    );

    // Canary: the credential is nowhere in what the engine printed, logged or wrote.
    for (const secret of [password, username]) {
      expect(output).not.toContain(secret);
      expect(ws.allFilesText()).not.toContain(secret);
    }
    expect(output).toContain('OpenEphemeralResource');
    const state = await ws.show();
    expect(JSON.stringify(state)).not.toContain(password);
  });

  test('revoke_on_close = false leaves the lease to expire with its TTL', async () => {
    ws.write('main.tf', `${providerBlock()}
ephemeral "coffer_dynamic_secret" "db" {
  mount           = "database"
  role            = "${ROLE}"
  revoke_on_close = false
}

resource "terraform_data" "use" {
  provisioner "local-exec" {
    command     = "true"
    environment = { U = ephemeral.coffer_dynamic_secret.db.data.username }
  }
}
`);
    await ws.apply(['-replace=terraform_data.use']);
    const kept = await liveLeases();
    // One from plan, one from apply: both kept.
    expect(kept.length).toBe(2);
    expect((await dynamicRoles()).length).toBe(2);
    for (const lease of kept) await bao.api('PUT', 'sys/leases/revoke', { lease_id: lease.id, sync: true });
    expect(await dynamicRoles()).toEqual([]);
  });

  test('configuration errors: both path and mount/role, an unknown role', async () => {
    ws.write('main.tf', `${providerBlock()}
ephemeral "coffer_dynamic_secret" "db" {
  path  = "database/creds/${ROLE}"
  mount = "database"
}
`);
    const both = await ws.run(['validate', '-json', '-no-color']);
    expect(both.code).toBe(1);
    expect(both.stdout).toContain('Conflicting credential path');

    ws.write('main.tf', `${providerBlock()}
ephemeral "coffer_dynamic_secret" "db" {
  path = "database/creds/no-such-role"
}

resource "terraform_data" "use" {
  provisioner "local-exec" {
    command     = "true"
    environment = { U = ephemeral.coffer_dynamic_secret.db.data.username }
  }
}
`);
    const unknownRole = await ws.run(['plan', '-json', '-no-color', '-input=false']);
    expect(unknownRole.code).toBe(1);
    const diagnostics = streamDiagnostics(unknownRole.stdout);
    expect(diagnostics).toEqual(expect.arrayContaining([expect.objectContaining({ severity: 'error', summary: 'Cannot issue dynamic secret' })]));
    expect(diagnostics.map((d) => d.detail).join('\n')).toContain('database/creds/no-such-role');
  });
});

describe('coffer_dynamic_secret on a backend without dynamic secrets', () => {
  test('the embedded store answers with a clear error', async () => {
    const engine = availableEngines()[0]!;
    const ws = new Workspace(engine, { COFFER_BACKEND: 'local', COFFER_USER: 'alice' });
    try {
      ws.write('main.tf', `${providerBlock()}
ephemeral "coffer_dynamic_secret" "db" {
  path = "database/creds/app"
}

resource "terraform_data" "use" {
  provisioner "local-exec" {
    command     = "true"
    environment = { U = ephemeral.coffer_dynamic_secret.db.data.username }
  }
}
`);
      await ws.init();
      const result = await ws.run(['plan', '-no-color', '-input=false']);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toContain('dynamic secrets need the vault backend');
    } finally {
      ws.cleanup();
    }
  });
});

describe('Vault lease client against OpenBao', () => {
  let store: VaultSecretStore;
  let leases: DynamicSecrets;

  beforeAll(() => {
    store = new VaultSecretStore({ env: { BAO_ADDR: bao.address, BAO_TOKEN: bao.token, COFFER_USER: 'alice' } });
    leases = store.dynamicSecrets();
  });

  afterAll(() => store.close());

  test('issue, renew (capped by the max TTL), revoke twice, renew after revoke', async () => {
    const credential = await leases.issue(`database/creds/${ROLE}`);
    expect(credential).toMatchObject({ leaseDuration: TTL_SECONDS, renewable: true });
    expect(Object.keys(credential.data).sort()).toEqual(['password', 'username']);
    expect(String(credential.data.password)).toBe('[redacted]');
    const username = credential.data.username!.reveal();
    expect(await pg.queryAs(username, credential.data.password!.reveal(), 'SELECT current_user')).toBe(username);

    const renewed = await leases.renew(credential.leaseId, 30);
    expect(renewed).toMatchObject({ leaseId: credential.leaseId, leaseDuration: 30, renewable: true });
    // The role's max TTL (60 s from issue) caps what a renewal can get.
    const capped = await leases.renew(credential.leaseId, 3600);
    expect(capped.leaseDuration).toBeLessThanOrEqual(MAX_TTL_SECONDS);

    await leases.revoke(credential.leaseId);
    expect(await dynamicRoles()).toEqual([]);
    await leases.revoke(credential.leaseId); // idempotent
    await expect(leases.renew(credential.leaseId, 10)).rejects.toMatchObject({ code: 'not_found' });
  });

  test('errors name the path, never a value', async () => {
    await expect(leases.issue('database/creds/nope')).rejects.toMatchObject({ name: 'SecretValidationError', field: 'path' });
    await expect(leases.issue('nothing-mounted/creds/x')).rejects.toMatchObject({ code: expect.stringMatching(/not_found|unsupported|validation/) });
    await expect(leases.issue('../sys/raw')).rejects.toMatchObject({ name: 'SecretValidationError' });
  });
});
