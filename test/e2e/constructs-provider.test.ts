/**
 * The constructs against the provider they ship with, on every engine: a CDK app with no
 * provider-feature context synthesizes `data "coffer_secret_check"` and pattern (b)
 * (`ephemeral "coffer_dynamic_secret"`), and its short `cofferhq/coffer` source installs from a
 * filesystem mirror that has only the engine's own registry host (registry.opentofu.org for tofu,
 * registry.terraform.io for terraform). Then, on real OpenBao (database engine, real PostgreSQL):
 * the plan fails listing every missing required secret; with them present, apply writes a leased
 * database credential into two user secrets, and that credential logs in to PostgreSQL.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VaultSecretStore } from '../../src/client/backends/vault';
import { SecretText } from '../../src/client/secret-text';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';
import { enableDatabaseEngine, startPostgres, type PostgresServer } from '../support/postgres';
import { availableEngines, type Engine } from './support/engines';
import { runProcess, type ProcessResult } from './support/process';

const root = path.resolve(__dirname, '../..');
const HOSTS = ['registry.opentofu.org', 'registry.terraform.io'];

const APP = `
import { App, LocalBackend, TerraformStack } from '${root}/node_modules/cdktn';
import { coffer, DynamicSecret, DynamicSecretPattern, SecretCheck, UserSecret } from '${root}/src/constructs';

const app = new App();
const stack = new TerraformStack(app, 'db');
new LocalBackend(stack, { path: 'terraform.tfstate' });
new coffer.provider.CofferProvider(stack, 'coffer', {});
new SecretCheck(stack, 'required', { secrets: ['ssh-signing-key', 'github-token'] });
const lease = new DynamicSecret(stack, 'lease', {
  pattern: DynamicSecretPattern.vaultLease({ mount: 'database', role: 'app', ttl: '1h' }),
});
new UserSecret(stack, 'db-user', { name: 'db-user', value: lease.value('username'), envName: 'PGUSER' });
new UserSecret(stack, 'db-password', { name: 'db-password', value: lease.value('password'), envName: 'PGPASSWORD' });
app.synth();
`;

async function run(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return runProcess(file, args, { cwd, env });
}

/** A filesystem mirror holding cofferhq/coffer under `host` only (copied from the e2e mirror). */
function mirrorWithOnly(host: string, dir: string): string {
  const from = path.join(process.env.COFFER_E2E_MIRROR as string, host, 'cofferhq');
  fs.mkdirSync(path.join(dir, host), { recursive: true });
  fs.cpSync(from, path.join(dir, host, 'cofferhq'), { recursive: true });
  return dir;
}

let bao: OpenBaoServer;
let pg: PostgresServer;
let base: string;
let stackDir: string;

beforeAll(async () => {
  [bao, pg] = await Promise.all([startOpenBao(), startPostgres()]);
  await enableDatabaseEngine(bao, pg, { role: 'app', defaultTtl: '1h', maxTtl: '2h' });
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-e2e-constructs-'));
  fs.writeFileSync(path.join(base, 'app.ts'), APP);
  const synth = await runProcess(
    process.execPath,
    [path.join(root, 'examples/coder-template/synth.mjs'), '--app', path.join(base, 'app.ts'), '--out', path.join(base, 'out')],
    { cwd: base },
  );
  if (synth.code !== 0) throw new Error(`synth failed\n${synth.stdout}\n${synth.stderr}`);
  stackDir = path.join(base, 'out/stacks/db');
});

