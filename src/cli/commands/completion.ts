/**
 * `coffer completion bash|zsh|fish`: a shell completion script for commands, subcommands and
 * flags (static: it never calls a backend, so completing never prints a secret name either).
 */
import { expectPositionals, parseCommandLine } from '../args';
import { EXIT, UsageError } from '../errors';
import { out } from '../io';

const STORE = ['--backend', '--user'];
const VALUE = ['--value-file', '--value', '--value-stdin'];
const METADATA = ['--description', '--env', '--file', '--owner', '--mode', '--default', '--enabled', '--disabled'];

/** Command path → its subcommands or flags. Keep in step with the commands' option tables. */
export const COMPLETION_TREE: Readonly<Record<string, readonly string[]>> = {
  '': ['secret', 'backend', 'store', 'run', 'materialize', 'lint', 'provider', 'completion', 'version', 'help', '--backend'],
  secret: ['create', 'update', 'list', 'delete', 'check', 'import'],
  'secret create': [...METADATA, ...VALUE, ...STORE, '--output'],
  'secret update': [...METADATA, '--no-default', ...VALUE, ...STORE, '--output'],
  'secret list': ['--column', ...STORE, '--output'],
  'secret delete': ['--yes', ...STORE, '--output'],
  'secret check': [...STORE, '--output'],
  'secret import': ['--format', '--upsert', '--dry-run', ...STORE, '--output'],
  backend: ['register', 'list', 'use', 'remove'],
  'backend register': ['--kind', '--url', '--auth', '--mount', '--namespace', '--path-prefix', '--role', '--home', '--store-credential', '--use', '--force', '--output'],
  'backend list': ['--output'],
  'backend use': ['--output'],
  'backend remove': ['--output'],
  store: ['verify', 'backup', 'recover'],
  run: ['--secret', '--no-defaults', '--preserve-env', '--command', '--dynamic', ...STORE],
  materialize: ['--secret', '--no-defaults', '--home', '--root', ...STORE, '--output'],
  lint: ['--output', '--rule', '--skip-dir'],
  provider: ['install'],
  completion: ['bash', 'zsh', 'fish'],
  version: ['--output'],
};

const SHELLS = ['bash', 'zsh', 'fish'] as const;

const HELP = `Usage: coffer completion bash|zsh|fish

Prints a completion script for commands, subcommands and flags. It never asks a backend.

  bash:  source <(coffer completion bash)        # or save it to /etc/bash_completion.d/coffer
  zsh:   coffer completion zsh > "\${fpath[1]}/_coffer"
  fish:  coffer completion fish > ~/.config/fish/completions/coffer.fish
`;

export function completionCommand(argv: readonly string[]): number {
  const command = 'completion';
  const args = parseCommandLine(argv, {}, { command });
  if (args.help) {
    out(HELP);
    return EXIT.ok;
  }
  const [shell] = expectPositionals(args.positionals, ['SHELL'], command) as [string];
  if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError('completion takes bash, zsh or fish', command);
  out(shell === 'bash' ? bashScript() : shell === 'zsh' ? `#compdef coffer\n${zshBody()}` : fishScript());
  return EXIT.ok;
}

/** `case` arms keyed by the words before the current one (options skipped). */
function caseArms(): string {
  return Object.entries(COMPLETION_TREE)
    .map(([path, words]) => `    "${path}") words="${words.join(' ')}" ;;`)
    .join('\n');
}

/** The shared lookup: the command path from the words typed so far (flags and their values skipped). */
const PATH_FUNCTION = `_coffer_path() {
  local p="" w
  for w in "$@"; do
    case "$w" in -*) continue ;; esac
    case "$p" in
      "") case " ${(COMPLETION_TREE[''] ?? []).join(' ')} " in *" $w "*) p="$w" ;; esac ;;
      secret|backend|store|provider) p="$p $w" ;;
    esac
  done
  printf '%s' "$p"
}
_coffer_words() {
  local words=""
  case "$1" in
${caseArms()}
  esac
  printf '%s' "$words"
}
`;

function bashScript(): string {
  return `# bash completion for coffer (coffer completion bash)
${PATH_FUNCTION}
_coffer() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local path
  path="$(_coffer_path "\${COMP_WORDS[@]:1:COMP_CWORD-1}")"
  COMPREPLY=($(compgen -W "$(_coffer_words "$path")" -- "$cur"))
}
complete -o default -F _coffer coffer
`;
}

function zshBody(): string {
  return `${PATH_FUNCTION}
_coffer() {
  local path
  path="$(_coffer_path "\${(@)words[2,CURRENT-1]}")"
  compadd -- \${=$(_coffer_words "$path")}
}
compdef _coffer coffer
`;
}

function fishScript(): string {
  const lines = ['# fish completion for coffer (coffer completion fish)', 'complete -c coffer -f'];
  for (const [path, words] of Object.entries(COMPLETION_TREE)) {
    const parts = path === '' ? [] : path.split(' ');
    const condition =
      parts.length === 0
        ? '__fish_use_subcommand'
        : parts.length === 1
          ? `__fish_seen_subcommand_from ${parts[0]}; and not __fish_seen_subcommand_from ${(COMPLETION_TREE[parts[0] as string] ?? []).filter((w) => !w.startsWith('-')).join(' ') || '__none__'}`
          : `__fish_seen_subcommand_from ${parts[0]}; and __fish_seen_subcommand_from ${parts[1]}`;
    const subcommands = words.filter((w) => !w.startsWith('-'));
    const flags = words.filter((w) => w.startsWith('--')).map((w) => w.slice(2));
    if (subcommands.length > 0) lines.push(`complete -c coffer -n '${condition}' -a '${subcommands.join(' ')}'`);
    for (const flag of flags) lines.push(`complete -c coffer -n '${condition}' -l ${flag}`);
  }
  return `${lines.join('\n')}\n`;
}
