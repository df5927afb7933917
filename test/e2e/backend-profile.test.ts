/**
 * One backend setting for the CLI and the provider. A team registers a Vault profile once with
 * the CLI (its token stored encrypted); the provider then uses it by name — `profile = "team"`,
 * `COFFER_PROFILE=team` or `COFFER_BACKEND=team` — with no Vault variable in its environment, and
 * the CLI sees what the provider wrote. `COFFER_BACKEND=vault` (a kind, no profile) works for the
 * CLI too, and a wrong name is blamed on the setting it came from.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const CLI = path.resolve(__dirname, '../../dist/coffer-cli.cjs');

let bao: OpenBaoServer;

beforeAll(async () => {
  bao = await startOpenBao();
});

afterAll(async () => {
  await bao?.stop();
});

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function coffer(ws: Workspace, args: readonly string[], env: Record<string, string> = {}, stdin = ''): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: ws.env(env), encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin);
  });
}

const secret = (name: string) => `
resource "coffer_user_secret" "${name}" {
  name     = "${name}"
  env_name = "${name.toUpperCase()}"
  value_wo = "v"
}
`;

describe.each(availableEngines().map((e) => [`${e.name} ${e.version}`, e] as const))('backend profiles on %s', (_label, engine) => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = new Workspace(engine, { COFFER_USER: 'alice' });
    ws.setEnv({ COFFER_CONFIG: path.join(ws.home, '..', 'cli-config.json') });
    const registered = await coffer(
      ws,
      ['backend', 'register', 'team', '--kind', 'vault', '--url', bao.address, '--path-prefix', `team-${engine.name}/users`, '--store-credential', 'token'],
      {},
      bao.token,
    );
    expect(registered).toMatchObject({ code: 0, stderr: '' });
  });

  afterAll(() => ws?.cleanup());

  const names = async (args: readonly string[], env: Record<string, string> = {}): Promise<string[]> => {
    const r = await coffer(ws, ['secret', 'list', '-o', 'json', ...args], env);
    if (r.code !== 0) throw new Error(`secret list failed: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { name: string }[]).map((s) => s.name);
  };

  test('the provider uses the CLI profile by name: profile attribute, COFFER_PROFILE, COFFER_BACKEND', async () => {
    ws.write('main.tf', `${providerBlock('\n  profile = "team"\n')}${secret('by_attr')}`);
    await ws.init();
    await ws.ok(['apply', '-auto-approve', '-no-color']);
    expect(await names(['--backend', 'team'])).toEqual(['by_attr']);

    ws.write('main.tf', `${providerBlock()}${secret('by_attr')}${secret('by_profile_env')}`);
    await ws.ok(['apply', '-auto-approve', '-no-color'], { COFFER_PROFILE: 'team' });
    ws.write('main.tf', `${providerBlock()}${secret('by_attr')}${secret('by_profile_env')}${secret('by_backend_env')}`);
    await ws.ok(['apply', '-auto-approve', '-no-color'], { COFFER_BACKEND: 'team' });
    expect(await names([], { COFFER_BACKEND: 'team' })).toEqual(['by_attr', 'by_backend_env', 'by_profile_env']);
  });

  test('the CLI takes a backend kind without a profile, configured from the environment', async () => {
    const env = { COFFER_BACKEND: 'vault', BAO_ADDR: bao.address, BAO_TOKEN: bao.token, COFFER_VAULT_PATH_PREFIX: `team-${engine.name}/users` };
    expect(await names([], env)).toEqual(['by_attr', 'by_backend_env', 'by_profile_env']);
    const listed = await coffer(ws, ['backend', 'list'], env);
    expect(listed.stdout).toMatch(/^vault\s+vault\s+-\s+token\s+token=env:BAO_TOKEN\s+\* \(COFFER_BACKEND\)$/m);
  });

  test('a wrong name is blamed on the setting it came from', async () => {
    ws.write('main.tf', `${providerBlock()}${secret('x')}`);
    const fromEnv = await ws.run(['plan', '-no-color'], { COFFER_BACKEND: 'tema' });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toMatch(/backend "tema" \(from COFFER_BACKEND\) is neither a registered profile nor a\s+backend kind/);
    ws.write('main.tf', `${providerBlock('\n  profile = "vault"\n')}${secret('x')}`);
    const fromAttr = await ws.run(['plan', '-no-color']);
    expect(fromAttr.code).toBe(1);
    expect(fromAttr.stderr).toMatch(/backend "vault" \(from the provider's "profile"\) is not a registered profile/);
    const cli = await coffer(ws, ['--backend', 'tema', 'secret', 'list'], { COFFER_BACKEND: 'team' });
    expect(cli.code).toBe(3);
    expect(cli.stderr).toMatch(/^coffer: backend "tema" \(from --backend\) is neither/);
  });
});
