/** `coffer store verify|backup|recover`, as a user repairs a damaged embedded store. */
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
  sb = makeSandbox('cli-store');
});
afterEach(() => sb.cleanup());

const run = (args: readonly string[], input?: string) => runCli(cli, sb, args, { input });

test('a damaged store is reported, verified, and restored from a backup without losing the damaged files', () => {
  expect(run(['secret', 'create', 'db', '--env', 'DB', '--value-stdin'], 'pw-1').status).toBe(0);
  expect(run(['secret', 'create', 'api', '--env', 'API', '--value-stdin'], 'tok-1').status).toBe(0);
  expect(run(['store', 'verify']).status).toBe(0);

  const backup = path.join(sb.dir, 'backup');
  const made = run(['store', 'backup', backup]);
  expect(made.status).toBe(0);
  expect(made.stdout).toContain('2 secrets');
  expect(fs.statSync(backup).mode & 0o777).toBe(0o700);
  expect(fs.statSync(path.join(backup, 'key')).mode & 0o777).toBe(0o600);
  // A backup never overwrites anything.
  expect(run(['store', 'backup', backup]).status).toBe(4);

  const journal = path.join(sb.cofferHome, 'store', 'journal.0');
  fs.truncateSync(journal, fs.statSync(journal).size - 5);

  const list = run(['secret', 'list']);
  expect(list.status).toBe(1);
  expect(list.stderr).toContain(journal);
  expect(list.stderr).toContain('coffer store recover --from-backup');
  expect(run(['secret', 'create', 'x', '--env', 'X', '--value-stdin'], 'v').status).toBe(1);

  const verify = run(['store', 'verify', '-o', 'json']);
  expect(verify.status).toBe(1);
  const report = JSON.parse(verify.stdout) as { ok: boolean; problems: string[] };
  expect(report.ok).toBe(false);
  expect(report.problems.join(' ')).toContain(journal);

  expect(run(['store', 'recover']).status).toBe(2);
  const recovered = run(['store', 'recover', '--from-backup', backup]);
  expect(recovered.status).toBe(0);
  const aside = /kept in (\S+)\.\n/.exec(recovered.stdout)?.[1];
  expect(aside).toBeDefined();
  expect(fs.readdirSync(aside as string).sort()).toEqual(['journal.0', 'key', 'manifest']);

  expect(run(['store', 'verify']).status).toBe(0);
  const after = run(['secret', 'list', '-o', 'json']);
  expect(after.status).toBe(0);
  expect((JSON.parse(after.stdout) as { name: string }[]).map((s) => s.name).sort()).toEqual(['api', 'db']);
  // An intact store is only replaced on purpose.
  expect(run(['store', 'recover', '--from-backup', backup]).status).toBe(4);
  expect(run(['store', 'recover', '--from-backup', backup, '--force']).status).toBe(0);
});

test('a backup of a damaged store and a damaged backup are refused', () => {
  expect(run(['secret', 'create', 'db', '--env', 'DB', '--value-stdin'], 'pw-1').status).toBe(0);
  const backup = path.join(sb.dir, 'backup');
  expect(run(['store', 'backup', backup]).status).toBe(0);
  fs.unlinkSync(path.join(backup, 'manifest'));
  const refused = run(['store', 'recover', '--from-backup', backup, '--force']);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain(path.join(backup, 'manifest'));
  fs.unlinkSync(path.join(sb.cofferHome, 'store', 'manifest'));
  expect(run(['store', 'backup', path.join(sb.dir, 'backup2')]).status).toBe(1);
  expect(fs.existsSync(path.join(sb.dir, 'backup2'))).toBe(false);
});
