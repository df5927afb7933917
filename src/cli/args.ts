/**
 * A small command-line parser with the conventions users expect: `--opt value`, `--opt=value`,
 * `-o value`, `-ovalue`, `--flag`, `--flag=false`, `--no-flag`, repeated options for lists,
 * `--` to end options, and `-h`/`--help` everywhere. Written by hand because `node:util`
 * `parseArgs` in Node 20 has no `--no-flag` and rejects `--flag=false`.
 *
 * Error messages never quote an argument that is not an option name: a mistyped `--valeu SECRET`
 * must not print `SECRET`.
 */
import { UsageError } from './errors';

export type OptionType = 'string' | 'boolean' | 'list';

export interface OptionSpec {
  readonly type: OptionType;
  readonly short?: string;
  /** Booleans only: accept `--no-NAME` to set false. */
  readonly negatable?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export type OptionValues<S extends OptionSpecs> = {
  [K in keyof S]?: S[K]['type'] extends 'list' ? string[] : S[K]['type'] extends 'boolean' ? boolean : string;
};

export interface ParsedArgs<S extends OptionSpecs> {
  readonly values: OptionValues<S>;
  /** Which options were given at all (also `--flag=false`). */
  readonly given: ReadonlySet<keyof S & string>;
  readonly positionals: string[];
  /** Arguments after `--` (or after the first positional with `stopAtPositional`). */
  readonly rest: string[];
  readonly help: boolean;
}

export interface ParseOptions {
  /** The command for messages, e.g. `secret create`. */
  readonly command: string;
  /** Options end at the first positional (for `coffer run CMD ARGS`). */
  readonly stopAtPositional?: boolean;
  /** Extra explanations for options that do not exist on purpose (`--token`). */
  readonly hints?: Readonly<Record<string, string>>;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

export function parseCommandLine<S extends OptionSpecs>(
  argv: readonly string[],
  specs: S,
  options: ParseOptions,
): ParsedArgs<S> {
  const values: Record<string, string | boolean | string[]> = {};
  const given = new Set<string>();
  const positionals: string[] = [];
  const rest: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short !== undefined) byShort.set(spec.short, name);

  const empty = (help: boolean): ParsedArgs<S> => ({
    values: {} as OptionValues<S>,
    given: new Set(),
    positionals: [],
    rest: [],
    help,
  });
  // Help wins over every other problem on the line, unless options stop at the first positional
  // (`coffer run CMD -h` passes -h to CMD; that case is handled in the loop).
  if (!options.stopAtPositional) {
    const end = argv.indexOf('--');
    const scanned = end === -1 ? argv : argv.slice(0, end);
    if (scanned.some((a) => a === '-h' || a === '--help')) return empty(true);
  }

  const fail = (message: string): never => {
    throw new UsageError(message, options.command);
  };

  const set = (name: string, raw: string | undefined, display: string): void => {
    const spec = specs[name] as OptionSpec;
    given.add(name);
    if (spec.type === 'boolean') {
      if (raw === undefined) values[name] = true;
      else if (TRUE_WORDS.has(raw.toLowerCase())) values[name] = true;
      else if (FALSE_WORDS.has(raw.toLowerCase())) values[name] = false;
      else fail(`option ${display} takes true or false`);
      return;
    }
    if (raw === undefined) fail(`option ${display} needs a value`);
    if (spec.type === 'list') values[name] = [...((values[name] as string[] | undefined) ?? []), raw as string];
    else {
      if (values[name] !== undefined) fail(`option ${display} is given more than once`);
      values[name] = raw as string;
    }
  };

  const unknown = (display: string): never => {
    const hint = options.hints?.[display];
    return fail(`unknown option ${display}${hint ? `: ${hint}` : ''}`);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') return empty(true);
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const key = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const inline = eq === -1 ? undefined : arg.slice(eq + 1);
      const display = `--${key}`;
      let spec = specs[key];
      if (spec === undefined && key.startsWith('no-')) {
        const positive = specs[key.slice(3)];
        if (positive?.type === 'boolean' && positive.negatable) {
          if (inline !== undefined) fail(`option ${display} does not take a value`);
          given.add(key.slice(3));
          values[key.slice(3)] = false;
          continue;
        }
      }
      if (spec === undefined) unknown(display);
      spec = spec as OptionSpec;
      if (spec.type === 'boolean' || inline !== undefined) set(key, inline, display);
      else {
        if (i + 1 >= argv.length || argv[i + 1] === '--') fail(`option ${display} needs a value`);
        set(key, argv[++i], display);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // -o json, -ojson, -y, -yq (clustered booleans)
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j] as string;
        const name = byShort.get(letter);
        const display = `-${letter}`;
        if (name === undefined) unknown(display);
        const spec = specs[name as string] as OptionSpec;
        if (spec.type === 'boolean') {
          set(name as string, undefined, display);
          continue;
        }
        const attached = arg.slice(j + 1);
        if (attached !== '') set(name as string, attached.startsWith('=') ? attached.slice(1) : attached, display);
        else {
          if (i + 1 >= argv.length || argv[i + 1] === '--') fail(`option ${display} needs a value`);
          set(name as string, argv[++i], display);
        }
        break;
      }
      continue;
    }
    if (options.stopAtPositional) {
      rest.push(...argv.slice(i));
      break;
    }
    positionals.push(arg);
  }
  return { values: values as OptionValues<S>, given: given as Set<keyof S & string>, positionals, rest, help: false };
}

/** Exactly `count` positionals, named in the message (never quoting what was typed). */
export function expectPositionals(positionals: readonly string[], names: readonly string[], command: string): string[] {
  if (positionals.length < names.length)
    throw new UsageError(`missing ${names.slice(positionals.length).join(' ')}`, command);
  if (positionals.length > names.length) {
    const extra = positionals.length - names.length;
    throw new UsageError(
      `${extra} unexpected extra argument${extra === 1 ? '' : 's'} (expected ${names.join(' ') || 'none'})`,
      command,
    );
  }
  return [...positionals];
}

export type OutputFormat = 'table' | 'json';

export function parseOutputFormat(raw: string | undefined, command: string): OutputFormat {
  if (raw === undefined || raw === 'table') return 'table';
  if (raw === 'json') return 'json';
  throw new UsageError('option -o/--output takes table or json', command);
}

/** `-o/--output` for every command that prints data. */
export const OUTPUT_OPTION = { output: { type: 'string', short: 'o' } } as const satisfies OptionSpecs;
