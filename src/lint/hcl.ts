/**
 * A small, tolerant parser for the HCL2 native syntax Terraform/OpenTofu files use — enough to
 * find literals and references, not to evaluate anything. No maintained pure-JavaScript HCL2
 * parser exists on npm (the cdktn/cdktf `hcl2json` packages wrap Go compiled to WebAssembly;
 * `hcl2-parser` is GopherJS from 2020), so this covers the subset configurations use:
 *
 * - bodies: attributes (`name = expr`), blocks with any number of labels (`resource "t" "n" {}`),
 *   one-line blocks (`lifecycle { ignore_changes = [tags] }`);
 * - comments: `#`, `//`, `/* … *\/`;
 * - expressions: numbers, `true`/`false`/`null`, quoted templates with `${…}` interpolation and
 *   `%{if}`/`%{for}` directives (and `$${`/`%%{` escapes), heredocs `<<EOF`/`<<-EOF`, tuples,
 *   objects (`=` or `:`, commas or newlines), references with `.attr`, `[index]`, `[*]`, `.*`,
 *   function calls (also `provider::ns::fn()` and `...` expansion), unary/binary operators,
 *   conditionals, parentheses, and `for` expressions;
 * - `dynamic "x" { content { … } }` is read as a nested `x` block.
 *
 * Limits: no evaluation (so `count`/`for_each`/functions are not expanded), escapes other than
 * `\n \r \t \" \\ \uNNNN \UNNNNNNNN` are kept as written, and template directives are only
 * scanned for the expressions they contain. Errors throw `HclSyntaxError` with a line/column.
 */
import type { Expr, ObjectExpr, ObjectItem, SourceLocation, TemplateExpr, TraversalStep } from './expr';
import { literal } from './expr';

export class HclSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(`${file}:${line}:${column}: ${message}`);
    this.name = 'HclSyntaxError';
  }
}

export interface HclBlock {
  readonly type: string;
  readonly labels: readonly string[];
  readonly body: ObjectExpr;
  readonly loc: SourceLocation;
}

export interface HclAttribute {
  readonly name: string;
  readonly value: Expr;
  readonly loc: SourceLocation;
}

export interface HclFile {
  readonly file: string;
  readonly blocks: readonly HclBlock[];
  readonly attributes: readonly HclAttribute[];
  /** Every comment, with its line, for `coffer:ignore` suppressions. */
  readonly comments: readonly HclComment[];
}

export interface HclComment {
  readonly line: number;
  readonly text: string;
  /** Nothing but whitespace before it on its line. */
  readonly standalone: boolean;
}

type TokenType = 'ident' | 'number' | 'punct' | 'oquote' | 'heredoc' | 'newline' | 'eof';

interface Token {
  readonly type: TokenType;
  readonly text: string;
  readonly pos: number;
  readonly line: number;
  readonly column: number;
  /** Heredocs: the marker and whether it is the indented `<<-` form. */
  readonly marker?: string;
  readonly indented?: boolean;
}

const PUNCTUATION = [
  '...',
  '::',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '=>',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  ',',
  '.',
  '=',
  ':',
  '?',
  '!',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '~',
];

const BINARY_LEVELS: readonly (readonly string[])[] = [
  ['||'],
  ['&&'],
  ['==', '!='],
  ['<', '>', '<=', '>='],
  ['+', '-'],
  ['*', '/', '%'],
];

function isIdentStart(c: string): boolean {
  return /[A-Za-z_]/.test(c) || c > '\u007f';
}

function isIdentPart(c: string): boolean {
  return /[A-Za-z0-9_-]/.test(c) || c > '\u007f';
}

class Parser {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private peeked: Token | undefined;
  /** >0 while inside ( [ {: newlines are insignificant there. */
  private nesting = 0;
  readonly comments: HclComment[] = [];

  constructor(
    private readonly src: string,
    private readonly file: string,
    line = 1,
    column = 1,
  ) {
    this.line = line;
    this.lineStart = -(column - 1);
  }

  // ---------------------------------------------------------------- lexer

  private error(message: string, at?: { line: number; column: number }): never {
    throw new HclSyntaxError(this.file, at?.line ?? this.line, at?.column ?? this.pos - this.lineStart + 1, message);
  }

  private loc(token: Token): SourceLocation {
    return { file: this.file, line: token.line, column: token.column };
  }

  private here(): SourceLocation {
    return { file: this.file, line: this.line, column: this.pos - this.lineStart + 1 };
  }