afterAll(async () => {
  await Promise.all([bao?.stop(), pg?.stop()]);
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

test('without any context, the synthesized configuration uses the provider features and the short source', () => {
  const doc = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
  expect(doc.terraform.required_providers.coffer).toEqual({ source: 'cofferhq/coffer', version: '>= 0.1.0' });
  expect(Object.values(doc.data.coffer_secret_check)).toEqual([
    expect.objectContaining({ names: ['ssh-signing-key', 'github-token'] }),
  ]);
  expect(doc.locals).toBeUndefined();
  expect(Object.values(doc.ephemeral.coffer_dynamic_secret)).toEqual([
    expect.objectContaining({ mount: 'database', role: 'app', ttl: '1h', revoke_on_close: false }),
  ]);
});

describe.each(availableEngines().map((e) => [e.name, e] as [string, Engine]))('on %s', (_name, engine) => {
  let work: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    work = path.join(base, engine.name);
    fs.mkdirSync(work);
    fs.copyFileSync(path.join(stackDir, 'cdk.tf.json'), path.join(work, 'cdk.tf.json'));
    const mirror = mirrorWithOnly(engine.registryHost, path.join(base, `mirror-${engine.name}`));
    fs.writeFileSync(
      path.join(base, `${engine.name}.tfrc`),
      `provider_installation {\n  filesystem_mirror {\n    path = "${mirror}"\n  }\n}\n`,
    );
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      TF_CLI_CONFIG_FILE: path.join(base, `${engine.name}.tfrc`),
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
      COFFER_BACKEND: 'vault',
      BAO_ADDR: bao.address,
      BAO_TOKEN: bao.token,
      COFFER_USER: `alice-${engine.name}`,
    };
  });

  test(`init installs cofferhq/coffer from a mirror that has only ${engine.registryHost}`, async () => {
    const init = await run(engine.binary, ['init', '-no-color', '-input=false'], work, env);
    if (init.code !== 0) throw new Error(`init failed\n${init.stdout}\n${init.stderr}`);
    expect(fs.readFileSync(path.join(work, '.terraform.lock.hcl'), 'utf8')).toContain(
      `provider "${engine.registryHost}/cofferhq/coffer"`,
    );
  });

  test("a mirror with only the other engine's host is not enough (the source is resolved per engine)", async () => {
    const other = HOSTS.find((h) => h !== engine.registryHost)!;
    const dir = path.join(base, `other-${engine.name}`);
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(stackDir, 'cdk.tf.json'), path.join(dir, 'cdk.tf.json'));
    const mirror = mirrorWithOnly(other, path.join(base, `mirror-other-${engine.name}`));
    fs.writeFileSync(path.join(base, `other-${engine.name}.tfrc`), `provider_installation {\n  filesystem_mirror {\n    path = "${mirror}"\n  }\n}\n`);
    const init = await run(engine.binary, ['init', '-no-color', '-input=false'], dir, {
      ...env,
      TF_CLI_CONFIG_FILE: path.join(base, `other-${engine.name}.tfrc`),
    });
    expect(init.code).not.toBe(0);
    expect(init.stdout + init.stderr).toContain(`${engine.registryHost}/cofferhq/coffer`);
  });

  test('the plan fails listing every missing required secret', async () => {
    const plan = await run(engine.binary, ['plan', '-no-color', '-input=false'], work, env);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('ssh-signing-key');
    expect(plan.stderr).toContain('github-token');
  });

  test('with the secrets present, apply writes a leased database credential that logs in', async () => {
    const store = new VaultSecretStore({ env: { BAO_ADDR: bao.address, BAO_TOKEN: bao.token, COFFER_USER: env.COFFER_USER } });
    try {
      await store.create('me', { name: 'ssh-signing-key', value: new SecretText('k'), filePath: '~/.ssh/signing_key' });
      await store.create('me', { name: 'github-token', value: new SecretText('t'), envName: 'GITHUB_TOKEN' });
      const apply = await run(engine.binary, ['apply', '-auto-approve', '-no-color', '-input=false'], work, env);
      if (apply.code !== 0) throw new Error(`apply failed\n${apply.stdout}\n${apply.stderr}`);
      expect(apply.stdout).toMatch(/Apply complete! Resources: 2 added/);
      const user = (await store.readValue('me', 'db-user')).reveal();
      const password = (await store.readValue('me', 'db-password')).reveal();
      expect(user).toMatch(/^v-/);
      expect((await pg.queryAs(user, password, 'SELECT current_user')).trim()).toBe(user);
      const state = fs.readFileSync(path.join(work, 'terraform.tfstate'), 'utf8');
      expect(state).not.toContain(password);
      expect(apply.stdout + apply.stderr).not.toContain(password);
    } finally {
      await store.close();
    }
  });
});
