/**
 * Parsers for `coffer secret import`, following Coder's `ParseSecretsFile`:
 *   env:  KEY=VALUE lines, optional `export `, full-line `#` comments, no `$VAR` expansion,
 *         inline `#` kept in unquoted values, single quotes literal, double quotes with
 *         \n \t \r \\ \" escapes, no multi-line values, unquoted values trimmed;
 *   json: one flat object of string values and nothing after it;
 *   yaml: one document holding a flat mapping of string scalars (plain, quoted, block
 *         scalars); aliases, anchors, merge keys, tags other than !!str, lists, nested and
 *         flow collections are refused.
 * In all formats duplicate keys and empty values are errors. Messages name line numbers and
 * keys, never values.
 */
import { CliError, EXIT } from './errors';

export const IMPORT_FORMATS = ['env', 'json', 'yaml'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Coder's `MaxSecretsFileBytes`. */
export const MAX_IMPORT_FILE_BYTES = 1024 * 1024;

export interface ImportEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based line of the key. */
  readonly line: number;
}

export class ImportParseError extends CliError {
  constructor(format: ImportFormat, message: string) {
    super(EXIT.invalid, `cannot import the ${format} file: ${message}`);
    this.name = 'ImportParseError';
  }
}

/** `.env` / `.json` / `.yaml` / `.yml`, like Coder's CLI; undefined when the name does not tell. */
export function formatFromFileName(file: string): ImportFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.env') || lower.split('/').pop()?.startsWith('.env')) return 'env';
  return undefined;
}

export function parseSecretsFile(format: ImportFormat, input: string): ImportEntry[] {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const entries = format === 'env' ? parseEnv(text) : format === 'json' ? parseJson(text) : parseYaml(text);
  const seen = new Map<string, number>();
  for (const entry of entries) {
    const first = seen.get(entry.key);
    if (first !== undefined) {
      throw new ImportParseError(
        format,
        `key "${entry.key}" appears more than once (lines ${first} and ${entry.line})`,
      );
    }
    seen.set(entry.key, entry.line);
    if (entry.key === '') throw new ImportParseError(format, `line ${entry.line}: empty key`);
    if (entry.value === '')
      throw new ImportParseError(format, `key "${entry.key}" (line ${entry.line}) has an empty value`);
  }
  return entries;
}

function splitLines(text: string): string[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

// ---------------------------------------------------------------------------------------- env

function parseEnv(text: string): ImportEntry[] {
  const fail = (message: string): never => {
    throw new ImportParseError('env', message);
  };
  const entries: ImportEntry[] = [];
  splitLines(text).forEach((raw, index) => {
    const n = index + 1;
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (/^export[ \t]/.test(line)) line = line.slice(6).trimStart();
    const eq = line.indexOf('=');
    if (eq === -1) fail(`line ${n}: expected KEY=VALUE`);
    const key = line.slice(0, eq).trim();
    if (key === '') fail(`line ${n}: missing key before "="`);
    const rest = line.slice(eq + 1).trim();
    let value: string;
    let after = '';
    if (rest.startsWith('"')) {
      value = '';
      let i = 1;
      let closed = false;
      for (; i < rest.length; i++) {
        const c = rest[i] as string;
        if (c === '"') {
          closed = true;
          break;
        }
        if (c === '\\' && i + 1 < rest.length) {
          const next = rest[++i] as string;
          const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"' };
          value += escapes[next] ?? `\\${next}`;
          continue;
        }
        value += c;
      }
      if (!closed) fail(`line ${n} (key "${key}"): unterminated double quote (values cannot span lines)`);
      after = rest.slice(i + 1);
    } else if (rest.startsWith("'")) {
      const close = rest.indexOf("'", 1);
      if (close === -1) fail(`line ${n} (key "${key}"): unterminated single quote (values cannot span lines)`);
      value = rest.slice(1, close);
      after = rest.slice(close + 1);
    } else {
      value = rest;
    }
    const trailing = after.trim();
    if (trailing !== '' && !trailing.startsWith('#'))
      fail(`line ${n} (key "${key}"): unexpected text after the closing quote`);
    entries.push({ key, value, line: n });
  });
  return entries;
}

// --------------------------------------------------------------------------------------- json

function parseJson(text: string): ImportEntry[] {
  let i = 0;
  const position = (): string => {
    const before = text.slice(0, i);
    const line = before.split('\n').length;
    return `line ${line}, column ${i - before.lastIndexOf('\n')}`;
  };
  const lineAt = (at: number): number => text.slice(0, at).split('\n').length;
  const fail = (message: string): never => {
    throw new ImportParseError('json', message);
  };
  const skipWs = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i] as string)) i++;
  };
  const readString = (what: string): string => {
    if (text[i] !== '"') fail(`expected ${what} at ${position()}`);
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail(`control character inside a string at ${position()}`);
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) fail(`unterminated string starting at line ${lineAt(start)}`);
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail(`invalid escape in a string at line ${lineAt(start)}`);
    }
  };

  skipWs();
  if (text[i] !== '{') fail('the file must hold one flat JSON object of strings, like {"API_KEY": "…"}');
  i++;
  skipWs();
  const entries: ImportEntry[] = [];
  if (text[i] === '}') i++;
  else {
    for (;;) {
      skipWs();
      const keyLine = lineAt(i);
      const key = readString('a key in double quotes');
      skipWs();
      if (text[i] !== ':') fail(`expected ":" after key "${key}" at ${position()}`);
      i++;
      skipWs();
      if (text[i] !== '"')
        fail(
          `the value of key "${key}" must be a string (nested objects, arrays, numbers, booleans and null are not allowed)`,
        );
      const value = readString('a string value');
      entries.push({ key, value, line: keyLine });
      skipWs();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        break;
      }
      fail(`expected "," or "}" at ${position()}`);
    }
  }
  skipWs();
  if (i < text.length) fail(`unexpected content after the JSON object at ${position()}`);
  return entries;
}

