/**
 * The canary leak test across the whole surface: both engines (tofu, terraform) × the three
 * backends (embedded, OpenBao, the Coder double), every engine command a user runs on a secret
 * (init, plan -out, show -json, apply, refresh, state pull, output, ephemeral read, data source,
 * rotate, import, destroy) with TF_LOG=trace, and every `coffer` command. Canary values go in through
 * variables, stdin and import files; they must appear nowhere: engine and CLI stdout/stderr
 * (which with trace include the provider's log and its backend request log), state and plan
 * files, the embedded store's files, the audit log and the backend's request log. The only
 * place a value may be is where a user asked for it: the file `coffer materialize` writes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendNames, startBackend, type BackendFixture, type BackendName } from '../e2e/support/backends';
import { availableEngines } from '../e2e/support/engines';
import { runProcess } from '../e2e/support/process';
import { providerBlock, Workspace } from '../e2e/support/workspace';
import { SecretText } from '../../src/client/secret-text';
import { recordFigures } from '../support/reliability-report';

const cli = path.resolve(__dirname, '../../dist/coffer-cli.cjs');
const combinations = availableEngines().flatMap((engine) =>
  backendNames().map((backend) => [`${engine.name} ${engine.version} on ${backend}`, engine, backend] as const),
);
const figures = { combinations: 0, 'engine commands': 0, 'CLI commands': 0, 'places scanned': 0, leaks: 0 };
const notes: string[] = [];

afterAll(() => recordFigures({ category: 'canary (TF_LOG=trace)', figures, notes }));

function filesText(dir: string, skip: (file: string) => boolean = () => false): string {
  if (!fs.existsSync(dir)) return '';
  const texts: string[] = [];
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && !skip(full) && !full.includes(`${path.sep}.terraform${path.sep}providers`))
      texts.push(fs.readFileSync(full).toString('latin1'));
  }
  return texts.join('\n');
}

const PROFILE: Record<BackendName, string[]> = { local: [], openbao: ['--kind', 'vault'], coder: ['--kind', 'coder'] };

describe.each(combinations)('canary everywhere: %s', (label, engine, backend) => {
  const canary = `CANARY${Math.random().toString(36).slice(2)}${Date.now()}`;
  const values = {
    apply: `${canary}-apply`,
    rotated: `${canary}-rotated`,
    cli: `${canary}-cli`,
    cliUpdated: `${canary}-cli2`,
    imported: `${canary}-imported`,
  };
  let ws: Workspace;
  let fx: BackendFixture;
  let userHome: string;
  let output = '';

  beforeAll(async () => {
    ws = new Workspace(engine);
    fx = await startBackend(backend, ws.home);
    ws.setEnv({ ...fx.providerEnv, TF_LOG: 'trace' });
    userHome = path.join(path.dirname(ws.home), 'user-home');
    fs.mkdirSync(userHome);
  });

  afterAll(async () => {
    await fx?.stop();
    ws?.cleanup();
  });

  const engineRun = async (args: string[], token: string, expectCodes = [0]): Promise<void> => {
    const result = await ws.ok(args, { TF_VAR_token: token }, expectCodes);
    output += `${result.stdout}\n${result.stderr}\n`;
    figures['engine commands']++;
  };

  const coffer = async (args: string[], input = '', expectCode = 0): Promise<void> => {
    const env: NodeJS.ProcessEnv = {
      ...ws.env(fx.providerEnv),
      HOME: userHome,
      XDG_CONFIG_HOME: path.join(userHome, '.config'),
    };
    delete env.COFFER_BACKEND;
    const prefix = backend === 'local' ? [] : ['--backend', 'be'];
    const full = ['backend', 'version', 'help', 'lint', 'provider'].includes(args[0] as string)
      ? args
      : [...prefix, ...args];
    const result = await runProcess(process.execPath, [cli, ...full], { env, input, cwd: ws.dir });
    output += `${result.stdout}\n${result.stderr}\n`;
    figures['CLI commands']++;
    if (result.code !== expectCode)
      throw new Error(`coffer ${full.join(' ')} exited ${result.code} (expected ${expectCode}): ${result.stderr}`);
  };

  const config = (version: string, extra = '') => `${providerBlock()}
variable "token" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "coffer_user_secret" "canary" {
  name             = "canary"
  env_name         = "CANARY_TOKEN"
  value_wo         = var.token
  value_wo_version = "${version}"
}
${extra}`;

  // Coder's API never returns values, so the ephemeral read (and the copy made from it) is for the others.
  const ephemeralRead = `
ephemeral "coffer_user_secret" "read" {
  name       = "canary"
  depends_on = [coffer_user_secret.canary]
}

resource "coffer_user_secret" "copy" {
  name             = "canary-copy"
  env_name         = "CANARY_COPY"
  value_wo         = ephemeral.coffer_user_secret.read.value
  value_wo_version = "1"
}
`;
  const readsOnly = `
data "coffer_user_secret" "meta" {
  name       = "canary"
  depends_on = [coffer_user_secret.canary]
}

output "meta" {
  value = data.coffer_user_secret.meta.env_name
}
`;

  test('engine commands', async () => {
    const reads = backend === 'coder' ? readsOnly : `${readsOnly}${ephemeralRead}`;
    ws.write('main.tf', config('1'));
    await engineRun(['init', '-no-color', '-input=false'], values.apply);
    await engineRun(['plan', '-no-color', '-input=false', '-out=tfplan'], values.apply);
    await engineRun(['show', '-json', 'tfplan'], values.apply);
    await engineRun(['apply', '-auto-approve', '-no-color', '-input=false'], values.apply);
    ws.write('main.tf', config('1', reads));
    await engineRun(['apply', '-auto-approve', '-no-color', '-input=false'], values.apply);
    await engineRun(['plan', '-no-color', '-input=false', '-refresh-only'], values.apply);
    await engineRun(['refresh', '-no-color', '-input=false'], values.apply);
    await engineRun(['output', '-json'], values.apply);
    await engineRun(['state', 'pull'], values.apply);
    await engineRun(['show', '-json'], values.apply);
    ws.write('main.tf', config('2', reads));
    await engineRun(['apply', '-auto-approve', '-no-color', '-input=false'], values.rotated);
    expect(await fx.valueOf('me', 'canary')).toBe(values.rotated);
    if (backend !== 'coder') expect(await fx.valueOf('me', 'canary-copy')).toBe(values.apply);
    // An error about the value must not quote it.
    ws.write('main.tf', config('3', reads));
    await engineRun(['apply', '-auto-approve', '-no-color', '-input=false'], `${canary}-`.repeat(1200), [1]);
    expect(output).toMatch(/at most 24576 bytes/);
    // A secret made out of band, with a canary value, adopted with the import command.
    await fx.store.create('me', { name: 'adopted', value: new SecretText(values.imported), envName: 'ADOPTED_TOKEN' });
    const adopted = `
resource "coffer_user_secret" "adopted" {
  name             = "adopted"
  env_name         = "ADOPTED_TOKEN"
  value_wo         = var.token
  value_wo_version = "1"
}
`;
    ws.write('main.tf', config('3', `${reads}${adopted}`));
    await engineRun(['import', '-no-color', '-input=false', 'coffer_user_secret.adopted', 'adopted'], values.imported);
    await engineRun(['apply', '-auto-approve', '-no-color', '-input=false'], values.imported);
    expect(await fx.valueOf('me', 'adopted')).toBe(values.imported);
    await engineRun(['destroy', '-auto-approve', '-no-color', '-input=false'], values.rotated);
    // The trace really carries the provider's RPCs (and, remote, its backend request log).
    expect(output).toContain('PlanResourceChange');
    if (backend !== 'local') expect(output).toContain('backend request');
  });

  test('coffer commands', async () => {
    if (backend !== 'local') {
      await coffer([
        'backend',
        'register',
        'be',
        ...PROFILE[backend],
        '--url',
        fx.providerEnv.BAO_ADDR ?? fx.providerEnv.CODER_URL ?? '',
      ]);
      await coffer(['backend', 'list']);
      await coffer(['backend', 'use', 'be']);
    }
    await coffer(
      ['secret', 'create', 'cli-canary', '--env', 'CLI_CANARY', '--file', '~/.cli-canary', '--description', 'canary'],
      values.cli,
    );
    await coffer(['secret', 'update', 'cli-canary', '--description', 'rotated', '--value-stdin'], values.cliUpdated);
    await coffer(['secret', 'list']);
    await coffer(['secret', 'list', 'cli-canary', '-o', 'json']);
    await coffer(['secret', 'check', 'cli-canary']);
    const importFile = path.join(userHome, 'import.env');
    fs.writeFileSync(importFile, `IMPORTED_CANARY=${values.imported}\n`, { mode: 0o600 });
    await coffer(['secret', 'import', importFile]);
    fs.rmSync(importFile);
    if (backend !== 'coder') {
      // Coder's API never returns values: run and materialize have nothing to deliver there.
      await coffer(['run', '--secret', 'cli-canary', '--', 'sh', '-c', '[ -n "$CLI_CANARY" ]']);
      await coffer(['materialize', '--secret', 'cli-canary']);
      expect(fs.readFileSync(path.join(userHome, '.cli-canary'), 'utf8')).toBe(values.cliUpdated);
    }
    await coffer(['lint', ws.dir]);
    // Refusals that involve the value: too big, and for a secret that does not exist.
    await coffer(['secret', 'create', 'too-big', '--env', 'TOO_BIG'], `${canary}-`.repeat(1200), 5);
    await coffer(['secret', 'update', 'missing-one'], values.cli, 3);
    await coffer(['secret', 'delete', 'cli-canary', '-y']);
    await coffer(['provider', 'install', '--mirror', path.join(userHome, 'mirror')]);
    await coffer(['version']);
    await coffer(['help', 'secret']);
    if (backend !== 'local') await coffer(['backend', 'remove', 'be']);
  });

  test('no canary anywhere', () => {
    figures.combinations++;
    const places: Record<string, string> = {
      'engine and CLI output': output,
      'state and plan files': ws.allFilesText(),
      'embedded store and audit log': filesText(ws.home),
      'user home (but the materialized file)': filesText(userHome, (f) => f.endsWith('.cli-canary')),
      'backend request log': fx.serverLogs(),
    };
    const leaks = Object.entries(places)
      .filter(([, text]) => text.includes(canary))
      .map(([where]) => where);
    figures['places scanned'] += Object.keys(places).length;
    figures.leaks += leaks.length;
    if (leaks.length > 0) notes.push(`${label}: canary found in ${leaks.join(', ')}`);
    expect(output.length).toBeGreaterThan(10000);
    const audit = fs
      .readFileSync(path.join(ws.home, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const backendKind = backend === 'openbao' ? 'vault' : backend;
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          msg: 'audit_log',
          action: 'create',
          secret: 'canary',
          outcome: 'success',
          backend: backendKind,
        }),
        expect.objectContaining({ action: 'update', secret: 'canary', outcome: 'success' }),
        expect.objectContaining({ action: 'create', secret: 'cli-canary', outcome: 'success' }),
      ]),
    );
    expect(leaks).toEqual([]);
  });
});