  private advanceChar(): string {
    const c = this.src[this.pos] as string;
    this.pos++;
    if (c === '\n') {
      this.line++;
      this.lineStart = this.pos;
    }
    return c;
  }

  /** Skips spaces and comments; newlines too when `newlines` (they are tokens otherwise). */
  private skipTrivia(newlines: boolean): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\ufeff') {
        this.pos++;
      } else if (c === '\n' && newlines) {
        this.advanceChar();
      } else if (c === '#' || (c === '/' && this.src[this.pos + 1] === '/')) {
        const start = this.pos;
        const standalone = this.src.slice(this.lineStart, start).trim() === '';
        while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
        this.comments.push({ line: this.line, text: this.src.slice(start, this.pos), standalone });
      } else if (c === '/' && this.src[this.pos + 1] === '*') {
        const startLine = this.line;
        const start = this.pos;
        const standalone = this.src.slice(this.lineStart, start).trim() === '';
        this.pos += 2;
        while (this.pos < this.src.length && !(this.src[this.pos] === '*' && this.src[this.pos + 1] === '/'))
          this.advanceChar();
        if (this.pos >= this.src.length) this.error('unterminated /* comment', { line: startLine, column: 1 });
        this.pos += 2;
        this.comments.push({ line: this.line, text: this.src.slice(start, this.pos), standalone });
      } else {
        return;
      }
    }
  }

  private lex(): Token {
    this.skipTrivia(this.nesting > 0);
    const start = this.pos;
    const line = this.line;
    const column = this.pos - this.lineStart + 1;
    const make = (type: TokenType, text: string, extra: Partial<Token> = {}): Token => ({
      type,
      text,
      pos: start,
      line,
      column,
      ...extra,
    });
    if (this.pos >= this.src.length) return make('eof', '');
    const c = this.src[this.pos] as string;
    if (c === '\n') {
      this.advanceChar();
      return make('newline', '\n');
    }
    if (c === '"') {
      this.pos++;
      return make('oquote', '"');
    }
    if (c === '<' && this.src[this.pos + 1] === '<') {
      const m = /^<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/.exec(this.src.slice(this.pos, this.pos + 300));
      if (m) {
        this.pos += m[0].length - 1;
        this.advanceChar();
        return make('heredoc', m[0], { marker: m[2], indented: m[1] === '-' });
      }
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(
        this.src.slice(this.pos, this.pos + 100),
      ) as RegExpExecArray;
      this.pos += m[0].length;
      return make('number', m[0]);
    }
    if (isIdentStart(c)) {
      while (this.pos < this.src.length && isIdentPart(this.src[this.pos] as string)) this.pos++;
      return make('ident', this.src.slice(start, this.pos));
    }
    for (const p of PUNCTUATION) {
      if (this.src.startsWith(p, this.pos)) {
        this.pos += p.length;
        return make('punct', p);
      }
    }
    return this.error(`unexpected character ${JSON.stringify(c)}`);
  }

  private peek(): Token {
    if (this.peeked === undefined) this.peeked = this.lex();
    return this.peeked;
  }

  private next(): Token {
    const token = this.peek();
    this.peeked = undefined;
    return token;
  }

  /** Forgets a peeked token and rewinds to it (before switching to raw template scanning). */
  private unpeek(): void {
    const t = this.peeked;
    if (t === undefined) return;
    this.pos = t.pos;
    this.line = t.line;
    this.lineStart = t.pos - (t.column - 1);
    this.peeked = undefined;
  }

  private is(text: string): boolean {
    const t = this.peek();
    return (t.type === 'punct' || t.type === 'ident') && t.text === text;
  }

  private expect(text: string): Token {
    const t = this.next();
    if (t.text !== text || (t.type !== 'punct' && t.type !== 'ident')) {
      this.error(`expected "${text}" but found ${describe(t)}`, t);
    }
    return t;
  }

  /** Runs `fn` with newlines insignificant (inside brackets). */
  private nested<T>(fn: () => T): T {
    // A token peeked before entering may be a newline that is now insignificant.
    this.nesting++;
    try {
      if (this.peeked?.type === 'newline') this.peeked = undefined;
      return fn();
    } finally {
      this.nesting--;
    }
  }

  // ---------------------------------------------------------------- bodies

  parseFile(): HclFile {
    const { blocks, attributes } = this.parseBodyItems(true);
    return { file: this.file, blocks, attributes, comments: this.comments };
  }

  /** Items until `}` (consumed by the caller) or EOF at top level. */
  private parseBodyItems(topLevel: boolean): { blocks: HclBlock[]; attributes: HclAttribute[] } {
    const blocks: HclBlock[] = [];
    const attributes: HclAttribute[] = [];
    const saved = this.nesting;
    this.nesting = 0; // newlines separate body items even inside a block's braces
    try {
      for (;;) {
        const t = this.peek();
        if (t.type === 'newline') {
          this.next();
          continue;
        }
        if (t.type === 'eof') {
          if (!topLevel) this.error('unexpected end of file: missing "}"', t);
          break;
        }
        if (t.type === 'punct' && t.text === '}') {
          if (topLevel) this.error('unexpected "}"', t);
          break;
        }
        if (t.type !== 'ident') this.error(`expected an attribute or block name but found ${describe(t)}`, t);
        this.next();
        const after = this.peek();
        if (after.type === 'punct' && (after.text === '=' || after.text === ':')) {
          this.next();
          const value = this.parseExpression();
          attributes.push({ name: t.text, value, loc: this.loc(t) });
          this.endOfItem();
        } else {
          const labels: string[] = [];
          for (;;) {
            const l = this.peek();
            if (l.type === 'ident') {
              labels.push(this.next().text);
            } else if (l.type === 'oquote') {
              this.next();
              const label = this.parseQuoted(this.loc(l));
              if (!label.parts.every((p) => typeof p === 'string'))
                this.error('block labels cannot contain interpolations', l);
              labels.push(label.parts.join(''));
            } else {
              break;
            }
          }
          const open = this.next();
          if (open.text !== '{') this.error(`expected "{" to open block "${t.text}" but found ${describe(open)}`, open);
          const inner = this.parseBodyItems(false);
          this.expect('}');
          blocks.push({ type: t.text, labels, body: bodyObject(inner, this.loc(t)), loc: this.loc(t) });
          this.endOfItem();
        }
      }
      return { blocks, attributes };
    } finally {
      this.nesting = saved;
    }
  }

  private endOfItem(): void {
    const t = this.peek();
    if (t.type === 'newline') this.next();
    else if (!(t.type === 'eof' || (t.type === 'punct' && t.text === '}')))
      this.error(`expected a newline after the item but found ${describe(t)}`, t);
  }

  // ---------------------------------------------------------------- expressions

  parseExpression(): Expr {
    const cond = this.parseBinary(0);
    if (this.is('?')) {
      const t = this.next();
      const yes = this.parseExpression();
      this.expect(':');
      const no = this.parseExpression();
      return { kind: 'operation', operator: '?:', operands: [cond, yes, no], loc: this.loc(t) };
    }
    return cond;
  }

  private parseBinary(level: number): Expr {
    if (level >= BINARY_LEVELS.length) return this.parseUnary();
    let left = this.parseBinary(level + 1);
    const ops = BINARY_LEVELS[level] as readonly string[];
    while (this.peek().type === 'punct' && ops.includes(this.peek().text)) {
      const op = this.next();
      const right = this.parseBinary(level + 1);
      left = { kind: 'operation', operator: op.text, operands: [left, right], loc: left.loc ?? this.loc(op) };
    }
    return left;
  }

  private parseUnary(): Expr {
    if (this.is('!') || this.is('-')) {
      const op = this.next();
      const operand = this.parseUnary();
      if (op.text === '-' && operand.kind === 'literal' && typeof operand.value === 'number')
        return literal(-operand.value, this.loc(op));
      return { kind: 'operation', operator: op.text, operands: [operand], loc: this.loc(op) };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(base: Expr): Expr {
    let expr = base;
    for (;;) {
      if (this.is('.')) {
        this.next();
        const t = this.next();
        let step: TraversalStep;
        if (t.type === 'ident') step = { attr: t.text };
        else if (t.type === 'number') step = { index: literal(Number(t.text), this.loc(t)) };
        else if (t.type === 'punct' && t.text === '*') step = { splat: true };
        else return this.error(`expected an attribute name after "." but found ${describe(t)}`, t);
        expr = appendStep(expr, step);
      } else if (this.is('[')) {
        const open = this.next();
        expr = this.nested(() => {
          if (this.is('*')) {
            this.next();
            this.expect(']');
            return appendStep(expr, { splat: true });
          }
          const index = this.parseExpression();
          this.expect(']');
          return appendStep(expr, { index }, this.loc(open));
        });
      } else {
        return expr;
      }
    }
  }

  private parsePrimary(): Expr {
    const t = this.next();
    const loc = this.loc(t);
    switch (t.type) {
      case 'number':
        return literal(Number(t.text), loc);
      case 'oquote':
        return this.parseQuoted(loc);
      case 'heredoc':
        return this.parseHeredoc(t);
      case 'ident': {
        if (t.text === 'true' || t.text === 'false') return literal(t.text === 'true', loc);
        if (t.text === 'null') return literal(null, loc);
        let name = t.text;
        while (this.is('::')) {
          this.next();
          const part = this.next();
          if (part.type !== 'ident') this.error(`expected a name after "::" but found ${describe(part)}`, part);
          name += `::${part.text}`;
        }
        if (this.is('(')) {
          this.next();
          return this.nested(() => {
            const args: Expr[] = [];
            while (!this.is(')')) {
              args.push(this.parseExpression());
              if (this.is('...')) this.next();
              if (this.is(',')) this.next();
              else if (!this.is(')'))
                this.error(
                  `expected "," or ")" in the arguments of ${name}() but found ${describe(this.peek())}`,
                  this.peek(),
                );
            }
            this.next();
            return { kind: 'call', name, args, loc };
          });
        }
        return { kind: 'traversal', root: name, steps: [], loc };
      }
      case 'punct':
        if (t.text === '(') {
          return this.nested(() => {
            const inner = this.parseExpression();
            this.expect(')');
            return { kind: 'operation', operator: '()', operands: [inner], loc };
          });
        }
        if (t.text === '[') return this.nested(() => this.parseTuple(loc));
        if (t.text === '{') return this.nested(() => this.parseObject(loc));
        break;
      default:
        break;
    }
    return this.error(`expected an expression but found ${describe(t)}`, t);
  }

  private isForIntro(): boolean {
    const t = this.peek();
    if (t.type !== 'ident' || t.text !== 'for') return false;
    // `for` starts a for expression unless it is an object key (`{ for = 1 }`).
    const save = {
      pos: this.pos,
      line: this.line,
      lineStart: this.lineStart,
      peeked: this.peeked,
      comments: this.comments.length,
    };
    this.next();
    const after = this.peek();
    const result = after.type === 'ident';
    Object.assign(this, { pos: save.pos, line: save.line, lineStart: save.lineStart, peeked: save.peeked });
    this.comments.length = save.comments;
    return result;
  }

  /** After `for`: `k, v in coll :` — returns the collection. */
  private parseForHead(): Expr {
    this.expect('for');
    this.next();
    if (this.is(',')) {
      this.next();
      this.next();
    }
    this.expect('in');
    const coll = this.parseExpression();
    this.expect(':');
    return coll;
  }

  private parseTuple(loc: SourceLocation): Expr {
    if (this.isForIntro()) {
      const coll = this.parseForHead();
      const operands = [coll, this.parseExpression()];
      if (this.is('if')) {
        this.next();
        operands.push(this.parseExpression());
      }
      this.expect(']');
      return { kind: 'operation', operator: 'for', operands, loc };
    }
    const items: Expr[] = [];
    while (!this.is(']')) {
      items.push(this.parseExpression());
      if (this.is(',')) this.next();
      else if (!this.is(']'))
        this.error(`expected "," or "]" in a list but found ${describe(this.peek())}`, this.peek());
    }
    this.next();
    return { kind: 'tuple', items, loc };
  }

  private parseObject(loc: SourceLocation): Expr {
    if (this.isForIntro()) {
      const coll = this.parseForHead();
      const operands = [coll, this.parseExpression()];
      this.expect('=>');
      operands.push(this.parseExpression());
      if (this.is('...')) this.next();
      if (this.is('if')) {
        this.next();
        operands.push(this.parseExpression());
      }
      this.expect('}');
      return { kind: 'operation', operator: 'for', operands, loc };
    }
    const items: ObjectItem[] = [];
    while (!this.is('}')) {
      const keyToken = this.peek();
      const keyExpr = this.parseExpression();
      const sep = this.next();
      if (sep.text !== '=' && sep.text !== ':')
        this.error(`expected "=" or ":" after an object key but found ${describe(sep)}`, sep);
      const value = this.parseExpression();
      items.push({ key: objectKey(keyExpr), keyExpr, value, loc: this.loc(keyToken) });
      if (this.is(',')) this.next();
    }
    this.next();
    return { kind: 'object', items, loc };
  }

  // ---------------------------------------------------------------- templates

  /** After the opening quote: text up to the closing quote, with escapes and interpolations. */
  private parseQuoted(loc: SourceLocation): TemplateExpr {
    return this.parseTemplateBody(loc, 'quote');
  }

  private parseHeredoc(t: Token): TemplateExpr {
    const marker = t.marker as string;
    const template = this.parseTemplateBody(this.loc(t), { marker });
    if (!t.indented) return template;
    // <<- strips the smallest common indentation of the lines.
    const text = template.parts.map((p) => (typeof p === 'string' ? p : '\u0000')).join('');
    const indents = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => /^[ \t]*/.exec(l)?.[0].length ?? 0);
    const strip = indents.length > 0 ? Math.min(...indents) : 0;
    if (strip === 0) return template;
    const first = new RegExp(`(^|\\n)[ \\t]{0,${strip}}`, 'g');
    const later = new RegExp(`(\\n)[ \\t]{0,${strip}}`, 'g');
    return {
      ...template,
      parts: template.parts.map((p, i) => (typeof p === 'string' ? p.replace(i === 0 ? first : later, '$1') : p)),
    };
  }

  /** Scans raw template text; `end` is the closing quote, a heredoc marker line, or the end of input. */
  parseTemplateBody(loc: SourceLocation, end: 'quote' | 'eof' | { marker: string }): TemplateExpr {
    this.peeked = undefined;
    const parts: (string | Expr)[] = [];
    let text = '';
    const flush = (): void => {
      if (text !== '') parts.push(text);
      text = '';
    };
    const atLineStart = (): boolean => this.pos === 0 || this.src[this.pos - 1] === '\n';
    for (;;) {
      if (typeof end === 'object' && atLineStart()) {
        const m = /^[ \t]*([A-Za-z_][A-Za-z0-9_-]*)[ \t]*(\r?\n|$)/.exec(
          this.src.slice(this.pos, this.pos + end.marker.length + 200),
        );
        if (m && m[1] === end.marker) {
          // The heredoc ends here; its last newline belongs to the content.
          this.pos += m[0].length - (m[2] ?? '').length;
          flush();
          return { kind: 'template', parts, loc };
        }
      }
      if (this.pos >= this.src.length) {
        if (end === 'eof') {
          flush();
          return { kind: 'template', parts, loc };
        }
        this.error(end === 'quote' ? 'unterminated string' : `unterminated heredoc (no line "${end.marker}")`, {
          line: loc.line ?? 1,
          column: loc.column ?? 1,
        });
      }
      const c = this.src[this.pos] as string;
      if (end === 'quote' && c === '"') {
        this.pos++;
        flush();
        return { kind: 'template', parts, loc };
      }
      if (end === 'quote' && c === '\n') this.error('newline in a quoted string (use a heredoc for multi-line text)');
      if (end === 'quote' && c === '\\') {
        text += this.parseEscape();
        continue;
      }
      if ((c === '$' || c === '%') && this.src[this.pos + 1] === c && this.src[this.pos + 2] === '{') {
        text += `${c}{`;
        this.pos += 3;
        continue;
      }
      if ((c === '$' || c === '%') && this.src[this.pos + 1] === '{') {
        flush();
        const at = this.here();
        this.pos += 2;
        if (this.src[this.pos] === '~') this.pos++;
        const expr = this.nested(() => (c === '$' ? this.parseExpression() : this.parseDirective(at)));
        this.unpeek();
        this.skipTrivia(true);
        if (this.src[this.pos] === '~') this.pos++;
        if (this.src[this.pos] !== '}') this.error(`expected "}" to close "${c}{" but found ${describe(this.peek())}`);
        this.pos++;
        this.peeked = undefined;
        if (expr !== undefined) parts.push(expr);
        continue;
      }
      text += this.advanceChar();
    }
  }

  /** `%{if c}`, `%{else}`, `%{endif}`, `%{for x in coll}`, `%{endfor}`: keeps the expression, if any. */
  private parseDirective(at: SourceLocation): Expr | undefined {
    const keyword = this.next();
    if (keyword.type !== 'ident') this.error(`expected a template directive but found ${describe(keyword)}`, keyword);
    if (keyword.text === 'if') return this.parseExpression();
    if (keyword.text === 'for') {
      this.next();
      if (this.is(',')) {
        this.next();
        this.next();
      }
      this.expect('in');
      return this.parseExpression();
    }
    if (['else', 'endif', 'endfor'].includes(keyword.text)) {
      // Nothing to keep; the closing brace is read by the caller.
      this.pos = keyword.pos + keyword.text.length;
      this.peeked = undefined;
      return undefined;
    }
    return this.error(`unknown template directive "${keyword.text}"`, { line: at.line ?? 1, column: at.column ?? 1 });
  }

  private parseEscape(): string {
    const next = this.src[this.pos + 1];
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
    if (next !== undefined && next in simple) {
      this.pos += 2;
      return simple[next] as string;
    }
    const m = /^\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})/.exec(this.src.slice(this.pos, this.pos + 10));
    if (m) {
      this.pos += m[0].length;
      return String.fromCodePoint(Number.parseInt((m[1] as string).slice(1), 16));
    }
    this.pos++;
    return '\\';
  }
}