// --------------------------------------------------------------------------------------- yaml

const isBlank = (line: string): boolean => line.trim() === '';
const isComment = (line: string): boolean => line.trimStart().startsWith('#');
const indentOf = (line: string): number => line.length - line.trimStart().length;

/** Strips a trailing ` # comment` from a plain scalar. */
function stripComment(text: string): string {
  const match = /(^|[ \t])#/.exec(text);
  return (match ? text.slice(0, match.index) : text).trim();
}

function parseYaml(text: string): ImportEntry[] {
  const fail = (message: string): never => {
    throw new ImportParseError('yaml', message);
  };
  const lines = splitLines(text);
  const entries: ImportEntry[] = [];
  let started = false;
  let ended = false;
  let mapIndent = -1;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    const n = i + 1;
    if (isBlank(line) || isComment(line)) {
      i++;
      continue;
    }
    if ((/^[ \t]*/.exec(line) as RegExpExecArray)[0].includes('\t'))
      fail(`line ${n}: tabs are not allowed for indentation`);
    if (line.startsWith('%')) {
      if (started || entries.length > 0) fail(`line ${n}: a directive must come before the document`);
      i++;
      continue;
    }
    if (/^---([ \t]|$)/.test(line)) {
      if (started || ended || entries.length > 0) fail(`line ${n}: only one YAML document is allowed`);
      if (!isBlank(line.slice(3)) && !isComment(line.slice(3)))
        fail(`line ${n}: put the mapping on the lines after "---"`);
      started = true;
      i++;
      continue;
    }
    if (/^\.\.\.([ \t]|$)/.test(line)) {
      ended = true;
      i++;
      continue;
    }
    if (ended) fail(`line ${n}: content after the document end marker "..."`);
    const indent = indentOf(line);
    if (mapIndent === -1) mapIndent = indent;
    else if (indent !== mapIndent)
      fail(`line ${n}: unexpected indentation (expected a key at column ${mapIndent + 1})`);
    i = parseYamlEntry(lines, i, mapIndent, entries, fail);
  }
  return entries;
}

