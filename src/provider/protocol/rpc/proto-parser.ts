/**
 * A small parser for the proto3 subset Coffer's .proto files use, producing a resolved schema
 * (messages, enums and services by full name) for the hand-written protobuf codec and gRPC server.
 *
 * Supported: `syntax = "proto3"`, `package`, `import` (ignored: pass every file to `buildSchema`),
 * `option` statements and `[...]` field options (only `packed` is honoured), `reserved`, `//` and
 * `/* *\/` comments, messages with nested messages and enums, scalar/message/enum fields,
 * `repeated`, proto3 `optional`, `map<K, V>`, `oneof`, and services with (streaming) rpcs.
 * Not supported (rejected): proto2, groups, `extend`, `extensions`.
 *
 * Type references resolve like protoc: the first component of a relative name is looked up from
 * the innermost scope outward, and the rest of the name must exist inside what it found.
 */

export type ScalarType =
  | 'double'
  | 'float'
  | 'int32'
  | 'int64'
  | 'uint32'
  | 'uint64'
  | 'sint32'
  | 'sint64'
  | 'fixed32'
  | 'fixed64'
  | 'sfixed32'
  | 'sfixed64'
  | 'bool'
  | 'string'
  | 'bytes';

const SCALARS: ReadonlySet<string> = new Set<ScalarType>([
  'double',
  'float',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
  'bool',
  'string',
  'bytes',
]);

/** Map keys may be any integral or string scalar (not floating point or bytes). */
const MAP_KEY_SCALARS: ReadonlySet<string> = new Set<ScalarType>([
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
  'bool',
  'string',
]);

export function isScalarType(name: string): name is ScalarType {
  return SCALARS.has(name);
}

/** The value type of a field (the element type for repeated fields, the value type for maps). */
export type FieldType =
  | { readonly kind: 'scalar'; readonly scalar: ScalarType }
  | { readonly kind: 'enum'; readonly fullName: string; readonly enum: EnumDescriptor }
  | { readonly kind: 'message'; readonly fullName: string; readonly message: MessageDescriptor };

/**
 * - `singular`: proto3 implicit presence (default values are not sent; decode fills defaults).
 * - `optional`: proto3 `optional` (explicit presence; protobufjs models it as a synthetic oneof `_name`).
 * - `oneof`: member of a real oneof (explicit presence).
 */
export type FieldLabel = 'singular' | 'optional' | 'oneof' | 'repeated' | 'map';

export interface FieldDescriptor {
  readonly name: string;
  readonly number: number;
  readonly label: FieldLabel;
  readonly type: FieldType;
  /** Key type of a `map<K, V>` field. */
  readonly mapKey?: ScalarType;
  /** Containing oneof: the real oneof's name, or the synthetic `_name` of a proto3 `optional` field. */
  readonly oneof?: string;
  /** Repeated numeric scalar/enum encoded packed (proto3 default; `[packed = false]` turns it off). */
  readonly packed: boolean;
}

export interface OneofDescriptor {
  readonly name: string;
  /** Member field names in declaration order. */
  readonly fields: readonly string[];
  /** True for the oneof protobufjs synthesises for a proto3 `optional` field. */
  readonly synthetic: boolean;
}

export interface MessageDescriptor {
  readonly kind: 'message';
  readonly fullName: string;
  readonly name: string;
  /** Fields in declaration order. */
  readonly fields: readonly FieldDescriptor[];
  /** Fields sorted by number: the order the encoder writes them in. */
  readonly fieldsInNumberOrder: readonly FieldDescriptor[];
  readonly fieldsByNumber: ReadonlyMap<number, FieldDescriptor>;
  readonly fieldsByName: ReadonlyMap<string, FieldDescriptor>;
  readonly oneofs: readonly OneofDescriptor[];
}

export interface EnumDescriptor {
  readonly kind: 'enum';
  readonly fullName: string;
  readonly name: string;
  readonly values: ReadonlyMap<string, number>;
  readonly namesByNumber: ReadonlyMap<number, string>;
}

