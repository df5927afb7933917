/**
 * Where a secret value (or a backend credential) comes from, in order:
 *   1. `--value-file PATH`: the file's bytes, verbatim, as UTF-8;
 *   2. `--value VALUE`: with a warning, since argv is visible to other processes;
 *   3. stdin when it is not a terminal: read to the end, verbatim (no trimming: `printf %s x`
 *      gives `x`, `echo x` gives `x` plus a newline);
 *   4. a hidden prompt when stdin is a terminal.
 * Never prompts when stdin is not a terminal; never echoes or prints the value.
 */
import { SecretText } from '../client/secret-text';
import { UsageError } from './errors';
import { decodeUtf8, promptHidden, readStdin, readUserFile, stdinIsTTY, warn } from './io';

/** Far above any backend's value limit; the store names the real limit. */
export const MAX_VALUE_INPUT_BYTES = 1024 * 1024;

export interface ValueFlags {
  readonly valueFile?: string;
  readonly value?: string;
  readonly valueStdin?: boolean;
}

export interface ValueRequest {
  /** `secret "NAME"`, for prompts and messages. */
  readonly what: string;
  readonly command: string;
  /** Read stdin / prompt even without `--value-stdin` (create; update without metadata flags). */
  readonly implicit: boolean;
  /**
   * Read stdin when it is not a terminal, and use it when it is not empty (update with metadata
   * flags: `printf %s new | coffer secret update x --env X` changes both; never a prompt).
   */
  readonly pipedIfAny?: boolean;
}

export const VALUE_OPTIONS = {
  'value-file': { type: 'string' },
  value: { type: 'string' },
  'value-stdin': { type: 'boolean' },
} as const;

export const VALUE_HELP = `Value input (the first that applies):
  --value-file PATH   the file's bytes, verbatim, as UTF-8
  --value VALUE       the value on the command line (warns: other processes can read argv)
  --value-stdin       read stdin (prompt if stdin is a terminal); --value-stdin=false: never read it
  stdin               when stdin is not a terminal it is read to the end, verbatim, with no
                      trimming:  printf %s "$TOKEN" | coffer …   stores the token;
                                 echo "$TOKEN" | coffer …        stores the token plus "\\n"
  prompt              when stdin is a terminal, the value is asked for without echo
  coffer never prompts when stdin is not a terminal; empty stdin is a usage error (exit 2).`;

export async function readValueInput(flags: ValueFlags, request: ValueRequest): Promise<SecretText | undefined> {
  const explicit = [flags.valueFile !== undefined, flags.value !== undefined, flags.valueStdin === true].filter(
    Boolean,
  ).length;
  if (explicit > 1)
    throw new UsageError('give the value one way only: --value-file, --value or --value-stdin', request.command);

  if (flags.valueFile !== undefined) return new SecretText(readValueFile(flags.valueFile, request.command));
  if (flags.value !== undefined) {
    warn(
      '--value puts the value on the command line, where other processes and shell history can read it; prefer stdin or --value-file',
    );
    return new SecretText(flags.value);
  }
  if (!flags.valueStdin && !request.implicit) {
    // A piped value beside metadata flags is used, never dropped; empty stdin (/dev/null) changes nothing.
    if (!request.pipedIfAny || flags.valueStdin === false || stdinIsTTY()) return undefined;
    const piped = await readStdin(MAX_VALUE_INPUT_BYTES, 'the value');
    return piped.length === 0 ? undefined : stdinText(piped);
  }

  if (stdinIsTTY()) {
    const typed = await promptHidden(`Value for ${request.what} (input hidden): `);
    if (typed === '') throw new UsageError('no value entered', request.command);
    return new SecretText(typed);
  }
  const bytes = await readStdin(MAX_VALUE_INPUT_BYTES, 'the value');
  if (bytes.length === 0) {
    throw new UsageError(
      'no value: stdin is empty and not a terminal, so coffer does not prompt (pipe the value in, or use --value-file)',
      request.command,
    );
  }
  return stdinText(bytes);
}

function stdinText(bytes: Buffer): SecretText {
  const text = decodeUtf8(bytes, 'the value read from stdin');
  if (text.endsWith('\n')) {
    warn(
      "the value read from stdin ends with a newline, which is stored as part of it (use printf '%s' instead of echo to leave it out)",
    );
  }
  return new SecretText(text);
}

/** A regular file of at most MAX_VALUE_INPUT_BYTES (`/dev/zero`, a FIFO or a directory is refused). */
function readValueFile(file: string, command: string): string {
  return decodeUtf8(readUserFile(file, MAX_VALUE_INPUT_BYTES, `--value-file ${file}`, command), `--value-file ${file}`);
}