function describe(t: Token): string {
  if (t.type === 'eof') return 'the end of the file';
  if (t.type === 'newline') return 'a newline';
  if (t.type === 'oquote') return 'a string';
  if (t.type === 'heredoc') return 'a heredoc';
  return `"${t.text}"`;
}

function appendStep(expr: Expr, step: TraversalStep, loc?: SourceLocation): Expr {
  if (expr.kind === 'traversal') return { ...expr, steps: [...expr.steps, step] };
  // An index or attribute on something that is not a reference (a call, a tuple…): keep operands.
  const operands = [expr, ...('index' in step ? [step.index] : [])];
  return { kind: 'operation', operator: 'index', operands, loc: loc ?? expr.loc };
}

function objectKey(expr: Expr): string | undefined {
  if (expr.kind === 'traversal' && expr.steps.length === 0) return expr.root;
  if (expr.kind === 'template' && expr.parts.every((p) => typeof p === 'string')) return expr.parts.join('');
  if (expr.kind === 'literal' && expr.value !== null) return String(expr.value);
  return undefined;
}

/** A block body as an object: attributes as items, nested blocks grouped into tuples by type. */
function bodyObject(inner: { blocks: HclBlock[]; attributes: HclAttribute[] }, loc: SourceLocation): ObjectExpr {
  const items: ObjectItem[] = inner.attributes.map((a) => ({
    key: a.name,
    keyExpr: literal(a.name, a.loc),
    value: a.value,
    loc: a.loc,
  }));
  const grouped = new Map<string, { loc: SourceLocation; bodies: ObjectExpr[] }>();
  for (const block of inner.blocks) {
    let type = block.type;
    let body = block.body;
    if (type === 'dynamic' && block.labels[0] !== undefined) {
      // dynamic "item" { for_each = …; content { … } } reads as an `item` block.
      type = block.labels[0];
      const content = body.items.find((i) => i.key === 'content')?.value;
      const contentBody = content?.kind === 'tuple' ? content.items[0] : undefined;
      const forEach = body.items.find((i) => i.key === 'for_each');
      body =
        contentBody?.kind === 'object'
          ? { ...contentBody, items: [...contentBody.items, ...(forEach ? [forEach] : [])] }
          : body;
    }
    const group = grouped.get(type) ?? { loc: block.loc, bodies: [] };
    group.bodies.push(body);
    grouped.set(type, group);
  }
  for (const [type, group] of grouped) {
    items.push({
      key: type,
      keyExpr: literal(type, group.loc),
      value: { kind: 'tuple', items: group.bodies, loc: group.loc },
      loc: group.loc,
    });
  }
  return { kind: 'object', items, loc };
}

/** Parses a `.tf` or `.tfvars` file. */
export function parseHcl(source: string, file: string): HclFile {
  return new Parser(source, file).parseFile();
}

/** Parses one HCL expression (e.g. `var.x`), for tests and tools. */
export function parseHclExpression(source: string, file = '<expr>'): Expr {
  const parser = new Parser(source, file);
  return parser.parseExpression();
}

/**
 * Parses a string as a template, the way Terraform reads strings in JSON syntax
 * (`"Bearer ${var.token}"`). Text without `${`/`%{` comes back as one literal part.
 */
export function parseTemplate(text: string, loc: SourceLocation): TemplateExpr {
  if (!text.includes('${') && !text.includes('%{')) return { kind: 'template', parts: text === '' ? [] : [text], loc };
  try {
    return new Parser(text, loc.file, loc.line ?? 1, loc.column ?? 1).parseTemplateBody(loc, 'eof');
  } catch (error) {
    if (error instanceof HclSyntaxError) return { kind: 'template', parts: [text], loc };
    throw error;
  }
}
