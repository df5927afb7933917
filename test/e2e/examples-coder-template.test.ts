/* eslint-disable @typescript-eslint/no-explicit-any -- synthesized Terraform JSON is untyped */
/**
 * examples/coder-template end to end: synthesize the CDK app, then `init`, `apply` and `plan`
 * it offline with the real coffer and coder providers on every available engine, and check
 * where each secret went (write-only values nowhere; the documented state-stored ones marked
 * sensitive) and that the secrets reached the store.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lintPaths } from '../../src/lint';
import { runProcess, type ProcessResult } from './support/process';
import { availableEngines, type Engine } from './support/engines';

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
  wrapped: 'hvs.CanaryWrappedSecretIdToken33333333',
};

describe.each(availableEngines().map((e) => [e.name, e] as [string, Engine]))(
  'examples/coder-template on %s',
  (_name, engine) => {
    let base: string;
    let work: string;
    let out: string;
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
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
        COFFER_HOME: path.join(base, 'coffer-home'),
        COFFER_USER: 'alice',
        // What Coder's provisioner sets for a workspace build.
        CODER_WORKSPACE_TEMPLATE_ID: 'e2e-template',
        CODER_WORKSPACE_TEMPLATE_NAME: 'coffer-workspace',
        CODER_WORKSPACE_TEMPLATE_VERSION: 'v1',
        CODER_WORKSPACE_NAME: 'dev',
        CODER_WORKSPACE_OWNER: 'alice',
        CODER_WORKSPACE_OWNER_EMAIL: 'alice@example.com',
        CODER_EXTERNAL_AUTH_ACCESS_TOKEN_github: CANARY.github,
        TF_VAR_npm_token: CANARY.npm,
        TF_VAR_pypi_token: CANARY.pypi,
        TF_VAR_vault_wrapped_secret_id: CANARY.wrapped,
      };
      await ok(process.execPath, [path.join(root, 'examples/coder-template/synth.mjs'), '--out', out], { cwd: root });
      fs.copyFileSync(path.join(out, 'stacks/workspace/cdk.tf.json'), path.join(work, 'cdk.tf.json'));
    });

    afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

    test('synthesizes a configuration the guard and coffer lint accept, with no secret in it', () => {
      const text = fs.readFileSync(path.join(work, 'cdk.tf.json'), 'utf8');
      for (const canary of Object.values(CANARY)) expect(text).not.toContain(canary);
      expect(lintPaths([out]).findings).toEqual([]);
      const doc = JSON.parse(text);
      expect(doc.variable.npm_token).toMatchObject({ sensitive: true, ephemeral: true });
      expect(doc.variable.vault_wrapped_secret_id).not.toHaveProperty('ephemeral');
      expect(Object.keys(doc.locals)[0]).toMatch(/^coffer_required_secrets_/);
    });

    test('init, apply and a clean re-plan with the real providers', async () => {
      await ok(engine.binary, ['init', '-no-color', '-input=false'], { cwd: work, env });
      const apply = await ok(engine.binary, ['apply', '-auto-approve', '-no-color', '-input=false'], {
        cwd: work,
        env,
      });
      expect(apply.stdout).toMatch(/Apply complete! Resources: 5 added/);
      for (const canary of Object.values(CANARY)) expect(apply.stdout + apply.stderr).not.toContain(canary);
      const plan = await ok(
        engine.binary,
        ['plan', '-no-color', '-input=false', '-detailed-exitcode'],
        { cwd: work, env },
        [0, 2],
      );
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
      // Patterns (a) and (c) keep their value in the agent's env, in state (documented).
      expect(files).toContain(CANARY.wrapped);
      const show = JSON.parse((await ok(engine.binary, ['show', '-json', '-no-color'], { cwd: work, env })).stdout);
      const resources: { type: string; values: any; sensitive_values: any }[] = show.values.root_module.resources;
      const agent = resources.find((r) => r.type === 'coder_agent');
      expect(agent?.sensitive_values.env).toEqual({ GITHUB_TOKEN: true, COFFER_VAULT_WRAPPED_SECRET_ID: true });
      expect(agent?.values.env).toMatchObject({
        BAO_ADDR: 'https://bao.example.internal:8200',
        COFFER_VAULT_ROLE_ID: 'workspace-db',
        GIT_AUTHOR_NAME: expect.any(String),
      });
      const metadata = resources.find((r) => r.type === 'coder_metadata');
      expect(metadata?.values.item.map((i: { key: string; sensitive: boolean }) => [i.key, i.sensitive])).toEqual([
        ['npm', false],
        ['PyPI', false],
        ['GitHub token', true],
      ]);
      const script = resources.find((r) => r.type === 'coder_script');
      expect(script?.values).toMatchObject({ run_on_start: true, display_name: 'Fetch secrets' });
      expect(script?.values.script).toContain('exec coffer run -- make dev-db');
    });

    test('the secrets reached the store with their targets', async () => {
      const cli = path.join(root, 'dist/coffer-cli.cjs');
      const list = JSON.parse((await ok(process.execPath, [cli, 'secret', 'list', '-o', 'json'], { env })).stdout) as {
        name: string;
        env_name: string;
        file_path: string;
      }[];
      expect(list.map((s) => [s.name, s.env_name, s.file_path]).sort()).toEqual([
        ['npm-token', 'NPM_TOKEN', ''],
        ['pypi-token', '', '~/.config/pypi/token'],
      ]);
      const value = await ok(
        process.execPath,
        [
          cli,
          'run',
          '--no-defaults',
          '--secret',
          'npm-token',
          '--',
          process.execPath,
          '-e',
          'process.stdout.write(process.env.NPM_TOKEN)',
        ],
        { env },
      );
      expect(value.stdout).toBe(CANARY.npm);
    });
  },
);

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
