/** `coffer secret …`, `version`, `help` and exit codes, driven through the real CLI bundle. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildCli, makeSandbox, runCli, type CliBundle, type Sandbox } from './fixtures/cli-helpers';

let cli: CliBundle;
let sb: Sandbox;

beforeAll(() => {
  cli = buildCli();
});
afterAll(() => cli.cleanup());
beforeEach(() => {
  sb = makeSandbox('cli-secret');
});
afterEach(() => sb.cleanup());

const run = (args: readonly string[], input?: string | Buffer, env?: NodeJS.ProcessEnv) =>
  runCli(cli, sb, args, { input, env });

async function storedValue(name: string): Promise<string> {
  const store = sb.store();
  try {
    return (await store.readValue('me', name)).reveal();
  } finally {
    await store.close();
  }
}

/** Runs a real shell pipeline, `$COFFER` being the CLI. */
function shell(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', script], {
    env: { ...sb.env, COFFER: `"${process.execPath}" "${cli.file}"`, NODE: process.execPath, CLI: cli.file },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('value input', () => {
  test('printf %s stores the bytes as given; echo adds a newline that is kept (with a warning)', async () => {
    const a = shell('printf %s "tok-ü€" | "$NODE" "$CLI" secret create printf --env PRINTF_TOKEN');
    expect(a).toMatchObject({ status: 0, stderr: '' });
    expect(a.stdout).toBe('Created secret printf.\n');
    const b = shell('echo "tok-ü€" | "$NODE" "$CLI" secret create echo --env ECHO_TOKEN');
    expect(b.status).toBe(0);
    expect(b.stderr).toMatch(/ends with a newline.*printf/);
    expect(await storedValue('printf')).toBe('tok-ü€');
    expect(await storedValue('echo')).toBe('tok-ü€\n');
  });

  test('stdin is read verbatim: leading/trailing spaces, CRLF and inner newlines survive', async () => {
    const value = '  line one\r\nline two \t';
    expect(run(['secret', 'create', 'raw', '--env', 'RAW'], value).status).toBe(0);
    expect(await storedValue('raw')).toBe(value);
  });

  test('--value-file stores the file bytes verbatim; invalid UTF-8 is refused', async () => {
    const file = path.join(sb.dir, 'value.txt');
    fs.writeFileSync(file, 'from file\n\nwith blank line\n');
    expect(run(['secret', 'create', 'f', '--env', 'F', '--value-file', file])).toMatchObject({ status: 0, stderr: '' });
    expect(await storedValue('f')).toBe('from file\n\nwith blank line\n');
    fs.writeFileSync(file, Buffer.from([0x61, 0xff, 0x62]));
    const bad = run(['secret', 'create', 'g', '--env', 'G', '--value-file', file]);
    expect(bad.status).toBe(5);
    expect(bad.stderr).toMatch(/not valid UTF-8/);
    expect(run(['secret', 'create', 'g', '--env', 'G', '--value-file', path.join(sb.dir, 'nope')]).status).toBe(2);
  });

  test('--value works but warns that argv is visible', async () => {
    const r = run(['secret', 'create', 'v', '--env', 'V', '--value', 'on-argv']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: --value puts the value on the command line/);
    expect(await storedValue('v')).toBe('on-argv');
  });

  test('never prompts without a terminal: empty stdin (/dev/null) is a usage error and stores nothing', async () => {
    const r = run(['secret', 'create', 'x', '--env', 'X']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^coffer: no value: stdin is empty and not a terminal/);
    expect(r.stderr).not.toMatch(/input hidden/);
    expect(run(['secret', 'list', '-o', 'json']).stdout).toBe('[]\n');
  });

  test('two value sources are a usage error', () => {
    const file = path.join(sb.dir, 'v');
    fs.writeFileSync(file, 'x');
    expect(run(['secret', 'create', 'x', '--env', 'X', '--value', 'a', '--value-file', file]).status).toBe(2);
  });
});

describe('create', () => {
  test('stores every metadata field; json output uses stable snake_case keys and never the value', () => {
    const r = run(
      [
        'secret',
        'create',
        'kube',
        '--description',
        'cluster',
        '--env',
        'KUBE_TOKEN',
        '--file',
        '~/.kube/token',
        '--owner',
        '1000:1000',
        '--mode',
        '0440',
        '--default',
        '-o',
        'json',
      ],
      'kube-value',
    );
    expect(r.status).toBe(0);
    const meta = JSON.parse(r.stdout);
    expect(Object.keys(meta)).toEqual([
      'id',
      'user',
      'name',
      'description',
      'env_name',
      'file_path',
      'file_owner',
      'file_mode',
      'enabled',
      'is_default',
      'value_version',
      'created_at',
      'updated_at',
    ]);
    expect(meta).toMatchObject({
      user: 'dev',
      name: 'kube',
      description: 'cluster',
      env_name: 'KUBE_TOKEN',
      file_path: '~/.kube/token',
      file_owner: '1000:1000',
      file_mode: '0440',
      enabled: true,
      is_default: true,
      value_version: 1,
    });
    expect(r.stdout).not.toContain('kube-value');
  });

  test('--disabled / --enabled=false keep a secret without a target; an enabled one needs --env or --file', () => {
    expect(run(['secret', 'create', 'a', '--disabled'], 'x').status).toBe(0);
    expect(run(['secret', 'create', 'b', '--enabled=false'], 'x').status).toBe(0);
    const r = run(['secret', 'create', 'c'], 'x');
    expect(r.status).toBe(5);
    expect(r.stderr).toBe(
      'coffer: an enabled secret needs --env or --file (or pass --disabled to keep it without delivering it)\n',
    );
    const list = JSON.parse(run(['secret', 'list', '-o', 'json']).stdout);
    expect(list.map((s: { name: string; enabled: boolean }) => [s.name, s.enabled])).toEqual([
      ['a', false],
      ['b', false],
    ]);
  });

  test('rule violations exit 5 naming the flag; conflicts exit 4', () => {
    const env = run(['secret', 'create', 'a', '--env', 'PATH'], 'x');
    expect(env.status).toBe(5);
    expect(env.stderr).toMatch(/^coffer: --env "PATH" is reserved/);
    expect(run(['secret', 'create', 'a', '--file', 'relative/path'], 'x').stderr).toMatch(
      /--file must start with "~\/" or "\/"/,
    );
    expect(run(['secret', 'create', 'a', '--env', 'A', '--owner', 'bob'], 'x').stderr).toMatch(
      /--owner applies only to a secret with --file/,
    );
    expect(run(['secret', 'create', 'a', '--file', '/x', '--mode', '999'], 'x').status).toBe(5);
    expect(run(['secret', 'create', 'a/b', '--env', 'A'], 'x').status).toBe(5);
    expect(run(['secret', 'create', 'a', '--env', 'A'], 'x').status).toBe(0);
    const dup = run(['secret', 'create', 'a', '--env', 'B'], 'y');
    expect(dup.status).toBe(4);
    expect(dup.stderr).toMatch(/already exists/);
    expect(run(['secret', 'create', 'b', '--env', 'A'], 'y').status).toBe(4);
  });
});

describe('list columns and JSON everywhere', () => {
  beforeEach(() => {
    expect(run(['secret', 'create', 'tok', '--env', 'TOK', '--description', 'CI token'], 'v1').status).toBe(0);
  });

  test('secret list -c picks table columns (and JSON keys); an unknown column is a usage error', () => {
    expect(run(['secret', 'list', '-c', 'name,description']).stdout).toMatch(/^NAME\s+DESCRIPTION\ntok\s+CI token\n$/);
    expect(run(['secret', 'list', '--column', 'env', '--column', 'name']).stdout).toMatch(/^ENV\s+NAME\nTOK\s+tok\n$/);
    expect(JSON.parse(run(['secret', 'list', '-c', 'name,env', '-o', 'json']).stdout)).toEqual([{ name: 'tok', env_name: 'TOK' }]);
    const bad = run(['secret', 'list', '-c', 'value']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/-c\/--column takes name, env/);
  });

  test('store errors speak in flags, not attribute names; quoted names stay as they are', () => {
    const env = run(['secret', 'create', 'env_name', '--env', 'TOK'], 'v');
    expect(env).toMatchObject({ status: 4, stderr: 'coffer: --env "TOK" is already used by secret "tok"\n' });
    expect(run(['secret', 'create', 'f1', '--file', '/tmp/coffer-f1'], 'v').status).toBe(0);
    expect(run(['secret', 'create', 'f2', '--file', '/tmp/coffer-f1'], 'v').stderr).toBe(
      'coffer: --file "/tmp/coffer-f1" is already used by secret "f1"\n',
    );
    expect(run(['secret', 'create', 'big', '--env', 'BIG'], 'x'.repeat(70000)).stderr).toMatch(/^coffer: the value must be at most/);
  });

  test('delete, backend use and backend remove take -o json', () => {
    expect(JSON.parse(run(['secret', 'delete', 'tok', '-y', '-o', 'json']).stdout)).toMatchObject({
      deleted: { name: 'tok', env_name: 'TOK' },
    });
    expect(run(['backend', 'register', 'dev', '--kind', 'local', '--home', path.join(sb.dir, 'dev')]).status).toBe(0);
    expect(JSON.parse(run(['backend', 'use', 'dev', '-o', 'json']).stdout)).toMatchObject({ current: 'dev' });
    expect(JSON.parse(run(['backend', 'remove', 'dev', '-o', 'json']).stdout)).toMatchObject({ removed: 'dev' });
  });
});

describe('update', () => {
  beforeEach(() => {
    expect(
      run(['secret', 'create', 'tok', '--env', 'TOK', '--description', 'old', '--file', '/tmp/tok'], 'v1').status,
    ).toBe(0);
  });

  test('a value piped beside metadata flags is used, never dropped (like "coder secret update")', async () => {
    const r = shell('printf %s new | "$NODE" "$CLI" secret update tok --env TOK2');
    expect(r).toMatchObject({ status: 0, stdout: 'Updated secret tok.\n', stderr: '' });
    expect(await storedValue('tok')).toBe('new');
    const meta = JSON.parse(run(['secret', 'list', 'tok', '-o', 'json']).stdout)[0];
    expect(meta).toMatchObject({ env_name: 'TOK2', value_version: 2 });
  });

  test('with metadata flags and empty stdin (or --value-stdin=false) the value stays', async () => {
    expect(shell('"$NODE" "$CLI" secret update tok --description new </dev/null')).toMatchObject({ status: 0 });
    expect(shell('printf %s ignored | "$NODE" "$CLI" secret update tok --env T3 --value-stdin=false').status).toBe(0);
    expect(await storedValue('tok')).toBe('v1');
    const meta = JSON.parse(run(['secret', 'list', 'tok', '-o', 'json']).stdout)[0];
    expect(meta).toMatchObject({ description: 'new', env_name: 'T3', value_version: 1 });
  });

  test('without flags the value comes from stdin; --value-stdin reads it alongside metadata flags', async () => {
    expect(run(['secret', 'update', 'tok'], 'v2').status).toBe(0);
    expect(await storedValue('tok')).toBe('v2');
    expect(run(['secret', 'update', 'tok', '--env', 'TOK2', '--value-stdin'], 'v3').status).toBe(0);
    expect(await storedValue('tok')).toBe('v3');
    const meta = JSON.parse(run(['secret', 'list', 'tok', '-o', 'json']).stdout)[0];
    expect(meta).toMatchObject({ env_name: 'TOK2', value_version: 3 });
  });

  test('without flags and without stdin it is a usage error', () => {
    const r = run(['secret', 'update', 'tok']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no value/);
  });

  test('"" clears description, env and file; --no-default and --enabled toggle', () => {
    expect(run(['secret', 'update', 'tok', '--default']).status).toBe(0);
    expect(run(['secret', 'update', 'tok', '--description', '', '--env', '', '--no-default']).status).toBe(0);
    let meta = JSON.parse(run(['secret', 'list', 'tok', '-o', 'json']).stdout)[0];
    expect(meta).toMatchObject({ description: '', env_name: '', file_path: '/tmp/tok', is_default: false });
    // Clearing the last target of an enabled secret is refused…
    expect(run(['secret', 'update', 'tok', '--file', '']).status).toBe(5);
    // …unless it is disabled in the same call.
    expect(run(['secret', 'update', 'tok', '--file', '', '--disabled']).status).toBe(0);
    meta = JSON.parse(run(['secret', 'list', 'tok', '-o', 'json']).stdout)[0];
    expect(meta).toMatchObject({ file_path: '', enabled: false });
  });

  test('a missing secret exits 3 before any value is asked for', () => {
    const r = run(['secret', 'update', 'nope']);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('coffer: secret "nope" of user "dev" does not exist\n');
  });
});

describe('list', () => {
  test('table columns and rows; json array; nothing but metadata', () => {
    run(['secret', 'create', 'b', '--env', 'B_VAR', '--file', '~/b', '--mode', '0400'], 'value-b');
    run(['secret', 'create', 'a', '--env', 'A_VAR', '--default'], 'value-a');
    run(['secret', 'create', 'c', '--disabled'], 'value-c');
    const table = run(['secret', 'list']);
    expect(table.status).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+ENV\s+FILE\s+ENABLED\s+DEFAULT\s+UPDATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 5))).toEqual([
      ['a', 'A_VAR', '-', 'yes', 'yes'],
      ['b', 'B_VAR', '~/b (0400)', 'yes', 'no'],
      ['c', '-', '-', 'no', 'no'],
    ]);
    expect(lines[1]).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const json = JSON.parse(run(['secret', 'ls', '--output=json']).stdout);
    expect(json.map((s: { name: string }) => s.name)).toEqual(['a', 'b', 'c']);
    expect(table.stdout + JSON.stringify(json)).not.toMatch(/value-[abc]/);
  });

  test('an empty list says so on stderr; a missing NAME exits 3; bad -o exits 2', () => {
    expect(run(['secret', 'list'])).toMatchObject({ status: 0, stdout: '', stderr: 'No secrets found.\n' });
    expect(run(['secret', 'list', 'nope']).status).toBe(3);
    expect(run(['secret', 'list', '-o', 'yaml']).status).toBe(2);
  });

  test('--user lists another user; the credentials user is reserved', () => {
    run(['secret', 'create', 'x', '--env', 'X', '--user', 'alice'], 'v');
    expect(JSON.parse(run(['secret', 'list', '--user', 'alice', '-o', 'json']).stdout)).toHaveLength(1);
    expect(JSON.parse(run(['secret', 'list', '-o', 'json']).stdout)).toHaveLength(0);
    expect(run(['secret', 'list', '--user', '@coffer-credentials']).status).toBe(2);
  });
});

