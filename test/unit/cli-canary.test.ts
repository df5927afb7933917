/**
 * A canary value goes through every command and every error path we can think of; it must never
 * appear in stdout/stderr, the audit log, the config file, or the store files in plaintext. It
 * may only leave through `run`'s child environment and `materialize`'s files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  allFilesText,
  buildCli,
  makeSandbox,
  runCli,
  runCliOnPty,
  type CliBundle,
  type CliResult,
  type Sandbox,
} from './fixtures/cli-helpers';

let cli: CliBundle;
let sb: Sandbox;
// Short and word-like on purpose, so it also looks like a command name or an option value.
const canary = `CANARY${Math.random().toString(36).slice(2, 10)}${Date.now().toString(36)}`;

beforeAll(() => {
  cli = buildCli();
  sb = makeSandbox('cli-canary');
});
afterAll(() => {
  cli.cleanup();
  sb.cleanup();
});

test('the canary never appears in any output, error, audit line, config or store file', async () => {
  const outputs: { args: readonly string[]; result: CliResult | { stdout: string; stderr: string } }[] = [];
  const run = (args: readonly string[], input?: string, env?: NodeJS.ProcessEnv): CliResult => {
    const result = runCli(cli, sb, args, { input, env: { COFFER_DEBUG: '1', ...env } });
    outputs.push({ args, result });
    return result;
  };
  const file = (name: string, text: string): string => {
    const p = path.join(sb.dir, name);
    fs.writeFileSync(p, text);
    return p;
  };

  // Every way in.
  expect(run(['secret', 'create', 'piped', '--env', 'PIPED', '--default'], canary).status).toBe(0);
  expect(run(['secret', 'create', 'echoed', '--env', 'ECHOED'], `${canary}\n`).status).toBe(0);
  expect(run(['secret', 'create', 'argv', '--env', 'ARGV', '--value', canary, '-o', 'json']).status).toBe(0);
  expect(
    run(['secret', 'create', 'from-file', '--file', '~/canary.txt', '--default', '--value-file', file('v.txt', canary)])
      .status,
  ).toBe(0);
  const tty = runCliOnPty(
    cli,
    sb,
    ['secret', 'create', 'typed', '--env', 'TYPED'],
    [{ expect: 'input hidden): ', send: `${canary}\r` }],
  );
  expect(tty.code).toBe(0);
  outputs.push({ args: ['(pty) secret create typed'], result: { stdout: tty.output, stderr: '' } });
  expect(
    run(['secret', 'update', 'piped', '--value-stdin', '--description', 'rotated', '-o', 'json'], `${canary}-2`).status,
  ).toBe(0);
  expect(
    run(['secret', 'import', file('i.env', `IMPORTED="${canary}"\nOTHER.KEY='${canary}'\n`), '-o', 'json']).status,
  ).toBe(0);
  expect(run(['secret', 'import', '-', '--format', 'yaml'], `YAML_KEY: |\n  ${canary}\n`).status).toBe(0);
  expect(run(['secret', 'import', '-', '--format', 'json'], `{"JSON_KEY": "${canary}"}`).status).toBe(0);
  expect(
    run(
      [
        'backend',
        'register',
        'prod',
        '--kind',
        'vault',
        '--url',
        'https://vault.example.com',
        '--store-credential',
        'token',
      ],
      canary,
    ).status,
  ).toBe(0);

  // Every way out that prints.
  expect(run(['secret', 'list']).status).toBe(0);
  expect(run(['secret', 'list', '-o', 'json']).status).toBe(0);
  expect(run(['secret', 'list', 'piped', '-o', 'json']).status).toBe(0);
  expect(run(['secret', 'check', 'piped', 'missing', '-o', 'json']).status).toBe(1);
  expect(run(['backend', 'list']).status).toBe(0);
  expect(run(['backend', 'list', '-o', 'json']).status).toBe(0);
  const childCheck = `process.exit(process.env.PIPED === ${JSON.stringify(`${canary}-2`)} && process.env.ECHOED === ${JSON.stringify(`${canary}\n`)} ? 0 : 1)`;
  expect(run(['run', '--secret', 'echoed', '--', process.execPath, '-e', childCheck]).status).toBe(0);
  expect(run(['materialize', '--home', path.join(sb.dir, 'ws')]).status).toBe(0);
  expect(run(['materialize', '--home', path.join(sb.dir, 'ws'), '-o', 'json']).status).toBe(0);
  expect(fs.readFileSync(path.join(sb.dir, 'ws', 'canary.txt'), 'utf8')).toBe(canary);

  // Every error path we can reach with the canary on the line or in the input.
  const failures: [readonly string[], string | undefined, number][] = [
    [['secret', 'create', 'piped', '--env', 'OTHER'], canary, 4],
    [['secret', 'create', 'big', '--env', 'BIG'], canary.repeat(2000), 5],
    [['secret', 'create', 'nul', '--env', 'NUL'], `${canary}\0`, 5],
    [['secret', 'create', 'x', '--env', 'PATH', '--value', canary], undefined, 5],
    [['secret', 'create', 'x', '--valeu', canary], undefined, 2],
    [['secret', 'create', 'x', `--valeu=${canary}`], undefined, 2],
    [['secret', 'create', 'x', canary], undefined, 2],
    [['secret', 'create', 'x', '--env', 'X', '--value', canary, '--value-file', '/nonexistent'], undefined, 2],
    [['secret', 'update', 'nope', '--value', canary], undefined, 3],
    [[canary], undefined, 2],
    [['secret', canary], undefined, 2],
    [['help', canary], undefined, 2],
    [['secret', 'import', '-', '--format', 'env'], `IMPORTED=${canary}\nNEW=${canary}\n`, 4],
    [['secret', 'import', '-', '--format', 'env'], `A="${canary}`, 5],
    [['secret', 'import', '-', '--format', 'env'], `A="x" ${canary}`, 5],
    [['secret', 'import', '-', '--format', 'env'], canary, 5],
    [['secret', 'import', '-', '--format', 'env'], `A=${canary}\nA=${canary}`, 5],
    [['secret', 'import', '-', '--format', 'json'], `{"A": "${canary}`, 5],
    [['secret', 'import', '-', '--format', 'json'], `{"A": "${canary}", "B": 1}`, 5],
    [['secret', 'import', '-', '--format', 'yaml'], `A: "${canary}`, 5],
    [['secret', 'import', '-', '--format', 'yaml'], `A: x: ${canary}`, 5],
    [['secret', 'import', '-', '--format', 'yaml'], `${canary}\n`, 5],
    [['secret', 'import', '-', '--format', 'yaml'], `A: !tag ${canary}`, 5],
    [['secret', 'import', '-', '--format', 'yaml'], `A: *${canary}`, 5],
    [['backend', 'register', 'x', '--kind', 'vault', '--token', canary], undefined, 2],
    [['backend', 'register', 'x', '--kind', 'vault', `--token=${canary}`], undefined, 2],
    [['backend', 'register', 'prod', '--kind', 'vault', '--store-credential', 'token'], canary, 4],
    [['run', '--secret', 'nope', '--', 'true', canary], undefined, 3],
  ];
  for (const [args, input, status] of failures) {
    const r = run(args, input);
    expect({ args: args.map((a) => a.replace(canary, '<canary>')), status: r.status }).toEqual({
      args: args.map((a) => a.replace(canary, '<canary>')),
      status,
    });
  }
  // A config file with a token in it is refused without quoting the token.
  const config = fs.readFileSync(sb.config, 'utf8');
  const parsed = JSON.parse(config);
  fs.writeFileSync(
    sb.config,
    JSON.stringify({ ...parsed, backends: { ...parsed.backends, bad: { kind: 'vault', token: canary } } }),
  );
  expect(run(['secret', 'list']).status).toBe(5);
  fs.writeFileSync(sb.config, config);
  // Unparsable config text containing the canary.
  fs.writeFileSync(sb.config, `{"backends": ${canary}`);
  expect(run(['backend', 'list']).status).toBe(5);
  fs.writeFileSync(sb.config, config);

  for (const { args, result } of outputs) {
    const label = args.map((a) => a.replace(canary, '<canary>')).join(' ');
    expect({ label, stdout: result.stdout.includes(canary), stderr: result.stderr.includes(canary) }).toEqual({
      label,
      stdout: false,
      stderr: false,
    });
  }
  expect(fs.readFileSync(sb.audit, 'utf8')).not.toContain(canary);
  expect(fs.readFileSync(sb.audit, 'utf8')).toMatch(/"action":"read_value"/);
  expect(config).not.toContain(canary);
  expect(allFilesText(sb.cofferHome)).not.toContain(canary);

  // The values really are there (so the checks above are not vacuous).
  const store = sb.store();
  expect((await store.readValue('me', 'piped')).reveal()).toBe(`${canary}-2`);
  expect((await store.readValue('me', 'typed')).reveal()).toBe(canary);
  expect((await store.readValue('me', 'IMPORTED')).reveal()).toBe(canary);
  await store.close();
  const credentials = sb.credentials();
  expect((await credentials.read('prod', 'token'))?.reveal()).toBe(canary);
  await credentials.close();
});