export interface MethodDescriptor {
  readonly name: string;
  /** The HTTP/2 `:path` of the method: `/package.Service/Method`. */
  readonly path: string;
  readonly requestType: string;
  readonly responseType: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

export interface ServiceDescriptor {
  readonly fullName: string;
  readonly name: string;
  readonly methods: readonly MethodDescriptor[];
}

export interface ProtoSchema {
  readonly messages: ReadonlyMap<string, MessageDescriptor>;
  readonly enums: ReadonlyMap<string, EnumDescriptor>;
  readonly services: ReadonlyMap<string, ServiceDescriptor>;
}

export class ProtoParseError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${file}:${line}:${column}: ${message}`);
    this.name = 'ProtoParseError';
  }
}

export class ProtoSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtoSchemaError';
  }
}

// ---------------------------------------------------------------------------------------------
// Syntax tree of one file (unresolved type names).

interface Position {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

interface FieldNode {
  readonly name: string;
  readonly number: number;
  readonly label: FieldLabel;
  readonly typeName: string;
  readonly mapKey?: ScalarType;
  readonly oneof?: string;
  readonly packed?: boolean;
  readonly pos: Position;
}

interface MessageNode {
  readonly kind: 'message';
  readonly name: string;
  readonly fields: FieldNode[];
  readonly oneofs: OneofDescriptor[];
  readonly nested: Array<MessageNode | EnumNode>;
  readonly pos: Position;
}

interface EnumNode {
  readonly kind: 'enum';
  readonly name: string;
  readonly values: Array<{ name: string; number: number; pos: Position }>;
  readonly pos: Position;
}

interface MethodNode {
  readonly name: string;
  readonly requestType: string;
  readonly responseType: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly pos: Position;
}

interface ServiceNode {
  readonly name: string;
  readonly methods: MethodNode[];
  readonly pos: Position;
}

export interface ProtoFile {
  readonly fileName: string;
  readonly packageName: string;
  readonly messages: ReadonlyArray<MessageNode | EnumNode>;
  readonly services: readonly ServiceNode[];
}

// ---------------------------------------------------------------------------------------------
// Tokenizer.

const enum Tok {
  Ident,
  Number,
  String,
  Symbol,
  End,
}

interface Token {
  type: Tok;
  text: string;
  line: number;
  column: number;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 46; // dotted names are one token
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private peeked: Token | undefined;

  constructor(
    private readonly text: string,
    readonly file: string,
  ) {}

  peek(): Token {
    if (this.peeked === undefined) this.peeked = this.scan();
    return this.peeked;
  }

  next(): Token {
    const token = this.peek();
    this.peeked = undefined;
    return token;
  }

  fail(message: string, at: Token | Position = this.peek()): never {
    throw new ProtoParseError(message, this.file, at.line, at.column);
  }

  private scan(): Token {
    const text = this.text;
    const length = text.length;
    for (;;) {
      if (this.pos >= length) return this.token(Tok.End, '', this.pos);
      const c = text.charCodeAt(this.pos);
      if (c === 10) {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
        this.pos++;
      } else if (c === 47 && text.charCodeAt(this.pos + 1) === 47) {
        const end = text.indexOf('\n', this.pos);
        this.pos = end < 0 ? length : end;
      } else if (c === 47 && text.charCodeAt(this.pos + 1) === 42) {
        const start = this.pos;
        const end = text.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('unterminated comment', this.positionAt(start));
        for (let i = this.pos; i < end; i++) {
          if (text.charCodeAt(i) === 10) {
            this.line++;
            this.lineStart = i + 1;
          }
        }
        this.pos = end + 2;
      } else {
        break;
      }
    }
    const start = this.pos;
    const c = text.charCodeAt(start);
    if (isIdentStart(c) || (c === 46 && isIdentStart(text.charCodeAt(start + 1)))) {
      let end = start + 1;
      while (end < length && isIdentPart(text.charCodeAt(end))) end++;
      this.pos = end;
      return this.token(Tok.Ident, text.slice(start, end), start);
    }
    if (isDigit(c) || ((c === 45 || c === 43) && isDigit(text.charCodeAt(start + 1)))) {
      let end = start + 1;
      while (end < length && (isIdentPart(text.charCodeAt(end)) || text.charCodeAt(end) === 45 || text.charCodeAt(end) === 43)) end++;
      this.pos = end;
      return this.token(Tok.Number, text.slice(start, end), start);
    }
    if (c === 34 || c === 39) {
      let end = start + 1;
      let value = '';
      while (end < length && text.charCodeAt(end) !== c) {
        if (text.charCodeAt(end) === 10) this.fail('unterminated string', this.positionAt(start));
        if (text.charCodeAt(end) === 92) end++; // keep the escaped character as is; we only need plain strings
        value += text[end];
        end++;
      }
      if (end >= length) this.fail('unterminated string', this.positionAt(start));
      this.pos = end + 1;
      return this.token(Tok.String, value, start);
    }
    if ('{}()<>;=,[]'.includes(text[start]!)) {
      this.pos = start + 1;
      return this.token(Tok.Symbol, text[start]!, start);
    }
    return this.fail(`unexpected character ${JSON.stringify(text[start])}`, this.positionAt(start));
  }

  private positionAt(offset: number): Position {
    return { file: this.file, line: this.line, column: offset - this.lineStart + 1 };
  }

  private token(type: Tok, text: string, offset: number): Token {
    return { type, text, line: this.line, column: offset - this.lineStart + 1 };
  }
}

function describeToken(token: Token): string {
  return token.type === Tok.End ? 'end of file' : token.type === Tok.String ? `string ${JSON.stringify(token.text)}` : `'${token.text}'`;
}

// ---------------------------------------------------------------------------------------------
// Parser.

const MAX_FIELD_NUMBER = 536_870_911; // 2^29 - 1

class Parser {
  private readonly lex: Lexer;
  private packageName = '';
  private sawSyntax = false;
  private readonly messages: Array<MessageNode | EnumNode> = [];
  private readonly services: ServiceNode[] = [];

  constructor(text: string, file: string) {
    this.lex = new Lexer(text, file);
  }

  parseFile(): ProtoFile {
    let first = true;
    for (;;) {
      const token = this.lex.peek();
      if (token.type === Tok.End) break;
      if (this.acceptSymbol(';')) continue;
      if (token.type !== Tok.Ident) this.lex.fail(`expected a top-level statement, found ${describeToken(token)}`);
      switch (token.text) {
        case 'syntax':
          if (!first) this.lex.fail('syntax must be the first statement');
          this.parseSyntax();
          break;
        case 'package':
          this.lex.next();
          if (this.packageName !== '') this.lex.fail('multiple package statements', token);
          this.packageName = this.expectIdent('package name');
          this.expectSymbol(';');
          break;
        case 'import':
          this.lex.next();
          if (this.lex.peek().type === Tok.Ident && ['public', 'weak'].includes(this.lex.peek().text)) this.lex.next();
          this.expectString('import path');
          this.expectSymbol(';');
          break;
        case 'option':
          this.parseOptionStatement();
          break;
        case 'message':
          this.messages.push(this.parseMessage());
          break;
        case 'enum':
          this.messages.push(this.parseEnum());
          break;
        case 'service':
          this.services.push(this.parseService());
          break;
        default:
          this.lex.fail(`unexpected '${token.text}' at top level`);
      }
      first = false;
    }
    if (!this.sawSyntax) this.lex.fail('missing \'syntax = "proto3";\' (proto2 is not supported)');
    return { fileName: this.lex.file, packageName: this.packageName, messages: this.messages, services: this.services };
  }

  private parseSyntax(): void {
    this.lex.next();
    this.expectSymbol('=');
    const at = this.lex.peek();
    const syntax = this.expectString('syntax');
    if (syntax !== 'proto3') this.lex.fail(`unsupported syntax "${syntax}" (only proto3)`, at);
    this.expectSymbol(';');
    this.sawSyntax = true;
  }

  private parseOptionStatement(): void {
    this.lex.next(); // option
    this.parseOptionName();
    this.expectSymbol('=');
    this.parseConstant();
    this.expectSymbol(';');
  }

  private parseOptionName(): string {
    if (this.acceptSymbol('(')) {
      const name = this.expectIdent('option name');
      this.expectSymbol(')');
      const rest = this.lex.peek();
      // `(custom).sub` lexes as ident ".sub"
      if (rest.type === Tok.Ident && rest.text.startsWith('.')) this.lex.next();
      return `(${name})`;
    }
    return this.expectIdent('option name');
  }

  private parseConstant(): Token {
    const token = this.lex.next();
    if (token.type === Tok.Ident || token.type === Tok.Number || token.type === Tok.String) return token;
    if (token.type === Tok.Symbol && token.text === '{') {
      // aggregate option value: skip to the matching brace
      let depth = 1;
      while (depth > 0) {
        const t = this.lex.next();
        if (t.type === Tok.End) this.lex.fail('unterminated option value', t);
        if (t.type === Tok.Symbol && t.text === '{') depth++;
        if (t.type === Tok.Symbol && t.text === '}') depth--;
      }
      return token;
    }
    return this.lex.fail(`expected a constant, found ${describeToken(token)}`, token);
  }

  private parseReserved(): void {
    this.lex.next(); // reserved
    for (;;) {
      const token = this.lex.next();
      if (token.type === Tok.Ident && token.text === 'to') continue;
      if (token.type === Tok.Ident && token.text === 'max') continue;
      if (token.type === Tok.Number || token.type === Tok.String) {
        if (this.acceptSymbol(';')) return;
        if (this.acceptSymbol(',')) continue;
        const next = this.lex.peek();
        if (next.type === Tok.Ident && next.text === 'to') continue;
        this.lex.fail(`expected ',' or ';' in reserved, found ${describeToken(next)}`);
      }
      this.lex.fail(`unexpected ${describeToken(token)} in reserved`, token);
    }
  }

  private parseMessage(): MessageNode {
    const keyword = this.lex.next();
    const name = this.expectPlainIdent('message name');
    const node: MessageNode = { kind: 'message', name, fields: [], oneofs: [], nested: [], pos: this.position(keyword) };
    this.expectSymbol('{');
    for (;;) {
      if (this.acceptSymbol('}')) break;
      if (this.acceptSymbol(';')) continue;
      const token = this.lex.peek();
      if (token.type !== Tok.Ident) this.lex.fail(`expected a field or '}', found ${describeToken(token)}`);
      switch (token.text) {
        case 'message':
          node.nested.push(this.parseMessage());
          continue;
        case 'enum':
          node.nested.push(this.parseEnum());
          continue;
        case 'oneof':
          this.parseOneof(node);
          continue;
        case 'option':
          this.parseOptionStatement();
          continue;
        case 'reserved':
          this.parseReserved();
          continue;
        case 'extensions':
        case 'extend':
        case 'group':
        case 'required':
          this.lex.fail(`'${token.text}' is not supported (proto2)`);
      }
      node.fields.push(this.parseField(undefined));
    }
    return node;
  }

  private parseOneof(message: MessageNode): void {
    this.lex.next(); // oneof
    const name = this.expectPlainIdent('oneof name');
    this.expectSymbol('{');
    const members: string[] = [];
    for (;;) {
      if (this.acceptSymbol('}')) break;
      if (this.acceptSymbol(';')) continue;
      const token = this.lex.peek();
      if (token.type === Tok.Ident && token.text === 'option') {
        this.parseOptionStatement();
        continue;
      }
      if (token.type === Tok.Ident && ['repeated', 'optional', 'map', 'required'].includes(token.text)) {
        this.lex.fail(`'${token.text}' fields are not allowed in a oneof`);
      }
      const field = this.parseField(name);
      message.fields.push(field);
      members.push(field.name);
    }
    if (members.length === 0) this.lex.fail(`oneof ${name} has no fields`);
    message.oneofs.push({ name, fields: members, synthetic: false });
  }

  private parseField(oneof: string | undefined): FieldNode {
    const start = this.lex.peek();
    let label: FieldLabel = oneof === undefined ? 'singular' : 'oneof';
    let typeName: string;
    let mapKey: ScalarType | undefined;
    if (oneof === undefined && (start.text === 'repeated' || start.text === 'optional')) {
      this.lex.next();
      label = start.text === 'repeated' ? 'repeated' : 'optional';
    }
    if (this.lex.peek().text === 'map' && label === 'singular') {
      this.lex.next();
      if (this.acceptSymbol('<')) {
        const keyToken = this.lex.peek();
        const key = this.expectIdent('map key type');
        if (!MAP_KEY_SCALARS.has(key)) this.lex.fail(`invalid map key type '${key}'`, keyToken);
        mapKey = key as ScalarType;
        this.expectSymbol(',');
        typeName = this.expectIdent('map value type');
        this.expectSymbol('>');
        label = 'map';
      } else {
        typeName = 'map'; // a message named "map"
      }
    } else {
      typeName = this.expectIdent('field type');
    }
    if (typeName === 'group') this.lex.fail('groups are not supported', start);
    const name = this.expectPlainIdent('field name');
    this.expectSymbol('=');
    const numberToken = this.lex.peek();
    const number = this.expectInteger('field number');
    if (number < 1 || number > MAX_FIELD_NUMBER) this.lex.fail(`field number ${number} out of range`, numberToken);
    if (number >= 19000 && number <= 19999) this.lex.fail(`field number ${number} is reserved for protobuf`, numberToken);
    let packed: boolean | undefined;
    if (this.acceptSymbol('[')) {
      for (;;) {
        const optionName = this.parseOptionName();
        this.expectSymbol('=');
        const value = this.parseConstant();
        if (optionName === 'packed') {
          if (value.text !== 'true' && value.text !== 'false') this.lex.fail('packed must be true or false', value);
          packed = value.text === 'true';
        }
        if (this.acceptSymbol(']')) break;
        this.expectSymbol(',');
      }
    }
    this.expectSymbol(';');
    const field: FieldNode = { name, number, label, typeName, pos: this.position(start) };
    return {
      ...field,
      ...(mapKey !== undefined ? { mapKey } : {}),
      ...(oneof !== undefined ? { oneof } : label === 'optional' ? { oneof: `_${name}` } : {}),
      ...(packed !== undefined ? { packed } : {}),
    };
  }

  private parseEnum(): EnumNode {
    const keyword = this.lex.next();
    const name = this.expectPlainIdent('enum name');
    const node: EnumNode = { kind: 'enum', name, values: [], pos: this.position(keyword) };
    this.expectSymbol('{');
    for (;;) {
      if (this.acceptSymbol('}')) break;
      if (this.acceptSymbol(';')) continue;
      const token = this.lex.peek();
      if (token.type === Tok.Ident && token.text === 'option') {
        this.parseOptionStatement();
        continue;
      }
      if (token.type === Tok.Ident && token.text === 'reserved') {
        this.parseReserved();
        continue;
      }
      const valueName = this.expectPlainIdent('enum value name');
      this.expectSymbol('=');
      const numberToken = this.lex.peek();
      const number = this.expectInteger('enum value');
      if (number < -2147483648 || number > 2147483647) this.lex.fail(`enum value ${number} out of int32 range`, numberToken);
      if (this.acceptSymbol('[')) {
        for (;;) {
          this.parseOptionName();
          this.expectSymbol('=');
          this.parseConstant();
          if (this.acceptSymbol(']')) break;
          this.expectSymbol(',');
        }
      }
      this.expectSymbol(';');
      node.values.push({ name: valueName, number, pos: this.position(token) });
    }
    if (node.values.length === 0) this.lex.fail(`enum ${name} has no values`, keyword);
    if (node.values[0]!.number !== 0) this.lex.fail(`the first value of enum ${name} must be 0 in proto3`, node.values[0]!.pos);
    return node;
  }

  private parseService(): ServiceNode {
    const keyword = this.lex.next();
    const name = this.expectPlainIdent('service name');
    const node: ServiceNode = { name, methods: [], pos: this.position(keyword) };
    this.expectSymbol('{');
    for (;;) {
      if (this.acceptSymbol('}')) break;
      if (this.acceptSymbol(';')) continue;
      const token = this.lex.peek();
      if (token.type === Tok.Ident && token.text === 'option') {
        this.parseOptionStatement();
        continue;
      }
      if (token.type !== Tok.Ident || token.text !== 'rpc') this.lex.fail(`expected 'rpc', found ${describeToken(token)}`);
      this.lex.next();
      const methodName = this.expectPlainIdent('rpc name');
      const request = this.parseRpcType();
      const returns = this.lex.next();
      if (returns.type !== Tok.Ident || returns.text !== 'returns') this.lex.fail(`expected 'returns', found ${describeToken(returns)}`, returns);
      const response = this.parseRpcType();
      if (this.acceptSymbol('{')) {
        for (;;) {
          if (this.acceptSymbol('}')) break;
          if (this.acceptSymbol(';')) continue;
          const inner = this.lex.peek();
          if (inner.type !== Tok.Ident || inner.text !== 'option') this.lex.fail(`expected 'option' or '}', found ${describeToken(inner)}`);
          this.parseOptionStatement();
        }
        this.acceptSymbol(';');
      } else {
        this.expectSymbol(';');
      }
      node.methods.push({
        name: methodName,
        requestType: request.type,
        responseType: response.type,
        requestStream: request.stream,
        responseStream: response.stream,
        pos: this.position(token),
      });
    }
    return node;
  }

  private parseRpcType(): { type: string; stream: boolean } {
    this.expectSymbol('(');
    let stream = false;
    let type = this.expectIdent('message type');
    if (type === 'stream' && this.lex.peek().type === Tok.Ident) {
      stream = true;
      type = this.expectIdent('message type');
    }
    this.expectSymbol(')');
    return { type, stream };
  }

  private position(token: Token): Position {
    return { file: this.lex.file, line: token.line, column: token.column };
  }

  private acceptSymbol(symbol: string): boolean {
    const token = this.lex.peek();
    if (token.type === Tok.Symbol && token.text === symbol) {
      this.lex.next();
      return true;
    }
    return false;
  }

  private expectSymbol(symbol: string): void {
    const token = this.lex.peek();
    if (token.type !== Tok.Symbol || token.text !== symbol) this.lex.fail(`expected '${symbol}', found ${describeToken(token)}`);
    this.lex.next();
  }

  private expectIdent(what: string): string {
    const token = this.lex.peek();
    if (token.type !== Tok.Ident || token.text.endsWith('.') || token.text.includes('..')) {
      this.lex.fail(`expected ${what}, found ${describeToken(token)}`);
    }
    this.lex.next();
    return token.text;
  }

  private expectPlainIdent(what: string): string {
    const token = this.lex.peek();
    if (token.type !== Tok.Ident || token.text.includes('.')) this.lex.fail(`expected ${what}, found ${describeToken(token)}`);
    this.lex.next();
    return token.text;
  }

  private expectString(what: string): string {
    const token = this.lex.peek();
    if (token.type !== Tok.String) this.lex.fail(`expected ${what} string, found ${describeToken(token)}`);
    this.lex.next();
    return token.text;
  }

  private expectInteger(what: string): number {
    const token = this.lex.peek();
    if (token.type !== Tok.Number) this.lex.fail(`expected ${what}, found ${describeToken(token)}`);
    const text = token.text;
    const negative = text.startsWith('-');
    const digits = negative || text.startsWith('+') ? text.slice(1) : text;
    let value: number;
    if (/^0[xX][0-9a-fA-F]+$/.test(digits)) value = parseInt(digits.slice(2), 16);
    else if (/^0[0-7]*$/.test(digits)) value = parseInt(digits, 8);
    else if (/^[1-9][0-9]*$/.test(digits)) value = parseInt(digits, 10);
    else return this.lex.fail(`expected ${what} (an integer), found '${text}'`);
    this.lex.next();
    return negative ? -value : value;
  }
}

/** Parses one .proto text into an unresolved syntax tree; `buildSchema` resolves a set of them. */
export function parseProtoFile(text: string, fileName = 'input.proto'): ProtoFile {
  return new Parser(text, fileName).parseFile();
}

// ---------------------------------------------------------------------------------------------
// Resolution.

interface MutableMessage {
  kind: 'message';
  fullName: string;
  name: string;
  fields: FieldDescriptor[];
  fieldsInNumberOrder: FieldDescriptor[];
  fieldsByNumber: Map<number, FieldDescriptor>;
  fieldsByName: Map<string, FieldDescriptor>;
  oneofs: OneofDescriptor[];
}

interface Pending {
  readonly node: MessageNode;
  readonly descriptor: MutableMessage;
  readonly scope: string;
}

function join(scope: string, name: string): string {
  return scope === '' ? name : `${scope}.${name}`;
}

function parentScope(scope: string): string | undefined {
  if (scope === '') return undefined;
  const dot = scope.lastIndexOf('.');
  return dot < 0 ? '' : scope.slice(0, dot);
}

function where(pos: Position): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}

/** Resolves a set of parsed files (which may reference each other's types) into one schema. */
export function buildSchema(files: readonly ProtoFile[]): ProtoSchema {
  const messages = new Map<string, MutableMessage>();
  const enums = new Map<string, EnumDescriptor>();
  const namespaces = new Set<string>(); // package names and their prefixes
  const pending: Pending[] = [];

  const declare = (fullName: string, pos: Position): void => {
    if (messages.has(fullName) || enums.has(fullName)) throw new ProtoSchemaError(`${where(pos)}: "${fullName}" is already defined`);
    if (namespaces.has(fullName)) throw new ProtoSchemaError(`${where(pos)}: "${fullName}" is already defined as a package`);
  };

  const collect = (node: MessageNode | EnumNode, scope: string): void => {
    const fullName = join(scope, node.name);
    declare(fullName, node.pos);
    if (node.kind === 'enum') {
      const values = new Map<string, number>();
      const namesByNumber = new Map<number, string>();
      for (const value of node.values) {
        if (values.has(value.name)) throw new ProtoSchemaError(`${where(value.pos)}: duplicate enum value ${value.name} in ${fullName}`);
        values.set(value.name, value.number);
        if (!namesByNumber.has(value.number)) namesByNumber.set(value.number, value.name);
      }
      enums.set(fullName, { kind: 'enum', fullName, name: node.name, values, namesByNumber });
      return;
    }
    const descriptor: MutableMessage = {
      kind: 'message',
      fullName,
      name: node.name,
      fields: [],
      fieldsInNumberOrder: [],
      fieldsByNumber: new Map(),
      fieldsByName: new Map(),
      oneofs: [],
    };
    messages.set(fullName, descriptor);
    pending.push({ node, descriptor, scope: fullName });
    for (const nested of node.nested) collect(nested, fullName);
  };

  for (const file of files) {
    let prefix = '';
    for (const part of file.packageName === '' ? [] : file.packageName.split('.')) {
      prefix = join(prefix, part);
      if (messages.has(prefix) || enums.has(prefix)) throw new ProtoSchemaError(`package "${prefix}" clashes with a type of that name`);
      namespaces.add(prefix);
    }
  }
  for (const file of files) {
    for (const node of file.messages) collect(node, file.packageName);
  }

  const exists = (name: string): boolean => messages.has(name) || enums.has(name) || namespaces.has(name);

  const resolveName = (ref: string, scope: string, pos: Position, context: string): string => {
    if (ref.startsWith('.')) {
      const full = ref.slice(1);
      if (messages.has(full) || enums.has(full)) return full;
      throw new ProtoSchemaError(`${where(pos)}: unknown type "${ref}" in ${context}`);
    }
    const dot = ref.indexOf('.');
    const first = dot < 0 ? ref : ref.slice(0, dot);
    for (let s: string | undefined = scope; s !== undefined; s = parentScope(s)) {
      if (!exists(join(s, first))) continue;
      const full = join(s, ref);
      if (messages.has(full) || enums.has(full)) return full;
      throw new ProtoSchemaError(
        `${where(pos)}: "${ref}" in ${context} resolves to "${full}", which is not defined ("${join(s, first)}" shadows outer scopes)`,
      );
    }
    throw new ProtoSchemaError(`${where(pos)}: unknown type "${ref}" in ${context}`);
  };

  const resolveType = (typeName: string, scope: string, pos: Position, context: string): FieldType => {
    if (isScalarType(typeName)) return { kind: 'scalar', scalar: typeName };
    const fullName = resolveName(typeName, scope, pos, context);
    const message = messages.get(fullName);
    if (message !== undefined) return { kind: 'message', fullName, message };
    return { kind: 'enum', fullName, enum: enums.get(fullName)! };
  };

  for (const { node, descriptor, scope } of pending) {
    for (const fieldNode of node.fields) {
      const context = `field ${descriptor.fullName}.${fieldNode.name}`;
      if (descriptor.fieldsByName.has(fieldNode.name)) throw new ProtoSchemaError(`${where(fieldNode.pos)}: duplicate field name in ${context}`);
      const clash = descriptor.fieldsByNumber.get(fieldNode.number);
      if (clash !== undefined) {
        throw new ProtoSchemaError(`${where(fieldNode.pos)}: field number ${fieldNode.number} of ${context} is already used by ${clash.name}`);
      }
      const type = resolveType(fieldNode.typeName, scope, fieldNode.pos, context);
      const packable = fieldNode.label === 'repeated' && (type.kind === 'enum' || (type.kind === 'scalar' && type.scalar !== 'string' && type.scalar !== 'bytes'));
      if (fieldNode.packed !== undefined && !packable) {
        throw new ProtoSchemaError(`${where(fieldNode.pos)}: [packed] only applies to repeated numeric fields (${context})`);
      }
      const field: FieldDescriptor = {
        name: fieldNode.name,
        number: fieldNode.number,
        label: fieldNode.label,
        type,
        ...(fieldNode.mapKey !== undefined ? { mapKey: fieldNode.mapKey } : {}),
        ...(fieldNode.oneof !== undefined ? { oneof: fieldNode.oneof } : {}),
        packed: packable && fieldNode.packed !== false,
      };
      descriptor.fields.push(field);
      descriptor.fieldsByName.set(field.name, field);
      descriptor.fieldsByNumber.set(field.number, field);
    }
    descriptor.fieldsInNumberOrder = [...descriptor.fields].sort((a, b) => a.number - b.number);
    // Real oneofs in declaration order, then the synthetic ones (as protoc and protobufjs order them).
    descriptor.oneofs = [
      ...node.oneofs,
      ...descriptor.fields
        .filter((f) => f.label === 'optional')
        .map((f) => ({ name: f.oneof!, fields: [f.name], synthetic: true })),
    ];
    for (const oneof of descriptor.oneofs) {
      if (descriptor.fieldsByName.has(oneof.name)) {
        throw new ProtoSchemaError(`oneof "${oneof.name}" of ${descriptor.fullName} clashes with a field of that name`);
      }
    }
  }

  const services = new Map<string, ServiceDescriptor>();
  for (const file of files) {
    for (const service of file.services) {
      const fullName = join(file.packageName, service.name);
      declare(fullName, service.pos);
      if (services.has(fullName)) throw new ProtoSchemaError(`${where(service.pos)}: service "${fullName}" is already defined`);
      const names = new Set<string>();
      const methods: MethodDescriptor[] = service.methods.map((method) => {
        const context = `rpc ${fullName}.${method.name}`;
        if (names.has(method.name)) throw new ProtoSchemaError(`${where(method.pos)}: duplicate ${context}`);
        names.add(method.name);
        const messageOf = (ref: string): string => {
          const resolved = resolveName(ref, file.packageName, method.pos, context);
          if (!messages.has(resolved)) throw new ProtoSchemaError(`${where(method.pos)}: "${ref}" in ${context} is an enum, not a message`);
          return resolved;
        };
        return {
          name: method.name,
          path: `/${fullName}/${method.name}`,
          requestType: messageOf(method.requestType),
          responseType: messageOf(method.responseType),
          requestStream: method.requestStream,
          responseStream: method.responseStream,
        };
      });
      services.set(fullName, { fullName, name: service.name, methods });
    }
  }

  return { messages, enums, services };
}

/** Parses and resolves a set of .proto texts (in any order) into one schema. */
export function parseProtoSchema(texts: readonly string[], fileNames?: readonly string[]): ProtoSchema {
  return buildSchema(texts.map((text, i) => parseProtoFile(text, fileNames?.[i] ?? `proto#${i + 1}`)));
}