describe('delete', () => {
  beforeEach(() => {
    run(['secret', 'create', 'd', '--env', 'D'], 'v');
  });

  test('without a terminal and without -y it is a usage error and nothing is deleted', () => {
    const r = run(['secret', 'delete', 'd']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/stdin is not a terminal, pass -y/);
    expect(run(['secret', 'list', 'd']).status).toBe(0);
  });

  test('-y deletes; deleting again exits 3', () => {
    expect(run(['secret', 'delete', 'd', '-y'])).toMatchObject({ status: 0, stdout: 'Deleted secret d.\n' });
    expect(run(['secret', 'list', 'd']).status).toBe(3);
    expect(run(['secret', 'rm', 'd', '--yes']).status).toBe(3);
  });
});

describe('check', () => {
  beforeEach(() => {
    run(['secret', 'create', 'one', '--env', 'ONE'], 'v');
    run(['secret', 'create', 'off', '--disabled'], 'v');
  });

  test('lists every missing and disabled name in one message and exits 1', () => {
    const r = run(['secret', 'check', 'one', 'm1', 'off', 'm2']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('coffer: missing secrets: m1, m2; disabled secrets: off\n');
  });

  test('-o json reports missing, disabled and present', () => {
    const r = run(['secret', 'check', 'one', 'm1', 'off', '-o', 'json']);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ missing: ['m1'], disabled: ['off'], present: ['one'] });
  });

  test('all present exits 0; no names is a usage error', () => {
    expect(run(['secret', 'check', 'one'])).toMatchObject({ status: 0, stdout: 'All 1 secret present.\n' });
    expect(run(['secret', 'check']).status).toBe(2);
  });
});

