/**
 * examples/gitops end to end: the pipeline script (synth → lint → secret check → plan → push)
 * with the real engine and providers, offline; the push step is replaced by a command that keeps
 * a copy of what would be pushed. Also: the pipeline stops at the secret check when a required
 * secret is missing, and at synth when the app leaks.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cofferOnPath, runProcess } from './support/process';
import { availableEngines } from './support/engines';

const root = path.resolve(__dirname, '../..');
const toolsDir = process.env.COFFER_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'coffer-tools');




const CANARY = {
  npm: 'npm-canary-gitops-4444',
  pypi: 'pypi-canary-gitops-5555',
  wrapped: 'hvs.CanaryGitopsWrappedToken66666666',
  github: 'gho_CanaryGitops77777777777777777777777',
};

describe('examples/gitops pipeline', () => {
  const engine = availableEngines()[0]!;
  let base: string;
  let env: NodeJS.ProcessEnv;
  let coffer: string;

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-e2e-gitops-'));
    coffer = cofferOnPath(base);
    const mirror = process.env.COFFER_E2E_MIRROR as string;
    fs.writeFileSync(
      path.join(base, 'cli.tfrc'),
      `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["registry.opentofu.org/cofferhq/*", "registry.terraform.io/cofferhq/*"]\n  }\n  filesystem_mirror {\n    path    = "${path.join(toolsDir, 'provider-mirror')}"\n    include = ["registry.opentofu.org/coder/*", "registry.terraform.io/coder/*"]\n  }\n}\n`,
    );
    const push = path.join(base, 'push.sh');
    fs.writeFileSync(push, `#!/bin/sh\nrm -rf "${base}/pushed" && cp -R "$1" "${base}/pushed"\n`, { mode: 0o755 });
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      TF_CLI_CONFIG_FILE: path.join(base, 'cli.tfrc'),
      COFFER: coffer,
      TOFU: engine.binary,
      PUSH_COMMAND: push,
      COFFER_USER: 'ci',
      CODER_WORKSPACE_TEMPLATE_ID: 'gitops-check',
      CODER_WORKSPACE_TEMPLATE_NAME: 'coffer-workspace',
      CODER_WORKSPACE_TEMPLATE_VERSION: 'abc123',
      CODER_EXTERNAL_AUTH_ACCESS_TOKEN_github: CANARY.github,
      TF_VAR_npm_token: CANARY.npm,
      TF_VAR_pypi_token: CANARY.pypi,
      TF_VAR_vault_wrapped_secret_id: CANARY.wrapped,
    };
  });

  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  test('runs synth, lint, secret check, plan and push; pushes only the configuration', async () => {
    const home = path.join(base, 'home-ok');
    const withHome = { ...env, COFFER_HOME: home };
    // The secret every user must bring (SecretCheck in the template).
    const created = await runProcess(coffer, ['secret', 'create', 'ssh-signing-key', '--file', '~/.ssh/signing_key'], {
      env: withHome,
      input: 'not-a-real-key',
    });
    expect(created.code).toBe(0);

    const work = path.join(base, 'ok');
    fs.mkdirSync(work);
    const r = await runProcess('bash', [path.join(root, 'examples/gitops/pipeline.sh')], { cwd: work, env: withHome });
    if (r.code !== 0) throw new Error(`pipeline exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    expect(r.stderr.match(/==> \d\/5 [a-z ]+/g)).toEqual([
      '==> 1/5 synth',
      '==> 2/5 lint',
      '==> 3/5 secret check',
      '==> 4/5 plan',
      '==> 5/5 push',
    ]);
    expect(r.stdout).toContain('coffer lint: 0 errors, 0 warnings');
    expect(r.stdout).toMatch(/Plan: 5 to add/);
    expect(fs.readdirSync(path.join(base, 'pushed')).sort()).toEqual(['.terraform.lock.hcl', 'cdk.tf.json']);
    const pushed = fs.readFileSync(path.join(base, 'pushed', 'cdk.tf.json'), 'utf8');
    for (const canary of Object.values(CANARY)) {
      expect(pushed).not.toContain(canary);
      expect(r.stdout + r.stderr).not.toContain(canary);
    }
  });

  test('stops at the secret check, listing what is missing', async () => {
    const work = path.join(base, 'missing');
    fs.mkdirSync(work);
    fs.rmSync(path.join(base, 'pushed'), { recursive: true, force: true });
    const r = await runProcess('bash', [path.join(root, 'examples/gitops/pipeline.sh')], {
      cwd: work,
      env: { ...env, COFFER_HOME: path.join(base, 'home-empty') },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('==> 3/5 secret check');
    expect(r.stderr).toContain('ssh-signing-key');
    expect(r.stderr).not.toContain('==> 4/5 plan');
    expect(fs.existsSync(path.join(base, 'pushed'))).toBe(false);
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
