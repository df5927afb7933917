/**
 * Terminal and stream helpers: reading stdin verbatim, the hidden prompt, confirmations,
 * tables and the import progress line. Nothing here prints a value it reads.
 */
import * as readline from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import * as tty from 'node:tty';
import { FileInputError, readBoundedFile } from '../client/bounded-fs';
import { CliError, EXIT, UsageError } from './errors';

/** Exit code when the user cancels a prompt with Ctrl-C (128 + SIGINT, like a shell). */
export const EXIT_CANCELLED = 130;

export function stdinIsTTY(): boolean {
  return tty.isatty(0);
}

export function stderrIsTTY(): boolean {
  return tty.isatty(2);
}

export function out(text: string): void {
  process.stdout.write(text);
}

export function err(text: string): void {
  process.stderr.write(text);
}

/**
 * The message for an unknown (sub)command. What was typed is never repeated (it could be a value
 * pasted in the wrong place); a close known command is suggested instead.
 */
export function unknownCommand(group: string, typed: string, known: readonly string[]): string {
  const prefix = group === '' ? 'coffer' : `coffer ${group}`;
  const close = known.filter((k) => editDistance(k, typed.toLowerCase()) <= 2);
  return close.length > 0
    ? `unknown command for "${prefix}"; did you mean "${close[0]}"?`
    : `unknown command for "${prefix}" (commands: ${known.join(', ')})`;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

export function warn(message: string): void {
  err(`coffer: warning: ${displayText(message)}\n`);
}

/**
 * Characters a terminal must never receive raw from data: C0/C1 controls and DEL (an ESC starts
 * a control sequence: `\x1b[2J` clears the screen), invisible and bidirectional formatting
 * characters (U+202E reverses what follows), line/paragraph separators, lone surrogates.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * The one escaping every CLI output of backend-provided text goes through (tables, messages,
 * warnings, progress): unprintable characters become visible escapes (`\n`, `\x1b`, `\u202e`).
 * A store edited behind Coffer's back may hold such names even though the rules refuse them.
 */
export function displayText(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const named = NAMED_ESCAPES[c];
    if (named !== undefined) return named;
    const code = c.codePointAt(0) as number;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * JSON.stringify escapes C0 controls and lone surrogates inside strings itself (a raw newline in
 * its output is layout); DEL, C1 and the formatting characters become `\uXXXX`: the same data.
 */
const UNPRINTABLE_IN_JSON = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;

function escapeJson(json: string): string {
  return json.replace(UNPRINTABLE_IN_JSON, (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`);
}

/**
 * Reads stdin to the end, byte for byte (no trimming, no newline handling). Fails once more
 * than `limitBytes` arrive, naming only the limit.
 */
export async function readStdin(limitBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    total += buffer.length;
    if (total > limitBytes) {
      process.stdin.destroy();
      throw new CliError(EXIT.invalid, `${what} from stdin is larger than ${limitBytes} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, total);
}

/**
 * A file named on the command line, bounded (see bounded-fs.ts): a file that is too large is
 * invalid input (exit 5); one that cannot be read or is not a regular file is a usage error.
 */
export function readUserFile(file: string, limitBytes: number, what: string, command: string): Buffer {
  try {
    return readBoundedFile(file, limitBytes, what);
  } catch (error) {
    if (!(error instanceof FileInputError)) throw error;
    if (error.code === 'too_large') throw new CliError(EXIT.invalid, error.message);
    throw new UsageError(error.message, command);
  }
}

/** Strict UTF-8 decoding that keeps every byte's meaning, including a leading BOM. */
export function decodeUtf8(bytes: Buffer, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new CliError(EXIT.invalid, `${what} is not valid UTF-8`);
  }
}

/**
 * Asks for a line on the terminal without echoing it. Requires stdin to be a TTY (callers check
 * first and never prompt otherwise). Ctrl-C cancels (exit 130), Ctrl-D on an empty line cancels,
 * Backspace and Ctrl-U edit.
 */
export function promptHidden(prompt: string): Promise<string> {
  const input = process.stdin as tty.ReadStream;
  return new Promise<string>((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    let typed = '';
    let finished = false;
    const finish = (error?: CliError): void => {
      if (finished) return;
      finished = true;
      input.removeListener('data', onData);
      input.setRawMode(false);
      input.pause();
      err('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of decoder.write(chunk)) {
        if (finished) return;
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new CliError(EXIT_CANCELLED, 'cancelled'));
        if (ch === '\u0004') {
          if (typed === '') return finish(new CliError(EXIT_CANCELLED, 'cancelled'));
          continue;
        }
        if (ch === '\u007f' || ch === '\b') {
          typed = [...typed].slice(0, -1).join('');
          continue;
        }
        if (ch === '\u0015') {
          typed = '';
          continue;
        }
        typed += ch;
      }
    };
    // Raw mode (no echo) before the prompt appears, so nothing typed after it is ever echoed.
    input.setRawMode(true);
    err(prompt);
    input.on('data', onData);
    input.resume();
  });
}

/** Asks a yes/no question on the terminal (stdin must be a TTY); only `y`/`yes` confirms. */
export async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    const answer = await new Promise<string | undefined>((resolve) => {
      rl.on('close', () => resolve(undefined));
      rl.question(question, resolve);
    });
    return answer !== undefined && /^(y|yes)$/i.test(answer.trim());
  } finally {
    rl.close();
    process.stdin.pause();
  }
}

/** Columns padded to the widest cell, two spaces apart, no trailing spaces. Cells are escaped (`displayText`). */
export function renderTable(headers: readonly string[], rawRows: readonly (readonly string[])[]): string {
  const rows = rawRows.map((row) => row.map(displayText));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function printJson(value: unknown): void {
  out(`${escapeJson(JSON.stringify(value, null, 2))}\n`);
}

/**
 * A one-line progress display on stderr when stderr is a terminal; silent otherwise (logs and
 * pipes get only the final summary the command prints).
 */
export class Progress {
  readonly #active = stderrIsTTY();
  #width = 0;

  step(text: string, fraction?: number): void {
    if (!this.#active) return;
    const bar = fraction === undefined ? '' : `[${'#'.repeat(Math.round(fraction * 20)).padEnd(20, '.')}] `;
    const line = `${bar}${displayText(text)}`;
    err(`\r${line.padEnd(this.#width)}`);
    this.#width = line.length;
  }

  done(text: string): void {
    if (!this.#active) return;
    this.step(text, 1);
    err('\n');
    this.#width = 0;
  }

  clear(): void {
    if (!this.#active || this.#width === 0) return;
    err(`\r${' '.repeat(this.#width)}\r`);
    this.#width = 0;
  }
}
