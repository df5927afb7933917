/**
 * Exit codes and the errors the CLI reports as one line. Messages are written by Coffer from
 * names, paths and rules only: no constructor here is ever given a secret value.
 */
import { FileInputError } from '../client/bounded-fs';
import { isSecretStoreError, StoreIntegrityError, type SecretErrorCode } from '../client/errors';

/** The exit codes of every `coffer` command (documented in `coffer --help` and docs/cli.md). */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** The operation ran and failed: backend error, `secret check` found missing or disabled secrets. */
  failed: 1,
  /** Bad command line: unknown option, missing argument, no value source, no terminal to confirm on. */
  usage: 2,
  /** A secret or backend profile that does not exist. */
  notFound: 3,
  /** A name, env name or file path already in use. */
  conflict: 4,
  /** Invalid input: a field breaks a rule, a limit is hit, a file cannot be parsed, or the backend cannot keep a field. */
  invalid: 5,
  /** The backend could not be reached or refused the credentials. */
  unavailable: 6,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  the operation failed (backend error; "secret check" found missing or disabled secrets;
     the embedded store is damaged: see "coffer store verify")
  2  usage error (bad flags or arguments, no value given, no terminal to prompt on)
  3  not found (secret or backend profile)
  4  conflict (name, env name or file path already used)
  5  invalid input (a rule or limit broken, unparsable file, field the backend cannot keep)
  6  backend unavailable or credentials refused
  130 a prompt was cancelled with Ctrl-C
  "coffer run" exits with the command's own exit code (127: not found, 126: cannot execute;
  it dies of the same signal when the command is killed by one).`;

/** An error the CLI reports as `coffer: <message>` and an exit code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A bad command line; the report adds a pointer to the command's `--help`. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(EXIT.usage, message);
    this.name = 'UsageError';
  }
}

const CODE_TO_EXIT: Record<SecretErrorCode, number> = {
  not_found: EXIT.notFound,
  conflict: EXIT.conflict,
  validation: EXIT.invalid,
  limit: EXIT.invalid,
  unsupported: EXIT.invalid,
  unauthorized: EXIT.unavailable,
  unavailable: EXIT.unavailable,
};

export function exitCodeFor(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  // Damage is not "unavailable, try again": it fails until repaired (coffer store recover).
  if (error instanceof StoreIntegrityError) return EXIT.failed;
  if (isSecretStoreError(error)) return CODE_TO_EXIT[error.code] ?? EXIT.failed;
  return EXIT.failed;
}

/**
 * True for errors whose message was written for users: they are reported as one line and never
 * with a stack trace, even with COFFER_DEBUG=1 (a stack is for Coffer's own bugs).
 */
export function isUserError(error: unknown): boolean {
  return error instanceof CliError || isSecretStoreError(error) || error instanceof FileInputError;
}

/** Store and backend words (the provider's attribute names) → the CLI's flags. */
const CLI_TERMS: readonly [RegExp, string][] = [
  [/\benv_name\b/g, '--env'],
  [/\bfile_path\b/g, '--file'],
  [/\bfile_owner\b/g, '--owner'],
  [/\bfile_mode\b/g, '--mode'],
  [/\bis_default\b/g, '--default'],
  [/\bvalue_wo\b/g, 'the value'],
  [/^value must\b/, 'the value must'],
  [/\bset url or \$CODER_URL\b/g, 'set CODER_URL, or give the profile one (coffer backend register NAME --kind coder --url URL)'],
];

/**
 * A store error in the CLI's words: `env_name "X" is already used` → `--env "X" is already used`.
 * Quoted parts (names read from the store) are left exactly as they are.
 */
export function inCliTerms(message: string): string {
  return message
    .split(/("(?:[^"\\]|\\.)*")/)
    .map((part, i) => (i % 2 === 1 ? part : CLI_TERMS.reduce((text, [pattern, flag]) => text.replace(pattern, flag), part)))
    .join('');
}
