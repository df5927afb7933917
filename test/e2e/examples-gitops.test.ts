/**
 * examples/gitops end to end, from a copy of the repository outside it:
 * - the README's block, as written (embedded store as the platform store, real tofu, offline);
 * - the GitHub Actions workflow's steps, as written: `run:` steps in order with the job's and the
 *   steps' `env:` (a pull request's expressions), `npm ci` and the build included, a real OpenBao
 *   with AppRole as the platform store;
 * - the pipeline stops at the secret check when a required secret is missing, and at synth when
 *   the app leaks.
 * The coder/coder provider sits in `~/.terraform.d/plugins` (where tofu looks before the registry,
 * which the runner would download it from).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VaultSecretStore } from '../../src/client/backends/vault';
import { SecretText } from '../../src/client/secret-text';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';
import { availableEngines, type Engine } from './support/engines';
import {
  copyRepository,
  evaluate,
  fillIn,
  readWorkflowJob,
  runBlock,
  runWorkflowJob,
  shellBlocks,
  type WorkflowContext,
} from './support/examples';
import { cofferOnPath, runProcess } from './support/process';

const root = path.resolve(__dirname, '../..');
const toolsDir = process.env.COFFER_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'coffer-tools');
const WORKFLOW = 'examples/gitops/.github/workflows/template.yml';

const CANARY = {
  npm: 'npm-canary-gitops-4444',
  pypi: 'pypi-canary-gitops-5555',
  ssh: 'ssh-canary-gitops-6666',
  secretId: 'unused',
};

/** A HOME whose ~/.terraform.d/plugins holds coder/coder (the runner downloads it from the registry). */
function homeWithCoderProvider(home: string): string {
  const plugins = path.join(home, '.terraform.d', 'plugins');
  fs.mkdirSync(plugins, { recursive: true });
  fs.cpSync(path.join(toolsDir, 'provider-mirror'), plugins, { recursive: true });
  return home;
}

function baseEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: `${process.env.COFFER_E2E_TOOLS_BIN}:${process.env.PATH}`,
    HOME: home,
    TMPDIR: process.env.TMPDIR,
    // A CI's npm cache: `npm ci` installs from it.
    npm_config_cache: path.join(os.homedir(), '.npm'),
    npm_config_prefer_offline: 'true',
  };
}

