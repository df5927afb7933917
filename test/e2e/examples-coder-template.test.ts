/* eslint-disable @typescript-eslint/no-explicit-any -- synthesized Terraform JSON is untyped */
/**
 * examples/coder-template end to end: synthesize the CDK app, then run it offline as Coder's
 * provisioner would — the environment of a start build (owner token, access URL pointing at the
 * Coder double), then a stop build and a template import (no token) — with the real coffer and
 * coder providers on every available engine. Checks where each secret went (write-only values
 * nowhere; the state-stored GitHub token marked sensitive), that the template-managed values came
 * from the platform store through ephemeral reads (no template variables), and that stop keeps
 * the owner's secrets. test/e2e/coder-workspace.test.ts runs the HCL variant in a real Coder.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalSecretStore } from '../../src/client/backends/local';
import { SecretText } from '../../src/client/secret-text';
import { lintPaths } from '../../src/lint';
import { VaultSecretStore } from '../../src/client/backends/vault';
import { CoderDouble } from '../support/coder-double';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { findCoder, startCoderServer, type CoderServer } from './support/coder-server';
import { runProcess, type ProcessResult } from './support/process';
import { availableEngines, type Engine } from './support/engines';
import { copyRepository, fillIn, runBlock, shellBlocks } from './support/examples';

const root = path.resolve(__dirname, '../..');
const toolsDir = process.env.COFFER_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'coffer-tools');



async function ok(
  file: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  codes = [0],
): Promise<ProcessResult> {
  const r = await runProcess(file, args, options);
  if (!codes.includes(r.code))
    throw new Error(`${path.basename(file)} ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** CLI config with both mirrors: ours (the e2e global setup's) and the coder provider's (setup-tools.sh). */
function writeCliConfig(file: string): void {
  const mirror = process.env.COFFER_E2E_MIRROR as string;
  fs.writeFileSync(
    file,
    [
      'provider_installation {',
      `  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["registry.opentofu.org/cofferhq/*", "registry.terraform.io/cofferhq/*"]\n  }`,
      `  filesystem_mirror {\n    path    = "${path.join(toolsDir, 'provider-mirror')}"\n    include = ["registry.opentofu.org/coder/*", "registry.terraform.io/coder/*"]\n  }`,
      '}',
      '',
    ].join('\n'),
  );
}

const CANARY = {
  github: 'gho_CanaryGithubExternalAuth0000000000000',
  npm: 'npm-canary-written-write-only-1111',
  pypi: 'pypi-canary-written-write-only-2222',
  ssh: 'ssh-canary-the-user-brought-4444',
};

/** The environment Coder's provisioner gives terraform for a build (its own CODER_* stripped). */
function buildEnv(double: CoderDouble, phase: 'start' | 'stop' | 'import'): NodeJS.ProcessEnv {
  return {
    CODER_AGENT_URL: double.url,
    CODER_WORKSPACE_TRANSITION: phase === 'stop' ? 'stop' : 'start',
    CODER_WORKSPACE_BUILD_ID: phase === 'import' ? '' : '5f0a3c1e-0000-4000-8000-00000000b11d',
    CODER_WORKSPACE_ID: phase === 'import' ? '' : '5f0a3c1e-0000-4000-8000-0000000000a1',
    CODER_WORKSPACE_NAME: phase === 'import' ? '' : 'dev',
    CODER_WORKSPACE_OWNER: phase === 'import' ? '' : 'alice',
    CODER_WORKSPACE_OWNER_EMAIL: phase === 'import' ? '' : 'alice@example.com',
    CODER_WORKSPACE_OWNER_SESSION_TOKEN: phase === 'start' ? double.tokenFor('alice') : '',
  };
}

