/**
 * The real `coffer` CLI on the distributed backends, as a team would use it: a backend profile
 * registered once, credentials from the environment, secrets piped in, listed, checked, used by
 * `run` and `materialize` — on a real OpenBao, and on the Coder API double (where values can
 * only be written, so `run` says so plainly).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CoderDouble } from '../support/coder-double';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';
import { buildCli, makeSandbox, type CliBundle, type CliResult, type Sandbox } from '../unit/fixtures/cli-helpers';

const CANARY = `CANARY-${Date.now()}-cli`;

/** Async, so an in-process server (the Coder double) keeps answering while the CLI runs. */
function cli(bundle: CliBundle, sandbox: Sandbox, args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle.file, ...args], {
      env: { ...sandbox.env, ...env },
      cwd: sandbox.dir,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
  });
}

let bundle: CliBundle;
beforeAll(() => {
  bundle = buildCli();
});
afterAll(() => bundle.cleanup());

describe('coffer CLI on OpenBao', () => {
  let server: OpenBaoServer;
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;
  let output = '';
  const run = async (args: readonly string[], input?: string) => {
    const result = await cli(bundle, sandbox, args, env, input);
    output += result.stdout + result.stderr;
    return result;
  };

  beforeAll(async () => {
    server = await startOpenBao();
    sandbox = makeSandbox('cli-bao');
    env = { BAO_TOKEN: server.token };
  });

  afterAll(async () => {
    await server?.stop();
    sandbox?.cleanup();
  });

  test('register a profile without its token, then work through it', async () => {
    expect((await run(['backend', 'register', 'team', '--kind', 'vault', '--url', server.address])).status).toBe(0);
    expect((await run(['backend', 'use', 'team'])).status).toBe(0);
    expect(fs.readFileSync(sandbox.config, 'utf8')).not.toContain(server.token);

    expect((await run(['secret', 'create', 'gh', '--env', 'GH_TOKEN', '--default'], CANARY)).status).toBe(0);
    expect((await run(['secret', 'create', 'kube', '--file', '~/.kube/config', '--mode', '0400'], `${CANARY}-kube`)).status).toBe(0);
    const listed = await run(['secret', 'list', '-o', 'json']);
    expect(JSON.parse(listed.stdout).map((s: { name: string }) => s.name)).toEqual(['gh', 'kube']);
    expect((await run(['secret', 'check', 'gh', 'kube'])).status).toBe(0);
    const missing = await run(['secret', 'check', 'gh', 'nope', 'nada']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/nope/);
    expect(missing.stderr).toMatch(/nada/);
  });

  test('run puts default secrets into the child environment; materialize writes files with their mode', async () => {
    const result = await run(['run', '--', process.execPath, '-e', 'process.stdout.write(String(process.env.GH_TOKEN === process.argv[1]))', CANARY]);
    expect(result).toMatchObject({ status: 0, stdout: 'true' });
    const root = path.join(sandbox.dir, 'root');
    expect((await run(['materialize', '--secret', 'kube', '--home', path.join(root, 'home')])).status).toBe(0);
    const file = path.join(root, 'home', '.kube', 'config');
    expect(fs.readFileSync(file, 'utf8')).toBe(`${CANARY}-kube`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o400);
  });

  test('a token in the config file is refused; nothing printed carries a value', async () => {
    const config = JSON.parse(fs.readFileSync(sandbox.config, 'utf8'));
    config.backends.team.token = 'hvs.not-allowed-here';
    fs.writeFileSync(sandbox.config, JSON.stringify(config));
    const refused = await run(['secret', 'list']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/token/);
    expect(output).not.toContain(CANARY);
    expect(fs.readFileSync(sandbox.audit, 'utf8')).not.toContain(CANARY);
  });
});

describe('coffer CLI on Coder', () => {
  let double: CoderDouble;
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    double = await CoderDouble.start({ users: ['alice'] });
    sandbox = makeSandbox('cli-coder');
    env = { CODER_SESSION_TOKEN: double.tokenFor('alice'), COFFER_BACKEND: 'coder-prod' };
  });

  afterAll(async () => {
    await double?.close();
    sandbox?.cleanup();
  });

  test('create, list and check go through the API; run and owner/mode are refused plainly', async () => {
    expect((await cli(bundle, sandbox, ['backend', 'register', 'coder-prod', '--kind', 'coder', '--url', double.url], env)).status).toBe(0);
    const created = await cli(bundle, sandbox, ['secret', 'create', 'npm', '--env', 'NPM_TOKEN'], env, CANARY);
    expect(created.status).toBe(0);
    expect(double.valueOf('alice', 'npm')).toBe(CANARY);
    const listed = await cli(bundle, sandbox, ['secret', 'list', '-o', 'json'], env);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ name: 'npm', env_name: 'NPM_TOKEN' })]);

    const mode = await cli(bundle, sandbox, ['secret', 'create', 'f', '--file', '~/.f', '--mode', '0400'], env, 'x');
    expect(mode.status).not.toBe(0);
    expect(mode.stderr).toMatch(/coder/i);
    expect(double.valueOf('alice', 'f')).toBeUndefined();

    const run = await cli(bundle, sandbox, ['run', '--secret', 'npm', '--', 'true'], env);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/never returns secret values/);
    for (const result of [created, listed, mode, run]) expect(result.stdout + result.stderr).not.toContain(CANARY);
  });
});
