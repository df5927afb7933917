/** `coffer completion bash|zsh|fish`, the bash script driven by a real bash as the shell would. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildCli, makeSandbox, runCli, type CliBundle, type Sandbox } from './fixtures/cli-helpers';

let cli: CliBundle;
let sb: Sandbox;
beforeAll(() => {
  cli = buildCli();
  sb = makeSandbox('cli-completion');
});
afterAll(() => {
  sb.cleanup();
  cli.cleanup();
});

/** What bash completes for the words typed (the last one being completed). */
function complete(script: string, words: readonly string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync('bash', ['-c', `source '${script}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _coffer; printf '%s\\n' "\${COMPREPLY[@]}"`], {
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean);
}

test('bash: commands, subcommands and flags of the command being typed', () => {
  const r = runCli(cli, sb, ['completion', 'bash']);
  expect(r.status).toBe(0);
  const script = path.join(sb.dir, 'coffer.bash');
  fs.writeFileSync(script, r.stdout);
  expect(complete(script, ['coffer', 'se'])).toEqual(['secret']);
  expect(complete(script, ['coffer', 'secret', 'im'])).toEqual(['import']);
  expect(complete(script, ['coffer', 'secret', 'import', '.env', '--u'])).toEqual(['--upsert', '--user']);
  expect(complete(script, ['coffer', '--backend', 'team', 'run', '--pre'])).toEqual(['--preserve-env']);
  expect(complete(script, ['coffer', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
});

test('zsh and fish scripts; an unknown shell is a usage error', () => {
  expect(runCli(cli, sb, ['completion', 'zsh']).stdout).toMatch(/^#compdef coffer\n[\s\S]*compdef _coffer coffer\n$/);
  const fish = runCli(cli, sb, ['completion', 'fish']).stdout;
  expect(fish).toMatch(/^complete -c coffer -n '__fish_use_subcommand' -a 'secret backend store run/m);
  expect(fish).toMatch(/-l dry-run$/m);
  const bad = runCli(cli, sb, ['completion', 'powershell']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/completion takes bash, zsh or fish/);
});