describe.each(availableEngines().map((e) => [e.name, e] as [string, Engine]))(
  'examples/coder-template on %s',
  (_name, engine) => {
    let base: string;
    let work: string;
    let out: string;
    let env: NodeJS.ProcessEnv;
    let double: CoderDouble;

    beforeAll(async () => {
      double = await CoderDouble.start();
      double.seed('alice', [{ name: 'ssh-signing-key', value: CANARY.ssh, filePath: '~/.ssh/signing_key' }]);
      base = fs.mkdtempSync(path.join(os.tmpdir(), `coffer-e2e-coder-template-${engine.name}-`));
      work = path.join(base, 'work');
      out = path.join(base, 'cdktf.out');
      fs.mkdirSync(work);
      writeCliConfig(path.join(base, 'cli.tfrc'));
      env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TMPDIR: process.env.TMPDIR,
        TF_CLI_CONFIG_FILE: path.join(base, 'cli.tfrc'),
        TF_IN_AUTOMATION: '1',
        TF_INPUT: '0',
        CHECKPOINT_DISABLE: '1',
        // The platform store the `platform` alias reads (on a real provisioner: Vault/OpenBao).
        COFFER_BACKEND: 'local',
        COFFER_HOME: path.join(base, 'platform-store'),
        CODER_WORKSPACE_TEMPLATE_ID: 'e2e-template',
        CODER_WORKSPACE_TEMPLATE_NAME: 'coffer-workspace',
        CODER_WORKSPACE_TEMPLATE_VERSION: 'v1',
        CODER_EXTERNAL_AUTH_ACCESS_TOKEN_github: CANARY.github,
      };
      const platform = new LocalSecretStore({ home: env.COFFER_HOME, env: {} });
      await platform.create('platform-team', { name: 'npm-token', value: new SecretText(CANARY.npm), enabled: false });
      await platform.create('platform-team', { name: 'pypi-token', value: new SecretText(CANARY.pypi), enabled: false });
      await platform.close();
      await ok(process.execPath, [path.join(root, 'examples/coder-template/synth.mjs'), '--out', out], { cwd: root });
      fs.copyFileSync(path.join(out, 'stacks/workspace/cdk.tf.json'), path.join(work, 'cdk.tf.json'));
    });

    afterAll(async () => {
      await double.close();
      fs.rmSync(base, { recursive: true, force: true });
    });

    test('synthesizes a configuration the guard and coffer lint accept, with no secret in it', () => {
      const text = fs.readFileSync(path.join(work, 'cdk.tf.json'), 'utf8');
      for (const canary of Object.values(CANARY)) expect(text).not.toContain(canary);
      expect(lintPaths([out]).findings).toEqual([]);
      const doc = JSON.parse(text);
      // No template variables: Coder would store their values in its database.
      expect(doc.variable).toBeUndefined();
      expect(Object.keys(doc.data.coffer_secret_check)).toHaveLength(1);
      expect(doc.provider.coffer).toEqual([
        { backend: 'coder', coder_token: '${data.coder_workspace_owner.owner.session_token}' },
        { alias: 'platform' },
      ]);
      expect(Object.values(doc.ephemeral.coffer_user_secret).map((e: any) => e.provider)).toEqual(['coffer.platform', 'coffer.platform']);
    });

    test('template import (no token, placeholder owner): the plan passes, the check is skipped with a warning', async () => {
      await ok(engine.binary, ['init', '-no-color', '-input=false'], { cwd: work, env });
      const plan = await ok(engine.binary, ['plan', '-no-color', '-input=false'], { cwd: work, env: { ...env, ...buildEnv(double, 'import') } });
      expect(plan.stdout).toContain('coffer_secret_check skipped in this template import');
      expect(double.requests).toEqual([]);
    });

    test('start build: apply writes the template-managed secrets, then a clean re-plan', async () => {
      const start = { ...env, ...buildEnv(double, 'start') };
      const apply = await ok(engine.binary, ['apply', '-auto-approve', '-no-color', '-input=false'], { cwd: work, env: start });
      expect(apply.stdout).toMatch(/Apply complete! Resources: 4 added/);
      for (const canary of Object.values(CANARY)) expect(apply.stdout + apply.stderr).not.toContain(canary);
      const plan = await ok(engine.binary, ['plan', '-no-color', '-input=false', '-detailed-exitcode'], { cwd: work, env: start }, [0, 2]);
      expect(plan.code).toBe(0);
    });

    test('write-only values are in no file; state-stored ones are marked sensitive', async () => {
      const files = fs
        .readdirSync(work)
        .filter((f) => f.endsWith('.tfstate') || f.endsWith('.json') || f.endsWith('.backup'))
        .map((f) => fs.readFileSync(path.join(work, f), 'utf8'))
        .join('\n');
      expect(files).not.toContain(CANARY.npm);
      expect(files).not.toContain(CANARY.pypi);
      // Pattern (a) keeps its value in the agent's env, in state (documented).
      expect(files).toContain(CANARY.github);
      const show = JSON.parse((await ok(engine.binary, ['show', '-json', '-no-color'], { cwd: work, env })).stdout);
      const resources: { type: string; values: any; sensitive_values: any }[] = show.values.root_module.resources;
      const agent = resources.find((r) => r.type === 'coder_agent');
      expect(agent?.sensitive_values.env).toEqual({ GITHUB_TOKEN: true });
      expect(agent?.values.env).toMatchObject({ GIT_AUTHOR_NAME: expect.any(String) });
      const metadata = resources.find((r) => r.type === 'coder_metadata');
      expect(metadata?.values.item.map((i: { key: string; sensitive: boolean }) => [i.key, i.sensitive])).toEqual([
        ['npm', false],
        ['PyPI', false],
        ['GitHub token', true],
      ]);
      expect(resources.find((r) => r.type === 'coder_script')).toBeUndefined();
    });

    test("the secrets reached the owner's Coder secrets with their targets and the platform's values", () => {
      expect(double.secretsOf('alice').map((s) => [s.name, s.env_name, s.file_path])).toEqual([
        ['npm-token', 'NPM_TOKEN', ''],
        ['pypi-token', '', '~/.config/pypi/token'],
        ['ssh-signing-key', '', '~/.ssh/signing_key'],
      ]);
      expect(double.valueOf('alice', 'npm-token')).toBe(CANARY.npm);
      expect(double.valueOf('alice', 'pypi-token')).toBe(CANARY.pypi);
    });

    test("stop build (no token): the secrets are destroyed in state but retained for the owner's other workspaces", async () => {
      double.clearRequests();
      const stop = await ok(engine.binary, ['apply', '-auto-approve', '-no-color', '-input=false'], { cwd: work, env: { ...env, ...buildEnv(double, 'stop') } });
      expect(stop.stdout).toMatch(/Apply complete! Resources: 0 added, 0 changed, 2 destroyed/);
      expect(stop.stdout).toContain('coffer_secret_check skipped in this workspace stop build');
      expect(double.writes()).toEqual([]);
      expect(double.secretsOf('alice').map((s) => s.name)).toEqual(['npm-token', 'pypi-token', 'ssh-signing-key']);
      // The next start adopts them again (no "already exists").
      const start = await ok(engine.binary, ['apply', '-auto-approve', '-no-color', '-input=false'], { cwd: work, env: { ...env, ...buildEnv(double, 'start') } });
      expect(start.stdout).toMatch(/Apply complete! Resources: 2 added/);
    });
  },
);

