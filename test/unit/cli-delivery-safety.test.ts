/**
 * Issue #8 defects 4 and 5: `coffer run` and `coffer materialize` re-check what the backend
 * returns with the rules `create` applies (a store edited behind Coffer's back must not inject
 * `LD_PRELOAD` or write through `..`), and `materialize --root` never follows a link out of the
 * root. Each refusal delivers nothing and names the secret.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { editStoredSecrets } from '../support/store-editor';
import { buildCli, makeSandbox, runCli, type CliBundle, type Sandbox } from './fixtures/cli-helpers';

let cli: CliBundle;
let sb: Sandbox;

beforeAll(() => {
  cli = buildCli();
});
afterAll(() => cli.cleanup());
beforeEach(() => {
  sb = makeSandbox('cli-delivery-safety');
});
afterEach(() => sb.cleanup());

const run = (args: readonly string[], input?: string, env?: NodeJS.ProcessEnv) => runCli(cli, sb, args, { input, env });
const create = (args: readonly string[], value: string): void => {
  const r = run(['secret', 'create', ...args], value);
  if (r.status !== 0) throw new Error(r.stderr);
};

/** A field of a stored secret changed behind Coffer's back, the store made consistent again. */
function editStoredSecret(name: string, edit: Record<string, unknown>): void {
  const edited = editStoredSecrets(sb.cofferHome, (secret) => (secret.name === name ? (Object.assign(secret, edit), true) : false));
  if (edited === 0) throw new Error(`secret ${name} not found in the journal`);
}

function dumpEnv(file: string, names: readonly string[]): string[] {
  const script = `require('fs').writeFileSync(${JSON.stringify(file)}, JSON.stringify(Object.fromEntries(${JSON.stringify(names)}.map((n) => [n, process.env[n] ?? null]))))`;
  return [process.execPath, '-e', script];
}

describe('delivery re-checks stored metadata (defect 4)', () => {
  test.each([
    ['LD_PRELOAD', /names starting with LD_ are not allowed/],
    ['PATH', /the workspace itself relies on it/],
    ['NODE_OPTIONS', /loader and interpreter hooks are never delivered/],
    ['PYTHONSTARTUP', /names starting with PYTHON/],
  ])('run refuses a stored env_name %s and starts nothing', (envName, rule) => {
    create(['good', '--env', 'GOOD_TOKEN', '--default'], 'good-value');
    create(['evil', '--env', 'EVIL_TOKEN', '--default'], '/tmp/evil.so');
    editStoredSecret('evil', { envName });
    // The store itself still reads it (the edit kept the checksum valid).
    expect(run(['secret', 'list', '-o', 'json']).status).toBe(0);
    const out = path.join(sb.dir, 'env.json');
    const r = run(['run', '--', ...dumpEnv(out, [envName, 'GOOD_TOKEN'])]);
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/^coffer: secret "evil" as stored in the backend breaks a rule, so nothing was delivered: /);
    expect(r.stderr).toMatch(rule);
    expect(r.stderr).not.toContain('/tmp/evil.so');
    expect(fs.existsSync(out)).toBe(false);
  });

  test.each([
    ['/../../escape', /"\." or "\.\." components/],
    ['~/dir/', /must name a file/],
    ['/', /must name a file/],
    ['~/a\nb', /U\+000A/],
    ['relative', /must start with/],
  ])('materialize refuses a stored file_path %j and writes nothing', (filePath, rule) => {
    create(['good', '--file', '~/good', '--default'], 'good-value');
    create(['evil', '--file', '~/evil', '--default'], 'evil-value');
    editStoredSecret('evil', { filePath });
    const r = run(['materialize']);
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/^coffer: secret "evil" as stored in the backend breaks a rule, so nothing was delivered: /);
    expect(r.stderr).toMatch(rule);
    expect(fs.readdirSync(sb.home)).toEqual([]);
  });

  test('two stored secrets with the same env_name are refused rather than one silently winning', () => {
    create(['one', '--env', 'ONE', '--default'], '1');
    create(['two', '--env', 'TWO', '--default'], '2');
    editStoredSecret('two', { envName: 'ONE' });
    const r = run(['run', '--', process.execPath, '-e', '0']);
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/env_name "ONE" is also used by secret "one"/);
  });

  test('a stored owner or mode that breaks the rules is refused', () => {
    create(['f', '--file', '~/f', '--default'], 'v');
    editStoredSecret('f', { fileMode: 0o7777 });
    expect(run(['materialize']).stderr).toMatch(/secret "f" as stored .*file_mode must be a permission mode/);
    editStoredSecret('f', { fileMode: 0o600, fileOwner: 'root;rm' });
    expect(run(['materialize']).stderr).toMatch(/secret "f" as stored .*file_owner "root;rm" must be USER/);
    expect(fs.readdirSync(sb.home)).toEqual([]);
  });
});