describe('exit codes and errors', () => {
  test('usage errors exit 2 with one line plus a pointer to --help, never echoing a stray argument', () => {
    const unknown = run(['secret', 'create', 'a', '--valeu', 'stray-arg-value']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe('coffer: unknown option --valeu\nRun "coffer secret create --help" for usage.\n');
    const extra = run(['secret', 'create', 'a', 'stray-arg-value']);
    expect(extra.status).toBe(2);
    expect(extra.stderr).not.toContain('stray-arg-value');
    expect(run(['frobnicate']).status).toBe(2);
    // An unknown command is never repeated back (it could be a pasted value); a close one is suggested.
    expect(run(['secert']).stderr).toBe(
      'coffer: unknown command for "coffer"; did you mean "secret"?\nRun "coffer --help" for usage.\n',
    );
    expect(run(['secret', 'craete']).stderr).toMatch(
      /^coffer: unknown command for "coffer secret"; did you mean "create"\?\n/,
    );
    expect(run(['backend', 'token-abc123']).stderr).toMatch(
      /^coffer: unknown command for "coffer backend" \(commands: register, list, use, remove\)\n/,
    );
    expect(run(['secret', 'frobnicate']).status).toBe(2);
    expect(run([]).status).toBe(2);
    expect(run(['secret']).status).toBe(2);
  });

  test('a broken backend exits 6 with a one-line message and no stack trace', () => {
    fs.writeFileSync(path.join(sb.dir, 'file'), '');
    const r = run(['secret', 'list'], undefined, { COFFER_HOME: path.join(sb.dir, 'file', 'home') });
    expect(r.status).toBe(6);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^coffer: the local store at .* failed \(ENOTDIR\)\n$/);
  });
});

