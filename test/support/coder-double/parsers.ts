/**
 * Parsers for the three batch-import formats of `POST /api/v2/users/{user}/secrets/batch`, written
 * from the reference (coder-secrets-api.md §1, "ImportUserSecretsRequest"), not from Coder's code:
 *
 * - env: `KEY=VALUE` lines, optional `export ` prefix, full-line `#` comments, no `$VAR` expansion,
 *   inline `#` kept, single quotes literal, double quotes with `\n \t \r \\ \"`, no multi-line
 *   values, unquoted values trimmed.
 * - json: one flat object with string values only and nothing after it.
 * - yaml: one document holding a flat mapping of string scalars (plain, single-quoted,
 *   double-quoted, block `|` / `>`); aliases, anchors, tags and merge keys are rejected.
 *
 * Duplicate keys are an error in every format. Errors name lines and keys, never values.
 */

export type ImportFormat = 'env' | 'json' | 'yaml';

export interface ParsedEntry {
  readonly key: string;
  readonly value: string;
}

export class ParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParseError';
  }
}

export function parseSecretsFile(format: ImportFormat, content: string): ParsedEntry[] {
  switch (format) {
    case 'env':
      return parseEnv(content);
    case 'json':
      return parseJson(content);
    case 'yaml':
      return parseYaml(content);
  }
}

class EntryList {
  readonly entries: ParsedEntry[] = [];
  readonly #seen = new Set<string>();