const terraform = availableEngines().find((e) => e.name === 'terraform');

describe('examples/coder-template README, as written, from a copy of the repository', () => {
  let base: string;
  let double: CoderDouble;
  let bao: OpenBaoServer;
  /** Set by the first test: the copy, and the coder server's environment the README gives. */
  let repo: string | undefined;
  let serverEnv: Record<string, string> = {};

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-e2e-coder-readme-'));
    [double, bao] = await Promise.all([CoderDouble.start(), startOpenBao()]);
  });

  afterAll(async () => {
    await Promise.all([double?.close(), bao?.stop()]);
    fs.rmSync(base, { recursive: true, force: true });
  });

  // Coder's provisioner runs terraform, and the README's CLI configuration is for it.
  (terraform ? test : test.skip)('"Synthesize" and the provisioner set-up (OpenBao AppRole platform store); terraform plans the template import with them', async () => {
    repo = copyRepository(path.join(base, 'repo'), { installs: true });
    const home = path.join(base, 'home');
    fs.mkdirSync(home);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      TMPDIR: process.env.TMPDIR,
      // A CI's npm cache: `npm ci` installs from it.
      npm_config_cache: path.join(os.homedir(), '.npm'),
      npm_config_prefer_offline: 'true',
    };
    const blocks = shellBlocks(path.join(repo, 'examples/coder-template/README.md'));
    const synth = blocks.find((b) => b.startsWith('npm ci\n'));
    const provisioner = blocks.find((b) => b.includes('provider install --mirror'));
    expect(synth).toContain('node examples/coder-template/synth.mjs --out cdktf.out');
    const synthesized = await runBlock(synth!, repo, env);
    if (synthesized.code !== 0) throw new Error(`Synthesize exited ${synthesized.code}\n${synthesized.stdout}\n${synthesized.stderr}`);
    expect(synthesized.stdout.trim().split('\n').pop()).toBe(path.join(fs.realpathSync(repo), 'cdktf.out/stacks/workspace'));

    // The platform store: OpenBao with AppRole, holding the template-managed values.
    await bao.api('POST', 'sys/auth/approle', { type: 'approle' });
    await bao.api('PUT', 'sys/policies/acl/coder-provisioner', {
      policy: 'path "secret/data/coffer/users/platform-team/*" { capabilities = ["read"] }\npath "secret/metadata/coffer/users/platform-team/*" { capabilities = ["read", "list"] }',
    });
    await bao.api('POST', 'auth/approle/role/coder-provisioner', { token_policies: ['coder-provisioner'], token_ttl: '10m' });
    const roleId = (await bao.api('GET', 'auth/approle/role/coder-provisioner/role-id')).body.data.role_id as string;
    const secretId = (await bao.api('POST', 'auth/approle/role/coder-provisioner/secret-id')).body.data.secret_id as string;
    const admin = new VaultSecretStore({ env: { BAO_ADDR: bao.address, BAO_TOKEN: bao.token, COFFER_USER: 'root' } });
    await admin.create('platform-team', { name: 'npm-token', value: new SecretText(CANARY.npm), enabled: false });
    await admin.create('platform-team', { name: 'pypi-token', value: new SecretText(CANARY.pypi), enabled: false });
    await admin.close();

    // The host's paths, moved into the temp dir; /etc/coder exists on a Coder host, with the SecretID file.
    const host = path.join(base, 'host');
    fs.mkdirSync(path.join(host, 'etc/coder'), { recursive: true });
    fs.writeFileSync(path.join(host, 'etc/coder/approle-secret-id'), secretId, { mode: 0o600 });
    // `set -a`: the block's assignments are the coder server's environment; print it afterwards.
    const setUp = await runBlock(
      `set -a\n${fillIn(provisioner!, [
        ['/opt/terraform/mirror', path.join(host, 'opt/terraform/mirror')],
        ['/etc/coder/', `${path.join(host, 'etc/coder')}/`],
        ['https://bao.example.internal:8200', bao.address],
        ['COFFER_VAULT_ROLE_ID=…', `COFFER_VAULT_ROLE_ID=${roleId}`],
      ])}\nenv -0`,
      repo,
      env,
    );
    if (setUp.code !== 0) throw new Error(`set-up exited ${setUp.code}\n${setUp.stdout}\n${setUp.stderr}`);
    serverEnv = Object.fromEntries(
      setUp.stdout
        .split('\0')
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])
        .filter(([k]) => /^(TF_CLI_CONFIG_FILE|COFFER_\w+|VAULT_\w+|BAO_\w+|CODER_EXTERNAL_AUTH_\w+)$/.test(k!)),
    );
    expect(Object.keys(serverEnv).sort()).toEqual([
      'CODER_EXTERNAL_AUTH_0_CLIENT_ID',
      'CODER_EXTERNAL_AUTH_0_CLIENT_SECRET',
      'CODER_EXTERNAL_AUTH_0_ID',
      'CODER_EXTERNAL_AUTH_0_TYPE',
      'COFFER_BACKEND',
      'COFFER_VAULT_AUTH',
      'COFFER_VAULT_ROLE_ID',
      'COFFER_VAULT_SECRET_ID_FILE',
      'TF_CLI_CONFIG_FILE',
      'VAULT_ADDR',
    ]);
    // "add coder/coder there too"
    fs.cpSync(path.join(toolsDir, 'provider-mirror'), path.join(host, 'opt/terraform/mirror'), { recursive: true });

    const work = path.join(base, 'work');
    fs.mkdirSync(work);
    fs.copyFileSync(path.join(repo, 'cdktf.out/stacks/workspace/cdk.tf.json'), path.join(work, 'cdk.tf.json'));
    // What Coder's provisioner gives terraform: the server's environment minus CODER_*, plus its own.
    const { CODER_EXTERNAL_AUTH_0_ID: _1, CODER_EXTERNAL_AUTH_0_TYPE: _2, CODER_EXTERNAL_AUTH_0_CLIENT_ID: _3, CODER_EXTERNAL_AUTH_0_CLIENT_SECRET: _4, ...reachesTerraform } = serverEnv;
    const provisionerEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      TMPDIR: process.env.TMPDIR,
      ...reachesTerraform,
      TF_IN_AUTOMATION: '1',
      CHECKPOINT_DISABLE: '1',
      CODER_WORKSPACE_TEMPLATE_ID: 'readme-template',
      CODER_WORKSPACE_TEMPLATE_NAME: 'coffer-workspace',
      CODER_WORKSPACE_TEMPLATE_VERSION: 'v1',
      ...buildEnv(double, 'import'),
    };
    const init = await ok(terraform!.binary, ['init', '-no-color', '-input=false'], { cwd: work, env: provisionerEnv });
    expect(init.stdout).toContain('Terraform has been successfully initialized');
    const lock = fs.readFileSync(path.join(work, '.terraform.lock.hcl'), 'utf8');
    expect(lock).toContain('provider "registry.terraform.io/cofferhq/coffer"');
    expect(lock).toContain('provider "registry.terraform.io/coder/coder"');
    const plan = await ok(terraform!.binary, ['plan', '-no-color', '-input=false'], { cwd: work, env: provisionerEnv });
    expect(plan.stdout).toContain('coffer_secret_check skipped in this template import');
    // The plan opened both ephemeral reads of the platform store (a missing value fails it), with
    // the README's AppRole settings; the values are in no output.
    for (const canary of Object.values(CANARY)) expect(plan.stdout + plan.stderr).not.toContain(canary);
  });

  // A real Coder server (scripts/setup-coder.sh) in the environment the README's set-up gives.
  const coderBinary = findCoder();
  (terraform && 'binary' in coderBinary ? test : test.skip)('"Then, as a template admin": login and push both forms to a real Coder', async () => {
    expect(repo).toBeDefined();
    let pg: PostgresServer | undefined;
    let coder: CoderServer | undefined;
    try {
      pg = await startPostgres();
      const { TF_CLI_CONFIG_FILE: cliConfig, ...rest } = serverEnv;
      coder = await startCoderServer({ binary: (coderBinary as { binary: string }).binary, pg, cliConfig: cliConfig!, env: rest });
      const bin = path.join(base, 'admin-bin');
      fs.mkdirSync(bin);
      fs.symlinkSync((coderBinary as { binary: string }).binary, path.join(bin, 'coder'));
      const admin = shellBlocks(path.join(repo!, 'examples/coder-template/README.md')).find((b) => b.startsWith('coder login '));
      const r = await runBlock(fillIn(admin!, [['https://coder.example.com', coder.url]]), repo!, {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: path.join(base, 'home'),
        TMPDIR: process.env.TMPDIR,
        // `coder login` takes the admin's token from the environment instead of a browser.
        CODER_SESSION_TOKEN: coder.admin.token,
        CODER_CONFIG_DIR: path.join(base, 'admin-coder-config'),
        CODER_NO_VERSION_WARNING: 'true',
        CODER_FORCE_TTY: 'false',
        npm_config_cache: path.join(os.homedir(), '.npm'),
      });
      if (r.code !== 0) throw new Error(`admin block exited ${r.code}\n${r.stdout}\n${r.stderr}\n${coder.log().slice(-3000)}`);
      const versions = await coder.api.get<{ name: string; job: { status: string } }[]>(
        `/api/v2/templates/${(await coder.api.get<{ id: string }>(`/api/v2/organizations/${coder.organizationId}/templates/coffer-workspace`)).id}/versions`,
      );
      expect(versions.map((v) => v.job.status)).toEqual(['succeeded', 'succeeded']);
    } finally {
      await coder?.stop();
      await pg?.stop();
    }
  });
});

describe('committed schemas', () => {
  test('match what the providers report now (re-capture with scripts/capture-schemas.mjs, then npm run gen)', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-e2e-schemas-'));
    try {
      await ok(process.execPath, [path.join(root, 'scripts/capture-schemas.mjs'), '--no-build', '--out', out], { cwd: root });
      for (const name of ['coffer.json', 'coder.json']) {
        expect(fs.readFileSync(path.join(out, name), 'utf8')).toBe(
          fs.readFileSync(path.join(root, 'schemas', name), 'utf8'),
        );
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
