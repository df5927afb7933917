/**
 * examples/ci-plan end to end: the pipeline applies a saved plan with secrets from the
 * environment. The engine is wrapped so every command line it gets is recorded: no secret may
 * appear there, nor in the plan file, the state or the synthesized configuration — and the
 * values must still reach the store.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cofferOnPath, runProcess } from './support/process';
import { availableEngines, type Engine } from './support/engines';
import { copyRepository, fillIn, runBlock, shellBlocks } from './support/examples';

const root = path.resolve(__dirname, '../..');




const CANARY = { registry: 'registry-canary-ci-plan-8888', deployKey: 'deploy-key-canary-ci-plan-9999' };

describe.each(availableEngines().map((e) => [e.name, e] as [string, Engine]))(
  'examples/ci-plan on %s',
  (_name, engine) => {
    let base: string;
    let env: NodeJS.ProcessEnv;
    let argvLog: string;

    beforeAll(() => {
      base = fs.mkdtempSync(path.join(os.tmpdir(), `coffer-e2e-ci-plan-${engine.name}-`));
      const coffer = cofferOnPath(base);
      argvLog = path.join(base, 'argv.log');
      const wrapper = path.join(base, 'engine');
      fs.writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> "${argvLog}"\nexec "${engine.binary}" "$@"\n`, {
        mode: 0o755,
      });
      const mirror = process.env.COFFER_E2E_MIRROR as string;
      fs.writeFileSync(
        path.join(base, 'cli.tfrc'),
        `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["registry.opentofu.org/cofferhq/*", "registry.terraform.io/cofferhq/*"]\n  }\n}\n`,
      );
      env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TMPDIR: process.env.TMPDIR,
        TF_CLI_CONFIG_FILE: path.join(base, 'cli.tfrc'),
        COFFER: coffer,
        TOFU: wrapper,
        COFFER_HOME: path.join(base, 'home'),
        COFFER_USER: 'ci-bot',
        TF_VAR_registry_token: CANARY.registry,
        TF_VAR_deploy_key: CANARY.deployKey,
      };
    });

    afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

    test("the README's block, as written, from a copy of the repository", async () => {
      const repo = copyRepository(path.join(base, 'repo'));
      const home = path.join(base, 'readme-home');
      fs.mkdirSync(home);
      fs.writeFileSync(path.join(repo, 'deploy_key'), CANARY.deployKey, { mode: 0o600 });
      const [block, ...rest] = shellBlocks(path.join(repo, 'examples/ci-plan/README.md'));
      expect(rest).toEqual([]);
      const r = await runBlock(fillIn(block!, [['TF_VAR_registry_token=…', `TF_VAR_registry_token=${CANARY.registry}`]]), repo, {
        PATH: `${path.dirname(availableEngines()[0]!.binary)}:${process.env.PATH}`,
        HOME: home,
        TMPDIR: process.env.TMPDIR,
        USER: 'ci-bot',
        ...(engine.name === 'tofu' ? {} : { TOFU: engine.binary }),
      });
      if (r.code !== 0) throw new Error(`README block exited ${r.code}\n${r.stdout}\n${r.stderr}`);
      expect(r.stdout).toMatch(/Apply complete! Resources: 2 added/);
      const stackDir = path.join(repo, 'cdktf.out/stacks/ci-secrets');
      for (const canary of Object.values(CANARY)) {
        expect(r.stdout + r.stderr).not.toContain(canary);
        for (const f of ['cdk.tf.json', 'terraform.tfstate']) expect(fs.readFileSync(path.join(stackDir, f), 'utf8')).not.toContain(canary);
      }
      // In the user's embedded store (~/.local/share/coffer), with their delivery targets.
      const listed = await runProcess(process.execPath, [path.join(repo, 'dist/coffer-cli.cjs'), 'secret', 'list', '-o', 'json'], {
        cwd: repo,
        env: { PATH: process.env.PATH, HOME: home, USER: 'ci-bot' },
      });
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout).map((s: { name: string }) => s.name).sort()).toEqual(['deploy-key', 'registry-token']);
    });

    test('applies the saved plan; secrets in no argv, plan, state or synthesized file', async () => {
      const work = path.join(base, 'work');
      fs.mkdirSync(work);
      const r = await runProcess('bash', [path.join(root, 'examples/ci-plan/pipeline.sh')], { cwd: work, env });
      if (r.code !== 0) throw new Error(`pipeline exited ${r.code}\n${r.stdout}\n${r.stderr}`);
      expect(r.stdout).toMatch(/Apply complete! Resources: 2 added/);

      const argv = fs.readFileSync(argvLog, 'utf8');
      expect(argv).toMatch(/^plan .*-out=tfplan$/m);
      expect(argv).toMatch(/^apply .* tfplan$/m);
      expect(argv).not.toMatch(/-var\b|-var-file/);
      const stackDir = path.join(work, 'cdktf.out/stacks/ci-secrets');
      const files = ['cdk.tf.json', 'terraform.tfstate', 'terraform.tfstate.backup']
        .filter((f) => fs.existsSync(path.join(stackDir, f)))
        .map((f) => fs.readFileSync(path.join(stackDir, f)).toString('latin1'));
      expect(files.length).toBeGreaterThanOrEqual(2);
      for (const canary of Object.values(CANARY)) {
        expect(argv).not.toContain(canary);
        expect(r.stdout + r.stderr).not.toContain(canary);
        for (const text of files) expect(text).not.toContain(canary);
      }
      expect(fs.existsSync(path.join(stackDir, 'tfplan'))).toBe(false);

      // The values reached the store.
      const cli = path.join(root, 'dist/coffer-cli.cjs');
      const got = await runProcess(
        process.execPath,
        [
          cli,
          'run',
          '--no-defaults',
          '--secret',
          'registry-token',
          '--',
          process.execPath,
          '-e',
          'process.stdout.write(process.env.REGISTRY_TOKEN)',
        ],
        { env },
      );
      expect(got.stdout).toBe(CANARY.registry);
    });

    test('the plan file holds no secret', async () => {
      const work = path.join(base, 'plan-only');
      fs.mkdirSync(work);
      await runProcess(
        process.execPath,
        [
          path.join(root, 'examples/coder-template/synth.mjs'),
          '--app',
          path.join(root, 'examples/ci-plan/main.ts'),
          '--out',
          path.join(work, 'out'),
        ],
        { cwd: root },
      );
      const stackDir = path.join(work, 'out/stacks/ci-secrets');
      expect((await runProcess(engine.binary, ['init', '-input=false', '-no-color'], { cwd: stackDir, env })).code).toBe(0);
      const plan = await runProcess(engine.binary, ['plan', '-input=false', '-no-color', '-out=tfplan'], {
        cwd: stackDir,
        env,
      });
      expect(plan.code).toBe(0);
      const planFile = fs.readFileSync(path.join(stackDir, 'tfplan'));
      // The plan is a zip; its members are stored deflated, so look in `show -json` too.
      const shown = await runProcess(engine.binary, ['show', '-json', 'tfplan'], { cwd: stackDir, env });
      for (const canary of Object.values(CANARY)) {
        expect(planFile.toString('latin1')).not.toContain(canary);
        expect(shown.stdout).not.toContain(canary);
      }
    });

    test('refuses arguments and missing secrets, naming the variable, not a value', async () => {
      const work = path.join(base, 'refuse');
      fs.mkdirSync(work);
      const withArgs = await runProcess(
        'bash',
        [path.join(root, 'examples/ci-plan/pipeline.sh'), '-var', `registry_token=${CANARY.registry}`],
        { cwd: work, env },
      );
      expect(withArgs.code).toBe(1);
      expect(withArgs.stderr).toContain('takes no arguments: pass secrets as TF_VAR_* environment variables');
      expect(withArgs.stderr).not.toContain(CANARY.registry);
      const { TF_VAR_deploy_key: _omitted, ...without } = env;
      const missing = await runProcess('bash', [path.join(root, 'examples/ci-plan/pipeline.sh')], { cwd: work, env: without });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('TF_VAR_deploy_key is not set');
    });
  },
);
