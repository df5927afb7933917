/**
 * `coffer run [--secret NAME]... [--no-defaults] -- CMD ARGS`: runs CMD with the environment plus
 * the selected secrets as environment variables. Node cannot execve(2), so CMD is a child with
 * inherited stdio; SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded, and coffer exits with the
 * child's exit code (or dies of the same signal).
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { parseCommandLine } from '../args';
import { STORE_HELP, STORE_OPTIONS, userOption, withStore } from '../common';
import { CliError, EXIT, UsageError } from '../errors';
import { out } from '../io';
import { checkDeliverableValue, selectForDelivery } from '../selection';
import { DYNAMIC_HELP, DynamicLeases, parseDynamicSpec } from '../dynamic-env';
import type { SecretText } from '../../client/secret-text';

const RUN_HELP = `Usage: coffer run [options] [--] CMD [ARGS...]
       coffer run [options] --command "SHELL COMMAND"

Runs CMD with your environment plus secrets as environment variables: every enabled default
secret with an env name (unless --no-defaults) and every --secret NAME (which must exist, be
enabled and have an env name). A secret's variable overrides one of the same name, unless
--preserve-env keeps the variables already set.

Secrets that target a file are NOT written by "run" (use "coffer materialize"). Values are read
when CMD starts: a rotated value reaches a workspace at its next "run".

CMD runs as a child process (Node cannot exec in place) with the same stdin/stdout/stderr.
SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to coffer are forwarded to it (on a terminal, Ctrl-C
already reaches both). coffer exits with CMD's exit code, or is killed by the same signal that
killed CMD (a shell then shows 128+N). A CMD that cannot be found exits 127, one that cannot be
executed 126.

Options:
  --secret NAME       Also inject NAME (repeatable)
  --no-defaults       Do not inject the default secrets
  --preserve-env      A variable already set in the environment wins over a secret's
  --command TEXT      Run TEXT with /bin/sh -c instead of CMD ARGS (pipes, &&, $VARS)
${DYNAMIC_HELP}
${STORE_HELP}

Options end at "--" or at the first argument that is not an option.

Examples:
  coffer run -- npm publish
  coffer run --no-defaults --secret github-token -- gh release create v1.0.0
  coffer run --command 'echo "$API_URL" && make deploy'
  coffer --backend vault run --dynamic database/creds/app:PGUSER=username,PGPASSWORD=password -- make dev-db
`;

const RUN_OPTIONS = {
  secret: { type: 'list' },
  defaults: { type: 'boolean', negatable: true },
  'preserve-env': { type: 'boolean' },
  command: { type: 'string' },
  dynamic: { type: 'list' },
  ...STORE_OPTIONS,
} as const;

const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

export async function runCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'run';
  const args = parseCommandLine(argv, RUN_OPTIONS, { command, stopAtPositional: true });
  if (args.help) {
    out(RUN_HELP);
    return EXIT.ok;
  }
  const shellCommand = args.values.command;
  if (shellCommand !== undefined && args.rest.length > 0)
    throw new UsageError('give either --command "…" or CMD ARGS, not both', command);
  if (shellCommand === '') throw new UsageError('--command needs a command to run', command);
  const [file, ...fileArgs] = shellCommand !== undefined ? ['/bin/sh', '-c', shellCommand] : args.rest;
  if (file === undefined || file === '')
    throw new UsageError('missing CMD to run (coffer run [options] -- CMD ARGS, or --command "…")', command);
  const user = userOption(args.values.user, command);
  const dynamic = (args.values.dynamic ?? []).map((raw) => parseDynamicSpec(raw, command));
  const preserve = args.values['preserve-env'] === true;
  const named = args.values.secret ?? [];
  const defaults = args.values.defaults !== false;

  const childEnv: NodeJS.ProcessEnv = { ...env };
  const set = (envName: string, value: SecretText): void => {
    if (preserve && env[envName] !== undefined) return;
    childEnv[envName] = value.reveal();
  };
  const code = await withStore(args.values.backend, env, async (store): Promise<number | undefined> => {
    // Nothing to list when only minted credentials are asked for (a policy may allow just those).
    const chosen =
      defaults || named.length > 0
        ? selectForDelivery(await store.list(user), { named, defaults, target: 'env' })
        : [];
    // Read every value first: the environment is only changed once every value passed the rules.
    const values: [string, SecretText][] = [];
    for (const secret of chosen) {
      const value = await store.readValue(user, secret.name);
      checkDeliverableValue(secret.name, value);
      values.push([secret.envName, value]);
    }
    if (dynamic.length === 0) {
      for (const [envName, value] of values) set(envName, value);
      return undefined;
    }
    // The store stays open while CMD runs: it renews the leases (and closing it revokes its login).
    const leases = new DynamicLeases(store);
    const minted = await leases.issue(dynamic);
    try {
      for (const [envName, value] of [...values, ...minted]) set(envName, value);
      return await spawnAndWait(file, fileArgs, childEnv);
    } finally {
      await leases.revokeAll();
    }
  });
  // Without minted credentials the store is closed before CMD starts (CMD may use coffer itself).
  return code ?? spawnAndWait(file, fileArgs, childEnv);
}

function spawnAndWait(file: string, fileArgs: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const child = spawn(file, fileArgs, { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    const cleanup = (): void => {
      for (const signal of FORWARDED_SIGNALS) process.removeListener(signal, forward);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      if (error.code === 'ENOENT') reject(new CliError(127, `command not found: ${file}`));
      else if (error.code === 'EACCES') reject(new CliError(126, `cannot execute ${file}: permission denied`));
      else reject(new CliError(126, `cannot execute ${file} (${error.code ?? 'error'})`));
    });
    child.once('exit', (code, signal) => {
      cleanup();
      if (signal !== null) {
        const number = os.constants.signals[signal] ?? 0;
        // Die of the same signal, so our parent sees what it would have seen without coffer.
        if (FORWARDED_SIGNALS.includes(signal) || signal === 'SIGKILL') {
          try {
            process.kill(process.pid, signal);
          } catch {
            // fall through to the exit code
          }
        }
        resolve(128 + number);
        return;
      }
      resolve(code ?? 1);
    });
  });
}