describe('help and version', () => {
  const commands = [
    [],
    ['secret'],
    ['secret', 'create'],
    ['secret', 'update'],
    ['secret', 'list'],
    ['secret', 'delete'],
    ['secret', 'check'],
    ['secret', 'import'],
    ['backend'],
    ['backend', 'register'],
    ['backend', 'list'],
    ['backend', 'use'],
    ['backend', 'remove'],
    ['run'],
    ['materialize'],
    ['provider'],
    ['provider', 'install'],
    ['version'],
  ];

  test.each(commands.map((c) => [c.join(' ') || '(top level)', c]))(
    '%s --help and -h exit 0 with usage on stdout',
    (_label, command) => {
      for (const flag of ['--help', '-h']) {
        const r = run([...(command as string[]), flag]);
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^Usage: coffer ${(command as string[]).join(' ')}`));
        expect(r.stderr).toBe('');
      }
    },
  );

  test('help wins over other problems on the line; "coffer help CMD" equals "CMD --help"', () => {
    expect(run(['secret', 'create', '--bogus', '--help']).status).toBe(0);
    expect(run(['help', 'secret', 'create']).stdout).toBe(run(['secret', 'create', '--help']).stdout);
    expect(run(['help']).stdout).toMatch(/Exit codes:\n {2}0 {2}success/);
  });

  test('the value input rules (printf vs echo) are in the help', () => {
    const help = run(['secret', 'create', '--help']).stdout;
    expect(help).toMatch(/printf %s/);
    expect(help).toMatch(/echo .* plus "\\n"/);
    expect(run(['secret', 'update', '--help']).stdout).toMatch(/a piped value changes\s+the value beside the metadata/);
  });

  test('version', () => {
    expect(run(['version'])).toMatchObject({ status: 0, stdout: 'coffer 0.1.0\n' });
    expect(JSON.parse(run(['version', '-o', 'json']).stdout)).toMatchObject({ version: '0.1.0' });
    expect(run(['--version']).stdout).toBe('coffer 0.1.0\n');
  });

  test('provider install still works as before', () => {
    const mirror = path.join(sb.dir, 'mirror');
    fs.writeFileSync(path.join(cli.dir, 'coffer-provider.cjs'), '// stub provider bundle\n');
    const r = run(['provider', 'install', '--mirror', mirror]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^installed .*registry\.opentofu\.org\/cofferhq\/coffer\/0\.1\.0\//);
    expect(r.stdout).toMatch(/filesystem_mirror/);
    const dirs = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('installed '))
      .map((l) => l.slice('installed '.length));
    expect(dirs).toHaveLength(2);
    for (const dir of dirs)
      expect(fs.readdirSync(dir).sort()).toEqual(['coffer-provider.cjs', 'terraform-provider-coffer_v0.1.0']);
  });
});