describe('materialize --root never leaves the root (defect 5)', () => {
  let root: string;
  let elsewhere: string;
  beforeEach(() => {
    root = path.join(sb.dir, 'rootfs');
    elsewhere = path.join(sb.dir, 'elsewhere');
    fs.mkdirSync(root);
    fs.mkdirSync(elsewhere);
  });

  test('a linked home directory inside the root (root/home/coder -> elsewhere)', () => {
    create(['npmrc', '--file', '~/.npmrc', '--default'], 'NPM-VALUE');
    fs.mkdirSync(path.join(root, 'home'));
    fs.symlinkSync(elsewhere, path.join(root, 'home', 'coder'));
    const r = run(['materialize', '--root', root, '--home', '/home/coder']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `coffer: refusing to write secret "npmrc": ${fs.realpathSync(root)}/home/coder is a symbolic link, and materialize never follows links under --root ${fs.realpathSync(root)}\n`,
    );
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  test('a linked top-level directory (root/etc -> elsewhere), even when other files are fine', () => {
    create(['a-fine', '--file', '/opt/fine', '--default'], 'FINE');
    create(['b-app', '--file', '/etc/app/token', '--default'], 'APP-VALUE');
    fs.symlinkSync(elsewhere, path.join(root, 'etc'));
    const r = run(['materialize', '--root', root]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refusing to write secret "b-app": .*\/etc is a symbolic link/);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
    // Checked before anything is written: the fine file was not written either.
    expect(fs.existsSync(path.join(root, 'opt'))).toBe(false);
  });

  test('a FIFO or a directory at the target is refused instead of replaced', () => {
    create(['fifo', '--file', '/run/fifo', '--default'], 'V');
    fs.mkdirSync(path.join(root, 'run'));
    fs.mkdirSync(path.join(root, 'run', 'fifo'));
    expect(run(['materialize', '--root', root]).stderr).toMatch(/refusing to write secret "fifo": .*\/run\/fifo is a directory/);
    fs.rmdirSync(path.join(root, 'run', 'fifo'));
    const mkfifo = require('node:child_process').spawnSync('mkfifo', [path.join(root, 'run', 'fifo')]);
    if (mkfifo.status === 0) {
      expect(run(['materialize', '--root', root]).stderr).toMatch(/\/run\/fifo is not a regular file \(a FIFO, socket or device\)/);
    }
  });

  test('without --root a directory at the target is refused too; a link at the target is replaced, not followed', () => {
    create(['f', '--file', '~/f', '--default'], 'V');
    const victim = path.join(sb.dir, 'victim');
    fs.writeFileSync(victim, 'untouched');
    fs.symlinkSync(victim, path.join(sb.home, 'f'));
    expect(run(['materialize']).status).toBe(0);
    expect(fs.readFileSync(victim, 'utf8')).toBe('untouched');
    expect(fs.lstatSync(path.join(sb.home, 'f')).isFile()).toBe(true);
    fs.rmSync(path.join(sb.home, 'f'));
    fs.mkdirSync(path.join(sb.home, 'f'));
    expect(run(['materialize']).stderr).toMatch(/refusing to write secret "f": .*\/f is a directory/);
  });
});
