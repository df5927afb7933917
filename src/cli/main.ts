/** The `coffer` command line: one entry point, one dispatcher, one way to report errors. */
import { parseCommandLine } from './args';
import { LINT_HELP, runLint } from './commands/lint';
import { backendCommand, BACKEND_HELP } from './commands/backend';
import { completionCommand } from './commands/completion';
import { materializeCommand } from './commands/materialize';
import { providerCommand, providerHelp } from './commands/provider';
import { runCommand } from './commands/run';
import { secretCommand, SECRET_HELP } from './commands/secret';
import { storeCommand, STORE_HELP } from './commands/store';
import { withGlobalBackend } from './common';
import { isSecretStoreError } from '../client/errors';
import { EXIT, EXIT_CODES_HELP, exitCodeFor, inCliTerms, isUserError, UsageError } from './errors';
import { displayText, err, out, printJson, unknownCommand } from './io';

export const VERSION = '0.1.0';

export const USAGE = `Usage: coffer [--backend NAME] <command> [options]

User secrets as code: manage secrets in a backend, and deliver them to a workspace.

Commands:
  secret create NAME        Create a secret (value from a file, stdin or a hidden prompt)
  secret update NAME        Change a secret's value or metadata
  secret list [NAME]        Show metadata (never values)
  secret delete NAME        Delete a secret
  secret check NAME...      Fail listing every missing or disabled secret
  secret import FILE        Create many secrets from an env/json/yaml file, all or nothing
  backend register NAME     Add a backend profile (local, vault, coder)
  backend list              Show backend profiles and where credentials come from
  backend use NAME          Select the current backend profile
  backend remove NAME       Delete a backend profile
  store verify              Check every file of the embedded store
  store backup DIR          Copy the embedded store to a verified backup
  store recover             Restore the embedded store from a backup (--from-backup DIR)
  run -- CMD ARGS           Run CMD with secrets as environment variables
  materialize               Write file secrets into the workspace
  lint [PATH...]            Check .tf / cdk.tf.json for leaked secrets (GitOps pipelines)
  provider install          Install the OpenTofu/Terraform provider into a filesystem mirror
  completion bash|zsh|fish  Print a shell completion script
  version                   Print the version
  help [COMMAND]            Show help

Every command takes -h/--help; commands that print data take -o table|json (lint: also sarif).

Environment:
  COFFER_PROFILE     Backend profile to use (overridden by --backend)
  COFFER_BACKEND     Backend profile or kind (local, vault, coder) to use (after COFFER_PROFILE)
  COFFER_CONFIG      Config file (default \${XDG_CONFIG_HOME:-~/.config}/coffer/config.json)
  COFFER_HOME        Embedded store home (default \${XDG_DATA_HOME:-~/.local/share}/coffer)
  COFFER_USER        Who "me" is in the embedded store (default: your login name)
  COFFER_AUDIT_LOG   Audit log file, "stderr" or "off" (default: audit.log in COFFER_HOME)
  COFFER_DEBUG=1     Print stack traces of unexpected (internal) errors; never for user errors

${EXIT_CODES_HELP}

Run "coffer <command> --help" for details.
`;

const TOP_COMMANDS = ['secret', 'backend', 'store', 'run', 'materialize', 'lint', 'provider', 'completion', 'version', 'help'];

const VERSION_HELP = `Usage: coffer version [-o table|json]

Prints the version of the coffer CLI.
`;

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    return await dispatch(argv, env);
  } catch (error) {
    return report(error, env);
  }
}

async function dispatch(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  // A global --backend before the command selects the backend like the command's own flag; it
  // stays a flag, so errors blame --backend (not COFFER_BACKEND).
  const first = argv[0];
  if (first === '--backend' || first?.startsWith('--backend=')) {
    const value = first.includes('=') ? first.slice('--backend='.length) : argv[1];
    if (value === undefined || value === '') throw new UsageError('option --backend needs a value');
    const rest = argv.slice(first.includes('=') ? 1 : 2);
    return withGlobalBackend(value, () => dispatch(rest, env));
  }
  const args = [...argv];
  const [command, ...rest] = args;
  switch (command) {
    case undefined:
      err(USAGE);
      return EXIT.usage;
    case '-h':
    case '--help':
      out(USAGE);
      return EXIT.ok;
    case 'help':
      return help(rest, env);
    case 'version':
    case '--version':
      return version(rest);
    case 'secret':
    case 'secrets':
      return secretCommand(rest, env);
    case 'backend':
    case 'backends':
      return backendCommand(rest, env);
    case 'store':
      return storeCommand(rest, env);
    case 'run':
      return runCommand(rest, env);
    case 'materialize':
      return materializeCommand(rest, env);
    case 'lint':
      return runLint(rest);
    case 'completion':
      return completionCommand(rest);
    case 'provider':
      // The CLI bundle sits beside the provider bundle in dist/.
      return providerCommand(rest, VERSION, __dirname);
    default:
      throw new UsageError(unknownCommand('', command, TOP_COMMANDS));
  }
}

async function help(topic: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (topic.length === 0) {
    out(USAGE);
    return EXIT.ok;
  }
  const [first] = topic;
  if (topic.length === 1) {
    if (first === 'secret' || first === 'secrets') return (out(SECRET_HELP), EXIT.ok);
    if (first === 'backend' || first === 'backends') return (out(BACKEND_HELP), EXIT.ok);
    if (first === 'provider') return (out(providerHelp()), EXIT.ok);
    if (first === 'store') return (out(STORE_HELP), EXIT.ok);
    if (first === 'lint') return (out(LINT_HELP), EXIT.ok);
    if (first === 'version') return (out(VERSION_HELP), EXIT.ok);
  }
  if (first === 'help') return (out(USAGE), EXIT.ok);
  if (['secret', 'secrets', 'backend', 'backends', 'run', 'materialize', 'provider', 'completion'].includes(first as string)) {
    return dispatch([...topic, '--help'], env);
  }
  throw new UsageError(`no help for that: ${unknownCommand('', first as string, TOP_COMMANDS)}`);
}

function version(argv: readonly string[]): number {
  const args = parseCommandLine(argv, { output: { type: 'string', short: 'o' } }, { command: 'version' });
  if (args.help) {
    out(VERSION_HELP);
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw new UsageError('version takes no arguments', 'version');
  if (args.values.output === 'json') printJson({ version: VERSION, node: process.version });
  else if (args.values.output === undefined || args.values.output === 'table') out(`coffer ${VERSION}\n`);
  else throw new UsageError('option -o/--output takes table or json', 'version');
  return EXIT.ok;
}

/**
 * One line on stderr. Stack traces only for unexpected errors (Coffer's own bugs) and only with
 * COFFER_DEBUG=1: a user error is fully described by its message. The message is escaped, since
 * it may quote names read from a backend.
 */
function report(error: unknown, env: NodeJS.ProcessEnv): number {
  const debug = env.COFFER_DEBUG === '1' || env.COFFER_DEBUG === 'true';
  if (isUserError(error)) {
    const message = (error as Error).message;
    err(`coffer: ${displayText(isSecretStoreError(error) ? inCliTerms(message) : message)}\n`);
    if (error instanceof UsageError) err(`Run "coffer ${error.command ? `${error.command} ` : ''}--help" for usage.\n`);
  } else {
    err('coffer: unexpected error (set COFFER_DEBUG=1 for details)\n');
    if (debug) err(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  return exitCodeFor(error);
}

if (require.main === module) {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    // `coffer secret list | head -1`: the reader went away; that is not an error of ours.
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = EXIT.failed;
    },
  );
}