function parseYamlEntry(
  lines: readonly string[],
  i: number,
  mapIndent: number,
  entries: ImportEntry[],
  fail: (message: string) => never,
): number {
  const n = i + 1;
  const content = (lines[i] as string).slice(mapIndent);
  if (content === '-' || content.startsWith('- '))
    fail(`line ${n}: the document must be a mapping of KEY: value, not a list`);
  if (content.startsWith('[') || content.startsWith('{')) {
    fail(
      `line ${n}: flow collections ([…], {…}) are not supported; write one KEY: value per line (or use --format json)`,
    );
  }
  if (content.startsWith('? ') || content === '?') fail(`line ${n}: complex keys ("? ") are not supported`);
  if (content.startsWith('&') || content.startsWith('*')) fail(`line ${n}: anchors and aliases are not allowed`);
  if (content.startsWith('!')) fail(`line ${n}: tags are not allowed on keys`);

  // The key: quoted on one line, or plain up to ": ".
  let key: string;
  let afterKey: string;
  if (content.startsWith('"') || content.startsWith("'")) {
    const scanned = scanQuoted([content], 0, 0, -1, fail);
    if (scanned.line !== 0) fail(`line ${n}: a key must fit on one line`);
    key = scanned.value;
    const rest = scanned.rest.trimStart();
    if (!rest.startsWith(':')) fail(`line ${n}: expected ":" after the key`);
    afterKey = rest.slice(1);
    if (afterKey !== '' && !/^[ \t]/.test(afterKey)) fail(`line ${n}: expected a space after ":"`);
  } else {
    const match = /^(.*?):(?=[ \t]|$)/.exec(content);
    if (match === null) fail(`line ${n}: expected KEY: value`);
    key = (match as RegExpExecArray)[1]!.trim();
    if (key.includes(' #') || key.startsWith('#')) fail(`line ${n}: expected KEY: value`);
    afterKey = content.slice((match as RegExpExecArray)[0].length);
  }
  if (key === '<<') fail(`line ${n}: merge keys ("<<") are not allowed`);

  let valueText = afterKey.trim();
  // !!str is the only tag that keeps a string a string.
  if (valueText.startsWith('!!str') && /^!!str([ \t]|$)/.test(valueText)) valueText = valueText.slice(5).trim();
  if (valueText.startsWith('!')) fail(`line ${n} (key "${key}"): tags other than !!str are not allowed`);
  if (valueText.startsWith('&') || valueText.startsWith('*'))
    fail(`line ${n} (key "${key}"): anchors and aliases are not allowed`);
  if (valueText.startsWith('[') || valueText.startsWith('{'))
    fail(`line ${n} (key "${key}"): the value must be a string, not a list or mapping`);

  const push = (value: string, next: number): number => {
    entries.push({ key, value, line: n });
    return next;
  };

  if (valueText.startsWith('|') || valueText.startsWith('>')) {
    const block = parseBlockScalar(lines, i, mapIndent, valueText, key, fail);
    return push(block.value, block.next);
  }
  if (valueText.startsWith('"') || valueText.startsWith("'")) {
    const lead = /^[ \t]*(?:!!str[ \t]+)?/.exec(afterKey) as RegExpExecArray;
    const startCol = (lines[i] as string).length - afterKey.length + lead[0].length;
    const scanned = scanQuoted(lines, i, startCol, mapIndent, fail);
    const rest = scanned.rest.trim();
    if (rest !== '' && !rest.startsWith('#'))
      fail(`line ${scanned.line + 1} (key "${key}"): unexpected text after the closing quote`);
    return push(scanned.value, scanned.line + 1);
  }

  // A plain scalar, possibly continued on more-indented lines.
  let value = stripComment(valueText);
  const hadComment = value !== valueText.trim();
  let j = i + 1;
  if (!hadComment) {
    const parts: string[] = value === '' ? [] : [value];
    let breaks = 0;
    let k = j;
    while (k < lines.length) {
      const line = lines[k] as string;
      if (isBlank(line)) {
        breaks++;
        k++;
        continue;
      }
      if (indentOf(line) <= mapIndent || isComment(line)) break;
      const piece = line.trim();
      if (parts.length === 0 && (piece === '-' || piece.startsWith('- ') || /^[^#'"][^#]*?:([ \t]|$)/.test(piece))) {
        fail(`line ${n} (key "${key}"): the value must be a string, not a nested list or mapping`);
      }
      const stripped = stripComment(piece);
      if (parts.length > 0) parts.push(breaks > 0 ? '\n'.repeat(breaks) : ' ');
      parts.push(stripped);
      breaks = 0;
      k++;
      j = k;
      if (stripped !== piece) break;
    }
    value = parts.join('');
  }
  if (/:([ \t]|$)/.test(value))
    fail(`line ${n} (key "${key}"): a plain value must not contain ": "; put the value in quotes`);
  if (/^(~|null|Null|NULL)$/.test(value)) fail(`key "${key}" (line ${n}) has an empty value`);
  if (/^[@`]/.test(value))
    fail(`line ${n} (key "${key}"): a plain value cannot start with "@" or "\`"; put the value in quotes`);
  return push(value, j);
}

/**
 * A quoted scalar starting at `lines[line][col]` (`"` or `'`), possibly spanning lines (folded
 * like YAML: a single break becomes a space, each empty line a newline). Continuation lines must
 * be indented deeper than `mapIndent`.
 */
function scanQuoted(
  lines: readonly string[],
  line: number,
  col: number,
  mapIndent: number,
  fail: (message: string) => never,
): { value: string; line: number; rest: string } {
  const quote = (lines[line] as string)[col] as string;
  const startLine = line + 1;
  let out = '';
  let pendingWs = '';
  let li = line;
  let c = col + 1;
  const hex = (text: string, at: number, digits: number): string => {
    const code = text.slice(at, at + digits);
    if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(code))
      fail(`line ${li + 1}: invalid escape in a double-quoted value`);
    return String.fromCodePoint(Number.parseInt(code, 16));
  };
  const simple: Record<string, string> = {
    '0': '\0',
    a: '\x07',
    b: '\b',
    t: '\t',
    '\t': '\t',
    n: '\n',
    v: '\v',
    f: '\f',
    r: '\r',
    e: '\x1b',
    ' ': ' ',
    '"': '"',
    '/': '/',
    '\\': '\\',
    N: '\u0085',
    _: '\u00a0',
    L: '\u2028',
    P: '\u2029',
  };
  for (;;) {
    const text = lines[li] as string;
    let joined = false;
    while (c < text.length) {
      const ch = text[c] as string;
      if (ch === quote) {
        if (quote === "'" && text[c + 1] === "'") {
          out += pendingWs + "'";
          pendingWs = '';
          c += 2;
          continue;
        }
        return { value: out + pendingWs, line: li, rest: text.slice(c + 1) };
      }
      if (quote === '"' && ch === '\\') {
        const next = text[c + 1];
        if (next === undefined) {
          // An escaped line break: join without a space.
          out += pendingWs;
          pendingWs = '';
          joined = true;
          break;
        }
        out += pendingWs;
        pendingWs = '';
        if (next === 'x') {
          out += hex(text, c + 2, 2);
          c += 4;
        } else if (next === 'u') {
          out += hex(text, c + 2, 4);
          c += 6;
        } else if (next === 'U') {
          out += hex(text, c + 2, 8);
          c += 10;
        } else if (simple[next] !== undefined) {
          out += simple[next];
          c += 2;
        } else {
          fail(`line ${li + 1}: invalid escape in a double-quoted value`);
        }
        continue;
      }
      if (ch === ' ' || ch === '\t') pendingWs += ch;
      else {
        out += pendingWs + ch;
        pendingWs = '';
      }
      c++;
    }
    // End of line inside the quotes: trailing white space is dropped, the break is folded.
    pendingWs = '';
    li++;
    let breaks = 0;
    while (li < lines.length && isBlank(lines[li] as string)) {
      breaks++;
      li++;
    }
    const next = lines[li];
    if (next === undefined || indentOf(next) <= mapIndent) {
      fail(`line ${startLine}: unterminated ${quote === '"' ? 'double' : 'single'}-quoted value`);
    }
    if (!joined) out += breaks > 0 ? '\n'.repeat(breaks) : ' ';
    else out += '\n'.repeat(breaks);
    c = indentOf(next as string);
  }
}

function parseBlockScalar(
  lines: readonly string[],
  i: number,
  mapIndent: number,
  header: string,
  key: string,
  fail: (message: string) => never,
): { value: string; next: number } {
  const n = i + 1;
  const match = /^([|>])(?:([1-9])([+-])?|([+-])([1-9])?)?[ \t]*(#.*)?$/.exec(header);
  if (match === null) fail(`line ${n} (key "${key}"): invalid block scalar header`);
  const [, style, indentA, chompA, chompB, indentB] = match as RegExpExecArray;
  const indicator = indentA ?? indentB;
  const chomp = chompA ?? chompB ?? '';
  const base = Math.max(mapIndent, 0);
  let contentIndent = indicator !== undefined ? base + Number(indicator) : -1;
  let j = i + 1;
  const body: string[] = [];
  while (j < lines.length) {
    const line = lines[j] as string;
    if (isBlank(line)) {
      body.push(contentIndent !== -1 && line.length > contentIndent ? line.slice(contentIndent) : '');
      j++;
      continue;
    }
    const indent = indentOf(line);
    if (contentIndent === -1) {
      if (indent <= mapIndent) break;
      contentIndent = indent;
    }
    if (indent < contentIndent) break;
    body.push(line.slice(contentIndent));
    j++;
  }
  // Trailing blank lines belong to chomping, and stay unconsumed only if nothing follows.
  let end = body.length;
  while (end > 0 && body[end - 1] === '') end--;
  const core = body.slice(0, end);
  const trailing = body.length - end;
  let text: string;
  if (style === '|') text = core.join('\n');
  else {
    text = '';
    let breaks = 0;
    let first = true;
    let prevMore = false;
    for (const line of core) {
      if (line === '') {
        breaks++;
        continue;
      }
      const more = /^[ \t]/.test(line);
      if (first) text += '\n'.repeat(breaks);
      else if (breaks === 0) text += more || prevMore ? '\n' : ' ';
      else text += '\n'.repeat(more || prevMore ? breaks + 1 : breaks);
      text += line;
      breaks = 0;
      first = false;
      prevMore = more;
    }
  }
  if (core.length > 0) {
    if (chomp === '+') text += '\n'.repeat(1 + trailing);
    else if (chomp === '') text += '\n';
  } else if (chomp === '+') text = '\n'.repeat(trailing);
  return { value: text, next: j };
}