  add(key: string, value: string, where: string): void {
    if (this.#seen.has(key)) throw new ParseError(`${where}: duplicate key "${key}"`);
    this.#seen.add(key);
    this.entries.push({ key, value });
  }
}

function splitLines(content: string): string[] {
  const text = content.startsWith('\uFEFF') ? content.slice(1) : content;
  return text.split(/\r?\n/);
}

// ---------------------------------------------------------------------------------------------
// env

export function parseEnv(content: string): ParsedEntry[] {
  const out = new EntryList();
  splitLines(content).forEach((raw, index) => {
    const where = `line ${index + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const body = /^export\s+/.test(line) ? line.replace(/^export\s+/, '') : line;
    const eq = body.indexOf('=');
    if (eq < 0) throw new ParseError(`${where}: expected KEY=VALUE`);
    const key = body.slice(0, eq).trim();
    if (key === '') throw new ParseError(`${where}: missing key before "="`);
    out.add(key, envValue(body.slice(eq + 1).trim(), where), where);
  });
  return out.entries;
}

function envValue(raw: string, where: string): string {
  if (raw.startsWith("'")) {
    const end = raw.indexOf("'", 1);
    if (end < 0) throw new ParseError(`${where}: unterminated single-quoted value (values cannot span lines)`);
    if (raw.slice(end + 1).trim() !== '') throw new ParseError(`${where}: unexpected text after the closing quote`);
    return raw.slice(1, end);
  }
  if (raw.startsWith('"')) {
    let value = '';
    for (let i = 1; i < raw.length; i++) {
      const c = raw[i] as string;
      if (c === '"') {
        if (raw.slice(i + 1).trim() !== '') throw new ParseError(`${where}: unexpected text after the closing quote`);
        return value;
      }
      if (c !== '\\') {
        value += c;
        continue;
      }
      const next = raw[++i];
      const escaped = next === undefined ? undefined : ENV_ESCAPES[next];
      if (escaped === undefined) throw new ParseError(`${where}: unsupported escape sequence in a double-quoted value`);
      value += escaped;
    }
    throw new ParseError(`${where}: unterminated double-quoted value (values cannot span lines)`);
  }
  return raw;
}

const ENV_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"' };

// ---------------------------------------------------------------------------------------------
// json

export function parseJson(content: string): ParsedEntry[] {
  const out = new EntryList();
  const text = content.startsWith('\uFEFF') ? content.slice(1) : content;
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i] as string)) i++;
  };
  const expect = (c: string, what: string): void => {
    ws();
    if (text[i] !== c) throw new ParseError(`JSON: expected ${what} at offset ${i}`);
    i++;
  };
  const string = (what: string): string => {
    ws();
    if (text[i] !== '"') throw new ParseError(`JSON: expected ${what} at offset ${i}`);
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) throw new ParseError(`JSON: unterminated string at offset ${start}`);
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      throw new ParseError(`JSON: invalid string at offset ${start}`);
    }
  };
  expect('{', 'a JSON object ("{")');
  ws();
  if (text[i] === '}') i++;
  else {
    for (;;) {
      const key = string('a string key');
      expect(':', '":"');
      ws();
      if (text[i] !== '"') throw new ParseError(`JSON: the value of key "${key}" must be a string`);
      out.add(key, string('a string value'), 'JSON');
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      expect('}', '"," or "}"');
      break;
    }
  }
  ws();
  if (i !== text.length) throw new ParseError(`JSON: unexpected content after the object at offset ${i}`);
  return out.entries;
}

// ---------------------------------------------------------------------------------------------
// yaml (the subset the reference allows)

const YAML_NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);

export function parseYaml(content: string): ParsedEntry[] {
  const out = new EntryList();
  const lines = splitLines(content);
  let documents = 0;
  let sawContent = false;
  let i = 0;
  while (i < lines.length) {
    const raw = lines[i] as string;
    const where = `line ${i + 1}`;
    if (raw.includes('\t') && /^\s*\t/.test(raw))
      throw new ParseError(`${where}: tabs are not allowed for indentation`);
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      i++;
      continue;
    }
    if (trimmed.startsWith('%')) throw new ParseError(`${where}: YAML directives are not supported`);
    if (/^---(\s|$)/.test(trimmed)) {
      documents++;
      if (documents > 1 || (sawContent && documents === 1)) {
        throw new ParseError(`${where}: only a single YAML document is allowed`);
      }
      if (stripComment(trimmed.slice(3)).trim() !== '')
        throw new ParseError(`${where}: the document must be a flat mapping`);
      i++;
      continue;
    }
    if (trimmed === '...') {
      if (lines.slice(i + 1).some((l) => l.trim() !== '' && !l.trim().startsWith('#'))) {
        throw new ParseError(`${where}: only a single YAML document is allowed`);
      }
      break;
    }
    sawContent = true;
    if (/^\s/.test(raw))
      throw new ParseError(`${where}: nested values are not allowed (a flat mapping of strings is expected)`);
    if (trimmed.startsWith('- ') || trimmed === '-')
      throw new ParseError(`${where}: a sequence is not allowed (a flat mapping is expected)`);
    if (trimmed.startsWith('{') || trimmed.startsWith('['))
      throw new ParseError(`${where}: flow collections are not allowed`);
    const { key, rest } = yamlKey(trimmed, where);
    if (key === '<<') throw new ParseError(`${where}: merge keys ("<<") are not allowed`);
    const valueText = rest.trim();
    if (valueText.startsWith('|') || valueText.startsWith('>')) {
      const block = blockScalar(lines, i, valueText, where);
      out.add(key, block.value, where);
      i = block.next;
      continue;
    }
    const scalar = inlineScalar(lines, i, valueText, key, where);
    out.add(key, nonEmpty(scalar.value), where);
    i = scalar.next;
  }
  return out.entries;
}

/** A null or empty scalar reads as `""`; the import then fails on the empty value, as documented. */
function nonEmpty(value: string | null): string {
  return value ?? '';
}

function stripComment(text: string): string {
  const m = /(^|\s)#/.exec(text);
  return m === null ? text : text.slice(0, m.index);
}

function yamlKey(line: string, where: string): { key: string; rest: string } {
  if (line.startsWith('? ')) throw new ParseError(`${where}: complex keys are not allowed`);
  if (line.startsWith('&') || line.startsWith('*') || line.startsWith('!')) {
    throw new ParseError(`${where}: anchors, aliases and tags are not allowed`);
  }
  if (line.startsWith('"') || line.startsWith("'")) {
    const { value, end } = quoted(line, 0, where);
    const after = line.slice(end);
    if (!after.startsWith(':') || (after.length > 1 && !/^:\s/.test(after)))
      throw new ParseError(`${where}: expected ":" after the key`);
    return { key: value, rest: after.slice(1) };
  }
  const m = /:(\s|$)/.exec(line);
  if (m === null) throw new ParseError(`${where}: expected "key: value"`);
  const key = line.slice(0, m.index).trim();
  if (key === '') throw new ParseError(`${where}: missing key`);
  return { key, rest: line.slice(m.index + 1) };
}

/** A quoted scalar starting at `start` on one line; multi-line quoted scalars are handled by the caller. */
function quoted(text: string, start: number, where: string): { value: string; end: number } {
  const q = text[start];
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i] as string;
    if (q === "'") {
      if (c === "'") {
        if (text[i + 1] === "'") {
          value += "'";
          i++;
          continue;
        }
        return { value, end: i + 1 };
      }
      value += c;
      continue;
    }
    if (c === '"') return { value, end: i + 1 };
    if (c !== '\\') {
      value += c;
      continue;
    }
    const next = text[++i];
    if (next === undefined) break;
    const simple = YAML_ESCAPES[next];
    if (simple !== undefined) {
      value += simple;
      continue;
    }
    const width = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    const hex = text.slice(i + 1, i + 1 + width);
    if (width === 0 || !new RegExp(`^[0-9A-Fa-f]{${width}}$`).test(hex)) {
      throw new ParseError(`${where}: invalid escape sequence in a double-quoted scalar`);
    }
    value += String.fromCodePoint(parseInt(hex, 16));
    i += width;
  }
  throw new ParseError(`${where}: unterminated quoted scalar`);
}

const YAML_ESCAPES: Record<string, string> = {
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
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};

function inlineScalar(
  lines: readonly string[],
  index: number,
  text: string,
  key: string,
  where: string,
): { value: string | null; next: number } {
  if (text.startsWith('&') || text.startsWith('*'))
    throw new ParseError(`${where}: anchors and aliases are not allowed`);
  if (text.startsWith('!')) throw new ParseError(`${where}: tags are not allowed`);
  if (text.startsWith('{') || text.startsWith('[')) {
    throw new ParseError(`${where}: the value of key "${key}" must be a string, not a collection`);
  }
  if (text.startsWith('"') || text.startsWith("'")) {
    // A quoted scalar may continue on following lines (folded: line breaks become spaces).
    let joined = text;
    let next = index + 1;
    for (;;) {
      try {
        const { value, end } = quoted(joined, 0, where);
        if (stripComment(joined.slice(end)).trim() !== '')
          throw new ParseError(`${where}: unexpected text after the quoted scalar`);
        return { value, next };
      } catch (error) {
        if (!(error instanceof ParseError) || !error.message.includes('unterminated') || next >= lines.length)
          throw error;
        const continuation = (lines[next] as string).trim();
        joined =
          continuation === ''
            ? `${joined}\n`
            : joined.endsWith('\n')
              ? `${joined}${continuation}`
              : `${joined} ${continuation}`;
        next++;
      }
    }
  }
  const plain = stripComment(text).trim();
  // A key with nothing after it followed by indented lines is a nested mapping or sequence.
  let next = index + 1;
  if (plain === '') {
    while (next < lines.length && (lines[next] as string).trim() === '') next++;
    const following = lines[next];
    if (following !== undefined && /^\s+\S/.test(following) && !following.trim().startsWith('#')) {
      throw new ParseError(`${where}: the value of key "${key}" must be a string, not a nested collection`);
    }
    return { value: null, next: index + 1 };
  }
  if (YAML_NULLS.has(plain)) return { value: null, next };
  // Plain multi-line scalars: indented continuation lines fold into one line.
  let value = plain;
  while (next < lines.length && /^\s+\S/.test(lines[next] as string)) {
    const continuation = stripComment((lines[next] as string).trim()).trim();
    if (/:(\s|$)/.test(continuation)) throw new ParseError(`line ${next + 1}: nested values are not allowed`);
    value = `${value} ${continuation}`;
    next++;
  }
  return { value, next };
}

function blockScalar(
  lines: readonly string[],
  index: number,
  header: string,
  where: string,
): { value: string; next: number } {
  const m = /^([|>])([+-]?)([1-9]?)([+-]?)\s*(#.*)?$/.exec(header);
  if (m === null || (m[2] !== '' && m[4] !== '')) throw new ParseError(`${where}: invalid block scalar header`);
  const folded = m[1] === '>';
  const chomp = (m[2] || m[4]) as '' | '+' | '-';
  let indent = m[3] === '' ? 0 : Number(m[3]);
  const body: string[] = [];
  let next = index + 1;
  for (; next < lines.length; next++) {
    const line = lines[next] as string;
    if (line.trim() === '') {
      body.push('');
      continue;
    }
    const lead = (/^ */.exec(line) as RegExpExecArray)[0].length;
    if (indent === 0) {
      if (lead === 0) break;
      indent = lead;
    }
    if (lead < indent) break;
    body.push(line.slice(indent));
  }
  // Trailing blank lines belong to the chomping, not to the next key.
  let trailing = 0;
  while (body.length > 0 && body[body.length - 1] === '') {
    body.pop();
    trailing++;
  }
  let text: string;
  if (!folded) text = body.join('\n');
  else {
    // Folding: a single break between two ordinary lines becomes a space; n empty lines become n
    // breaks; lines indented further than the block keep their breaks.
    text = '';
    let pendingEmpty = 0;
    let previous: 'none' | 'normal' | 'more' = 'none';
    for (const line of body) {
      if (line === '') {
        pendingEmpty++;
        continue;
      }
      const more = /^\s/.test(line);
      if (previous === 'none') text += '\n'.repeat(pendingEmpty) + line;
      else if (!more && previous === 'normal')
        text += pendingEmpty === 0 ? ` ${line}` : '\n'.repeat(pendingEmpty) + line;
      else text += '\n' + '\n'.repeat(pendingEmpty) + line;
      pendingEmpty = 0;
      previous = more ? 'more' : 'normal';
    }
  }
  if (body.length === 0) return { value: '', next };
  if (chomp === '-') return { value: text, next };
  if (chomp === '+') return { value: `${text}\n${'\n'.repeat(trailing)}`, next };
  return { value: `${text}\n`, next };
}
