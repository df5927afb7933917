/**
 * Issue #8 defects 8 and 9 on the command line: no hang and no unbounded read on devices,
 * FIFOs, directories or /proc; names and paths with control or bidirectional characters are
 * refused; names a tampered store returns are printed escaped; user errors never get a stack.
 */
import { spawnSync } from 'node:child_process';
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
  sb = makeSandbox('cli-hygiene');
});
afterEach(() => sb.cleanup());

const run = (args: readonly string[], input?: string, env?: NodeJS.ProcessEnv) => runCli(cli, sb, args, { input, env });

describe('bounded reads and directories that end (defect 8)', () => {
  test('--value-file /dev/zero is refused at once, not read to 2 GB', () => {
    const r = run(['secret', 'create', 'z', '--env', 'Z', '--value-file', '/dev/zero']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^coffer: --value-file \/dev\/zero is not a regular file \(a FIFO, socket or device such as \/dev\/zero\); pipe such input to stdin instead\n/);
  });

  test('--value-file naming a directory or a FIFO is a clear usage error', () => {
    expect(run(['secret', 'create', 'd', '--env', 'D', '--value-file', sb.home]).stderr).toMatch(
      new RegExp(`^coffer: --value-file ${sb.home} is a directory, not a file\\n`),
    );
    const fifo = path.join(sb.dir, 'fifo');
    if (spawnSync('mkfifo', [fifo]).status === 0) {
      const r = run(['secret', 'create', 'f', '--env', 'F', '--value-file', fifo]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/is not a regular file/);
    }
  });

  test('--value-file over 1 MiB fails naming the limit', () => {
    const big = path.join(sb.dir, 'big');
    fs.writeFileSync(big, Buffer.alloc(1024 * 1024 + 1, 'a'));
    const r = run(['secret', 'create', 'big', '--env', 'BIG', '--value-file', big]);
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/is larger than 1 MiB \(1048576 bytes\)/);
  });

  test('secret import /dev/zero ends with an error instead of hanging', () => {
    const r = run(['secret', 'import', '/dev/zero', '--format', 'env']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^coffer: the import file \/dev\/zero is not a regular file/);
  });

  test('stdin from /dev/zero stops at the limit', () => {
    const zero = fs.openSync('/dev/zero', 'r');
    try {
      const r = spawnSync(process.execPath, [cli.file, 'secret', 'import', '-', '--format', 'env'], {
        env: sb.env,
        stdio: [zero, 'pipe', 'pipe'],
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status).toBe(5);
      expect(r.stderr).toMatch(/the import file from stdin is larger than 1048576 bytes/);
    } finally {
      fs.closeSync(zero);
    }
  });

  test('COFFER_HOME=/proc/coffer fails with the path instead of spinning forever', () => {
    const r = run(['secret', 'create', 'x', '--env', 'X'], 'v', { COFFER_HOME: '/proc/coffer', COFFER_AUDIT_LOG: 'off' });
    expect(r.status).toBe(6);
    expect(r.stderr).toMatch(/^coffer: the local store at \/proc\/coffer\/store failed \(ENOENT\)\n$/);
  });

  test('COFFER_CONFIG=/dev/zero and an audit log under /proc fail plainly', () => {
    expect(run(['secret', 'list'], undefined, { COFFER_CONFIG: '/dev/zero' }).stderr).toMatch(
      /^coffer: the config file \/dev\/zero is not a regular file/,
    );
    const r = run(['secret', 'list'], undefined, { COFFER_AUDIT_LOG: '/proc/coffer/audit.log' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('coffer: cannot create directory /proc/coffer (ENOENT)\n');
  });

  test('provider install --mirror /proc/x fails instead of hanging', () => {
    fs.writeFileSync(path.join(cli.dir, 'coffer-provider.cjs'), '// stand-in bundle\n');
    const r = run(['provider', 'install', '--mirror', '/proc/x']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('coffer: cannot create directory /proc/x (ENOENT)\n');
  });
});

/** Renames a stored secret behind Coffer's back, the store made consistent again. */
function renameStoredSecret(from: string, to: string): void {
  editStoredSecrets(sb.cofferHome, (secret) => (secret.name === from ? ((secret.name = to), true) : false));
}

describe('input hygiene (defect 9)', () => {
  test.each([
    ['newline', 'a\nb', 'U+000A'],
    ['tab', 'a\tb', 'U+0009'],
    ['ESC', 'a\u001b[2Jb', 'U+001B'],
    ['right-to-left override', 'txt.\u202eexe', 'U+202E'],
    ['C1 control', 'a\u009bb', 'U+009B'],
    ['zero-width space', 'a\u200bb', 'U+200B'],
  ])('a name with a %s is refused', (_what, name, code) => {
    const r = run(['secret', 'create', name, '--env', 'OK_NAME'], 'v');
    expect(r.status).toBe(5);
    expect(r.stderr).toContain(`must not contain control, invisible or bidirectional formatting characters (found ${code})`);
    expect(r.stderr).not.toContain('\u001b');
  });

  test.each([
    ['/', /must name a file/],
    ['~/dir/', /must name a file/],
    ['~/a/../b', /"\." or "\.\." components/],
    ['/etc//x', /"\/\/"/],
    ['~/a\nb', /U\+000A/],
  ])('file path %j is refused', (file, rule) => {
    const r = run(['secret', 'create', 'p', '--file', file], 'v');
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(rule);
  });

  test('names a tampered store returns are printed escaped, in tables and JSON', () => {
    expect(run(['secret', 'create', 'plain', '--env', 'PLAIN'], 'v').status).toBe(0);
    renameStoredSecret('plain', 'x\u001b[2J\u202eevil\u009b');
    const table = run(['secret', 'list']);
    expect(table.status).toBe(0);
    expect(table.stdout).toContain('x\\x1b[2J\\u202eevil\\x9b');
    for (const raw of ['\u001b', '\u202e', '\u009b']) expect(table.stdout).not.toContain(raw);
    const json = run(['secret', 'list', '-o', 'json']);
    for (const raw of ['\u001b', '\u202e', '\u009b']) expect(json.stdout).not.toContain(raw);
    // Still the same data for a program reading it.
    expect(JSON.parse(json.stdout)[0].name).toBe('x\u001b[2J\u202eevil\u009b');
  });

  test('COFFER_DEBUG=1 prints no stack trace for user errors', () => {
    for (const args of [
      ['secret', 'create', 'a\u001bb', '--env', 'A'],
      ['secret', 'create', 'x', '--env', 'NODE_OPTIONS'],
      ['secret', 'list', '--user', '@coffer-credentials'],
      ['secret', 'create', 'z', '--env', 'Z', '--value-file', '/dev/zero'],
    ]) {
      const r = run(args, 'v', { COFFER_DEBUG: '1' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/^coffer: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