describe('examples/gitops', () => {
  let base: string;

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-e2e-gitops-'));
  });

  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  test.each(availableEngines().map((e) => [e.name, e] as [string, Engine]))("the README's block, as written, on %s: synth, lint, secret check, plan (the push left to PUSH_COMMAND)", async (_name, engine) => {
    const repo = copyRepository(path.join(base, `readme-repo-${engine.name}`));
    const home = homeWithCoderProvider(path.join(base, `readme-home-${engine.name}`));
    fs.mkdirSync(path.join(home, '.ssh'));
    fs.writeFileSync(path.join(home, '.ssh', 'signing_key'), CANARY.ssh, { mode: 0o600 });
    const [block, ...rest] = shellBlocks(path.join(repo, 'examples/gitops/README.md'));
    expect(rest).toEqual([]);
    // On terraform, `TOFU=tofu` names terraform instead (the README's note: TOFU=terraform).
    const commands = engine.name === 'tofu' ? block! : fillIn(block!, [['TOFU=tofu ', `TOFU=${engine.binary} `]]);
    const r = await runBlock(commands, repo, { ...baseEnv(home), NPM_TOKEN: CANARY.npm, PYPI_TOKEN: CANARY.pypi });
    if (r.code !== 0) throw new Error(`README block exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    expect(r.stderr.match(/==> \d\/5 [a-z ]+/g)).toEqual([
      '==> 1/5 synth',
      '==> 2/5 lint',
      '==> 3/5 secret check',
      '==> 4/5 plan',
      '==> 5/5 push',
    ]);
    expect(r.stdout).toContain('coffer lint: 0 errors, 0 warnings');
    expect(r.stdout).toContain('coffer_secret_check skipped in this template import');
    expect(r.stdout).toMatch(/Plan: \d+ to add/);
    for (const canary of [CANARY.npm, CANARY.pypi, CANARY.ssh]) expect(r.stdout + r.stderr).not.toContain(canary);
    const synthesized = fs.readFileSync(path.join(repo, 'cdktf.out/stacks/workspace/cdk.tf.json'), 'utf8');
    for (const canary of [CANARY.npm, CANARY.pypi, CANARY.ssh]) expect(synthesized).not.toContain(canary);
  });

  describe('the CI workflow, as written', () => {
    let bao: OpenBaoServer;
    const context = (ref: string, secrets: Record<string, string> = {}, vars: Record<string, string> = {}): WorkflowContext => ({
      github: { ref, sha: 'f00dfeed', event_name: ref.startsWith('refs/pull/') ? 'pull_request' : 'push' },
      secrets,
      vars,
    });

    beforeAll(async () => {
      bao = await startOpenBao();
    });

    afterAll(async () => {
      await bao?.stop();
    });

    test('main pushes the template; pull requests stop after the plan', () => {
      const job = readWorkflowJob(path.join(root, WORKFLOW), 'template');
      const pipeline = job.steps.find((s) => s.run === 'bash examples/gitops/pipeline.sh')!;
      const push = String(pipeline.env?.PUSH_COMMAND).replace(/^\$\{\{\s*|\s*\}\}$/g, '');
      expect(evaluate(push, context('refs/heads/main'))).toBe('');
      expect(evaluate(push, context('refs/pull/7/merge'))).toBe('true');
      const install = job.steps.find((s) => s.if !== undefined)!;
      expect(install.run).toContain('coder');
      expect(evaluate(install.if!, context('refs/heads/main'))).toBe(true);
      expect(evaluate(install.if!, context('refs/pull/7/merge'))).toBe(false);
    });

    test('a pull request runs every step as written against OpenBao (AppRole) as the platform store', async () => {
      // The platform store: KV v2 at secret/, an AppRole the job logs in with, its secrets.
      await bao.api('POST', 'sys/auth/approle', { type: 'approle' });
      await bao.api('PUT', 'sys/policies/acl/coffer-gitops', {
        policy: [
          'path "secret/data/coffer/users/*" { capabilities = ["create","read","update","patch","delete"] }',
          'path "secret/metadata/coffer/users/*" { capabilities = ["create","read","update","delete","list"] }',
        ].join('\n'),
      });
      await bao.api('POST', 'auth/approle/role/gitops', { token_policies: ['coffer-gitops'], token_ttl: '10m' });
      const roleId = (await bao.api('GET', 'auth/approle/role/gitops/role-id')).body.data.role_id as string;
      const secretId = (await bao.api('POST', 'auth/approle/role/gitops/secret-id')).body.data.secret_id as string;
      const admin = new VaultSecretStore({ env: { BAO_ADDR: bao.address, BAO_TOKEN: bao.token, COFFER_USER: 'root' } });
      try {
        await admin.create('platform-team', { name: 'npm-token', value: new SecretText(CANARY.npm), enabled: false });
        await admin.create('platform-team', { name: 'pypi-token', value: new SecretText(CANARY.pypi), enabled: false });
        // `me` for an AppRole login is the role's name.
        await admin.create('gitops', { name: 'ssh-signing-key', value: new SecretText(CANARY.ssh), filePath: '~/.ssh/signing_key' });
      } finally {
        await admin.close();
      }

      const repo = copyRepository(path.join(base, 'ci-repo'), { installs: true });
      const home = homeWithCoderProvider(path.join(base, 'ci-home'));
      const tofu = path.join(process.env.COFFER_E2E_TOOLS_BIN as string, 'tofu');
      const tofuVersion = JSON.parse(execFileSync(tofu, ['version', '-json'], { encoding: 'utf8', env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' } })).terraform_version as string;
      const job = readWorkflowJob(path.join(repo, WORKFLOW), 'template');
      const steps = await runWorkflowJob(job, {
        cwd: repo,
        baseEnv: { ...baseEnv(home), PATH: process.env.PATH },
        context: context(
          'refs/pull/7/merge',
          { COFFER_VAULT_SECRET_ID: secretId, CODER_SESSION_TOKEN: 'unused-on-pull-requests' },
          { BAO_ADDR: bao.address, COFFER_VAULT_ROLE_ID: roleId, CODER_URL: 'https://coder.example.com' },
        ),
        actions: {
          // The checkout is the copy itself.
          'actions/checkout@v4': () => expect(fs.existsSync(path.join(repo, '.git'))).toBe(true),
          'actions/setup-node@v4': (inputs) => expect(process.versions.node.split('.')[0]).toBe(inputs['node-version']),
          'opentofu/setup-opentofu@v1': (inputs) => {
            expect(tofuVersion).toBe(inputs.tofu_version);
            return { PATH: `${path.dirname(tofu)}:${process.env.PATH}` };
          },
        },
      });
      const failed = steps.find((s) => s.result !== undefined && s.result.code !== 0);
      if (failed) throw new Error(`step "${failed.label}" exited ${failed.result!.code}\n${failed.result!.stdout}\n${failed.result!.stderr}`);
      expect(steps.map((s) => [s.label, s.skipped])).toEqual([
        ['actions/checkout@v4', false],
        ['actions/setup-node@v4', false],
        ['opentofu/setup-opentofu@v1', false],
        ['npm ci', false],
        ['npm run build && node dist/coffer-cli.cjs provider install', false],
        ['Install the coder CLI (main pushes the template)', true],
        ['synth, lint, secret check, plan, push', false],
      ]);
      const pipeline = steps[steps.length - 1]!.result!;
      expect(pipeline.stderr.match(/==> \d\/5 [a-z ]+/g)).toEqual([
        '==> 1/5 synth',
        '==> 2/5 lint',
        '==> 3/5 secret check',
        '==> 4/5 plan',
        '==> 5/5 push',
      ]);
      expect(pipeline.stdout).toMatch(/Plan: \d+ to add/);
      const output = steps.map((s) => (s.result ? s.result.stdout + s.result.stderr : '')).join('\n');
      for (const canary of [CANARY.npm, CANARY.pypi, CANARY.ssh, secretId]) expect(output).not.toContain(canary);
    });
  });

  describe('pipeline failures', () => {
    let env: NodeJS.ProcessEnv;

    beforeAll(() => {
      const engine = availableEngines()[0]!;
      const mirror = process.env.COFFER_E2E_MIRROR as string;
      fs.writeFileSync(
        path.join(base, 'cli.tfrc'),
        `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n  }\n  filesystem_mirror {\n    path    = "${path.join(toolsDir, 'provider-mirror')}"\n  }\n}\n`,
      );
      env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TMPDIR: process.env.TMPDIR,
        TF_CLI_CONFIG_FILE: path.join(base, 'cli.tfrc'),
        COFFER: cofferOnPath(base),
        TOFU: engine.binary,
        PUSH_COMMAND: 'true',
        COFFER_USER: 'ci',
        CODER_URL: 'https://coder.example.com',
        CODER_WORKSPACE_TEMPLATE_ID: 'gitops-check',
        CODER_WORKSPACE_TEMPLATE_NAME: 'coffer-workspace',
        CODER_WORKSPACE_TEMPLATE_VERSION: 'abc123',
      };
    });

    test('stops at the secret check, listing what is missing', async () => {
      const work = path.join(base, 'missing');
      fs.mkdirSync(work);
      const r = await runProcess('bash', [path.join(root, 'examples/gitops/pipeline.sh')], {
        cwd: work,
        env: { ...env, COFFER_HOME: path.join(base, 'home-empty') },
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('==> 3/5 secret check');
      expect(r.stderr).toContain('ssh-signing-key');
      expect(r.stderr).not.toContain('==> 4/5 plan');
    });

    test('stops at synth when the app leaks a secret', async () => {
      const work = path.join(base, 'leaky');
      fs.mkdirSync(work);
      const r = await runProcess('bash', [path.join(root, 'examples/gitops/pipeline.sh')], {
        cwd: work,
        env: {
          ...env,
          COFFER_HOME: path.join(base, 'home-leaky'),
          APP: path.join(root, 'test/fixtures/leaky/cdk-leaky-app.ts'),
        },
      });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(
        /\[workspace\/main\] \[coffer guard\] credential-literal: coder_agent.main attribute env.GITHUB_TOKEN holds a credential-looking literal \(GitHub token\)/,
      );
      expect(r.stderr).not.toContain('ghp_R2d2');
      expect(r.stderr).not.toContain('==> 2/5 lint');
    });
  });
});
