/**
 * examples/quickstart by hand, as its README says, from a copy of the repository outside it: the
 * provider installed into ~/.terraform.d/plugins, `init && apply`, then a rotation — on tofu, and
 * on terraform with `tofu` replaced by `terraform` (the only edit besides the placeholder values).
 * The values reach the user's embedded store and appear in no output, plan or state.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { availableEngines, type Engine } from './support/engines';
import { copyRepository, fillIn, shellBlocks } from './support/examples';
import { runProcess, type ProcessResult } from './support/process';

const CANARY = { github: 'ghp_QuickstartCanary000000000000000000001', npm: 'npm-quickstart-canary-0002' };

/** Runs a block with bash, typing `yes` each time the engine asks for approval, as a user would. */
function runApproving(block: string, cwd: string, env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', block], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let answered = 0;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      const asked = stdout.split('Enter a value:').length - 1;
      for (; answered < asked; answered++) child.stdin.write('yes\n');
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      child.stdin.destroy();
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

describe.each(availableEngines().map((e) => [e.name, e] as [string, Engine]))('examples/quickstart README on %s', (_name, engine) => {
  let base: string;

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), `coffer-e2e-quickstart-${engine.name}-`));
  });

  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  test('"By hand": install, init && apply, rotate', async () => {
    const repo = copyRepository(path.join(base, 'repo'));
    const home = path.join(base, 'home');
    fs.mkdirSync(home);
    const blocks = shellBlocks(path.join(repo, 'examples/quickstart/README.md'));
    expect(blocks[0]!.trim()).toBe('bash scripts/demo.sh');
    let block = fillIn(blocks[1]!, [
      ["TF_VAR_github_token='ghp_...'", `TF_VAR_github_token='${CANARY.github}'`],
      ["TF_VAR_npmrc='//registry.npmjs.org/:_authToken=...'", `TF_VAR_npmrc='${CANARY.npm}'`],
    ]);
    if (engine.name !== 'tofu') block = fillIn(block, [['tofu ', `${engine.binary} `]]);
    const env = {
      PATH: `${path.dirname(availableEngines()[0]!.binary)}:${process.env.PATH}`,
      HOME: home,
      TMPDIR: process.env.TMPDIR,
      USER: 'quick',
    };
    const r = await runApproving(block, repo, env);
    if (r.code !== 0) throw new Error(`README block exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    expect(r.stdout.split('Enter a value:')).toHaveLength(3);
    expect(r.stdout).toMatch(/Apply complete! Resources: 2 added, 0 changed, 0 destroyed/);
    expect(r.stdout).toMatch(/Apply complete! Resources: 0 added, 2 changed, 0 destroyed/);
    const state = fs.readFileSync(path.join(repo, 'examples/quickstart/terraform.tfstate'), 'utf8');
    for (const canary of Object.values(CANARY)) {
      expect(r.stdout + r.stderr).not.toContain(canary);
      expect(state).not.toContain(canary);
    }
    // The values are in the user's embedded store.
    const got = await runProcess(
      process.execPath,
      [path.join(repo, 'dist/coffer-cli.cjs'), 'run', '--no-defaults', '--secret', 'github-token', '--', process.execPath, '-e', 'process.stdout.write(process.env.GITHUB_TOKEN)'],
      { cwd: repo, env },
    );
    expect(got.stdout).toBe(CANARY.github);
  });
});
