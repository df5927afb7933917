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
  readonly mapKey: ScalarType | undefined;
  /** Containing oneof: the real oneof's name, or the synthetic `_name` of a proto3 `optional` field. */
  readonly oneof: string | undefined;
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

interface Source {
  readonly file: string;
  readonly text: string;
}

/** Where a declaration is (a token index): line and column are computed only for error messages. */
interface Position {
  readonly source: Source;
  readonly token: number;
}

interface FieldNode {
  readonly name: string;
  readonly number: number;
  readonly label: FieldLabel;
  readonly typeName: string;
  readonly mapKey: ScalarType | undefined;
  readonly oneof: string | undefined;
  readonly packed: boolean | undefined;
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
// Tokenizer: one global regular expression splits the whole text into token strings (natively;
// this runs once per process start, long before the JIT warms up). Comments are tokens too and are
// dropped; anything else that is not blank becomes a one-character token the parser reports.

const TOKENS =
  /\/\/[^\n]*|\/\*[\s\S]*?\*\/|[A-Za-z_.][\w.]*|[-+]?\d[\w.+-]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\S/g;

function tokenize(text: string): string[] {
  const all = text.match(TOKENS);
  if (all === null) return [];
  let comments = false;
  for (let i = 0; i < all.length; i++) {
    const c = all[i]!.charCodeAt(0);
    if (c === 47 && all[i]!.length > 1) {
      comments = true;
      break;
    }
  }
  if (!comments) return all;
  const tokens: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const token = all[i]!;
    if (token.charCodeAt(0) !== 47 || token.length === 1) tokens.push(token);
  }
  return tokens;
}

/** Line and column of the token with the given index (error path only: re-scans the text). */
function locate(source: Source, token: number): { line: number; column: number } {
  const scanner = new RegExp(TOKENS.source, 'g');
  let offset = source.text.length;
  let index = 0;
  for (let match = scanner.exec(source.text); match !== null; match = scanner.exec(source.text)) {
    if (match[0].charCodeAt(0) === 47 && match[0].length > 1) continue;
    if (index === token) {
      offset = match.index;
      break;
    }
    index++;
  }
  return lineColumn(source, offset);
}

function lineColumn(source: Source, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = source.text.indexOf('\n'); i >= 0 && i < offset; i = source.text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isIdentifier(token: string | undefined): token is string {
  if (token === undefined) return false;
  const c = token.charCodeAt(0);
  return isIdentStart(c) || (c === 46 && token.length > 1);
}

function isNumberToken(token: string | undefined): token is string {
  if (token === undefined) return false;
  const c = token.charCodeAt(0);
  return (c >= 48 && c <= 57) || ((c === 45 || c === 43) && token.length > 1);
}

function isStringToken(token: string | undefined): token is string {
  if (token === undefined || token.length < 2) return false;
  const c = token.charCodeAt(0);
  return c === 34 || c === 39;
}

/** A decimal, hex (0x) or octal (0) integer literal with an optional sign, or undefined. */
function integerValue(token: string): number | undefined {
  const negative = token.charCodeAt(0) === 45;
  const digits = negative || token.charCodeAt(0) === 43 ? token.slice(1) : token;
  let value: number;
  if (/^[1-9][0-9]*$/.test(digits)) value = parseInt(digits, 10);
  else if (/^0[xX][0-9a-fA-F]+$/.test(digits)) value = parseInt(digits.slice(2), 16);
  else if (/^0[0-7]*$/.test(digits)) value = parseInt(digits, 8);
  else return undefined;
  return negative ? -value : value;
}

function describeToken(token: string | undefined): string {
  if (token === undefined) return 'end of file';
  if (token === '"' || token === "'") return 'an unterminated string';
  if (token.startsWith('/*')) return 'an unterminated comment';
  return isStringToken(token) ? `string ${token}` : `'${token}'`;
}

// ---------------------------------------------------------------------------------------------
// Parser.

const MAX_FIELD_NUMBER = 536_870_911; // 2^29 - 1

class Parser {
  private readonly tokens: string[];
  private readonly source: Source;
  private i = 0;
  private packageName = '';
  private readonly messages: Array<MessageNode | EnumNode> = [];
  private readonly services: ServiceNode[] = [];

  constructor(text: string, file: string) {
    this.tokens = tokenize(text);
    this.source = { file, text };
  }

  parseFile(): ProtoFile {
    const tokens = this.tokens;
    if (tokens[0] !== 'syntax') this.fail('missing \'syntax = "proto3";\' (proto2 is not supported)', 0);
    this.i = 1;
    this.expect('=');
    const syntax = this.string('syntax');
    if (syntax !== 'proto3') this.fail(`unsupported syntax "${syntax}" (only proto3)`, this.i - 1);
    this.expect(';');
    while (this.i < tokens.length) {
      const token = tokens[this.i]!;
      switch (token) {
        case ';':
          this.i++;
          break;
        case 'package':
          this.i++;
          if (this.packageName !== '') this.fail('multiple package statements', this.i - 1);
          this.packageName = this.name('package name', true);
          this.expect(';');
          break;
        case 'import':
          this.i++;
          if (tokens[this.i] === 'public' || tokens[this.i] === 'weak') this.i++;
          this.string('import path');
          this.expect(';');
          break;
        case 'option':
          this.option();
          break;
        case 'message':
          this.messages.push(this.message());
          break;
        case 'enum':
          this.messages.push(this.enumeration());
          break;
        case 'service':
          this.services.push(this.service());
          break;
        case 'syntax':
          this.fail('syntax must be the first statement');
          break;
        default:
          this.fail(`expected a top-level statement, found ${describeToken(token)}`);
      }
    }
    return {
      fileName: this.source.file,
      packageName: this.packageName,
      messages: this.messages,
      services: this.services,
    };
  }

  private fail(message: string, token = this.i): never {
    const { line, column } = locate(this.source, token);
    throw new ProtoParseError(message, this.source.file, line, column);
  }

  private pos(token = this.i): Position {
    return { source: this.source, token };
  }

  private accept(symbol: string): boolean {
    if (this.tokens[this.i] !== symbol) return false;
    this.i++;
    return true;
  }

  private expect(symbol: string): void {
    if (this.tokens[this.i] !== symbol) this.fail(`expected '${symbol}', found ${describeToken(this.tokens[this.i])}`);
    this.i++;
  }

  /** An identifier; dotted (`a.b.C`, `.a.B`) only when `dotted`. */
  private name(what: string, dotted: boolean): string {
    const token = this.tokens[this.i];
    if (!isIdentifier(token) || (dotted ? token.endsWith('.') || token.includes('..') : token.includes('.'))) {
      this.fail(`expected ${what}, found ${describeToken(token)}`);
    }
    this.i++;
    return token;
  }

  private string(what: string): string {
    const token = this.tokens[this.i];
    if (!isStringToken(token)) this.fail(`expected ${what} string, found ${describeToken(token)}`);
    this.i++;
    const body = token.slice(1, -1);
    return body.includes('\\') ? body.replace(/\\(.)/g, '$1') : body;
  }

  private integer(what: string): number {
    const token = this.tokens[this.i];
    if (!isNumberToken(token)) this.fail(`expected ${what}, found ${describeToken(token)}`);
    const value = integerValue(token);
    if (value === undefined) return this.fail(`expected ${what} (an integer), found '${token}'`);
    this.i++;
    return value;
  }

  /** `option name = constant;` */
  private option(): void {
    this.i++; // option
    this.optionName();
    this.expect('=');
    this.constant();
    this.expect(';');
  }

  private optionName(): string {
    if (this.accept('(')) {
      const name = this.name('option name', true);
      this.expect(')');
      const rest = this.tokens[this.i];
      if (rest !== undefined && rest.charCodeAt(0) === 46 && isIdentifier(rest)) this.i++; // (custom).sub
      return `(${name})`;
    }
    return this.name('option name', true);
  }

  /** A constant (identifier, number, string), or an aggregate `{ ... }` that is skipped. */
  private constant(): string {
    const token = this.tokens[this.i];
    if (isIdentifier(token) || isNumberToken(token) || isStringToken(token)) {
      this.i++;
      return token;
    }
    if (token === '{') {
      let depth = 0;
      do {
        const t = this.tokens[this.i];
        if (t === undefined) this.fail('unterminated option value');
        if (t === '{') depth++;
        else if (t === '}') depth--;
        this.i++;
      } while (depth > 0);
      return token;
    }
    return this.fail(`expected a constant, found ${describeToken(token)}`);
  }

  /** `[name = constant, ...]`; returns the value of `packed` if given. */
  private fieldOptions(): boolean | undefined {
    let packed: boolean | undefined;
    for (;;) {
      const name = this.optionName();
      this.expect('=');
      const at = this.i;
      const value = this.constant();
      if (name === 'packed') {
        if (value !== 'true' && value !== 'false') this.fail('packed must be true or false', at);
        packed = value === 'true';
      }
      if (this.accept(']')) return packed;
      this.expect(',');
    }
  }

  private reserved(): void {
    this.i++; // reserved
    for (;;) {
      const token = this.tokens[this.i];
      if (isNumberToken(token) || isStringToken(token) || token === 'to' || token === 'max' || token === ',') this.i++;
      else if (token === ';') {
        this.i++;
        return;
      } else this.fail(`unexpected ${describeToken(token)} in reserved`);
    }
  }

  private message(): MessageNode {
    const at = this.i++;
    const node: MessageNode = {
      kind: 'message',
      name: this.name('message name', false),
      fields: [],
      oneofs: [],
      nested: [],
      pos: this.pos(at),
    };
    this.expect('{');
    const tokens = this.tokens;
    for (;;) {
      const token = tokens[this.i];
      switch (token) {
        case '}':
          this.i++;
          return node;
        case ';':
          this.i++;
          continue;
        case 'message':
          node.nested.push(this.message());
          continue;
        case 'enum':
          node.nested.push(this.enumeration());
          continue;
        case 'oneof':
          this.oneof(node);
          continue;
        case 'option':
          this.option();
          continue;
        case 'reserved':
          this.reserved();
          continue;
        case 'extensions':
        case 'extend':
        case 'group':
        case 'required':
          this.fail(`'${token}' is not supported (proto2)`);
      }
      if (!isIdentifier(token)) this.fail(`expected a field or '}', found ${describeToken(token)}`);
      node.fields.push(this.field(undefined));
    }
  }

  private oneof(message: MessageNode): void {
    this.i++; // oneof
    const name = this.name('oneof name', false);
    this.expect('{');
    const members: string[] = [];
    for (;;) {
      const token = this.tokens[this.i];
      if (token === '}') {
        this.i++;
        break;
      }
      if (token === ';') {
        this.i++;
        continue;
      }
      if (token === 'option') {
        this.option();
        continue;
      }
      if (token === 'repeated' || token === 'optional' || token === 'map' || token === 'required') {
        this.fail(`'${token}' fields are not allowed in a oneof`);
      }
      const field = this.field(name);
      message.fields.push(field);
      members.push(field.name);
    }
    if (members.length === 0) this.fail(`oneof ${name} has no fields`);
    message.oneofs.push({ name, fields: members, synthetic: false });
  }

  private field(oneof: string | undefined): FieldNode {
    const tokens = this.tokens;
    const at = this.i;
    let label: FieldLabel = oneof === undefined ? 'singular' : 'oneof';
    let typeName: string;
    let mapKey: ScalarType | undefined;
    if (
      oneof === undefined &&
      (tokens[at] === 'repeated' || tokens[at] === 'optional') &&
      isIdentifier(tokens[at + 2])
    ) {
      label = tokens[at] === 'repeated' ? 'repeated' : 'optional';
      this.i++;
    }
    if (label === 'singular' && tokens[this.i] === 'map' && tokens[this.i + 1] === '<') {
      this.i += 2;
      const keyAt = this.i;
      const key = this.name('map key type', false);
      if (!MAP_KEY_SCALARS.has(key)) this.fail(`invalid map key type '${key}'`, keyAt);
      mapKey = key as ScalarType;
      this.expect(',');
      typeName = this.name('map value type', true);
      this.expect('>');
      label = 'map';
    } else {
      typeName = this.name('field type', true);
    }
    if (typeName === 'group') this.fail('groups are not supported', at);
    const name = this.name('field name', false);
    this.expect('=');
    const numberAt = this.i;
    const number = this.integer('field number');
    if (number < 1 || number > MAX_FIELD_NUMBER) this.fail(`field number ${number} out of range`, numberAt);
    if (number >= 19000 && number <= 19999) this.fail(`field number ${number} is reserved for protobuf`, numberAt);
    const packed = this.accept('[') ? this.fieldOptions() : undefined;
    this.expect(';');
    return {
      name,
      number,
      label,
      typeName,
      mapKey,
      oneof: oneof !== undefined ? oneof : label === 'optional' ? `_${name}` : undefined,
      packed,
      pos: this.pos(at),
    };
  }

  private enumeration(): EnumNode {
    const at = this.i++;
    const name = this.name('enum name', false);
    const node: EnumNode = { kind: 'enum', name, values: [], pos: this.pos(at) };
    this.expect('{');
    for (;;) {
      const token = this.tokens[this.i];
      if (token === '}') {
        this.i++;
        break;
      }
      if (token === ';') {
        this.i++;
        continue;
      }
      if (token === 'option') {
        this.option();
        continue;
      }
      if (token === 'reserved') {
        this.reserved();
        continue;
      }
      const valueAt = this.i;
      const valueName = this.name('enum value name', false);
      this.expect('=');
      const number = this.integer('enum value');
      if (number < -2147483648 || number > 2147483647) this.fail(`enum value ${number} out of int32 range`, this.i - 1);
      if (this.accept('[')) this.fieldOptions();
      this.expect(';');
      node.values.push({ name: valueName, number, pos: this.pos(valueAt) });
    }
    if (node.values.length === 0) this.fail(`enum ${name} has no values`, at);
    if (node.values[0]!.number !== 0)
      this.fail(`the first value of enum ${name} must be 0 in proto3`, node.values[0]!.pos.token);
    return node;
  }

  private service(): ServiceNode {
    const at = this.i++;
    const node: ServiceNode = { name: this.name('service name', false), methods: [], pos: this.pos(at) };
    this.expect('{');
    for (;;) {
      const token = this.tokens[this.i];
      if (token === '}') {
        this.i++;
        return node;
      }
      if (token === ';') {
        this.i++;
        continue;
      }
      if (token === 'option') {
        this.option();
        continue;
      }
      if (token !== 'rpc') this.fail(`expected 'rpc', found ${describeToken(token)}`);
      const rpcAt = this.i++;
      const name = this.name('rpc name', false);
      this.expect('(');
      const requestStream = this.tokens[this.i] === 'stream' && isIdentifier(this.tokens[this.i + 1]);
      if (requestStream) this.i++;
      const requestType = this.name('request type', true);
      this.expect(')');
      if (this.tokens[this.i] !== 'returns')
        this.fail(`expected 'returns', found ${describeToken(this.tokens[this.i])}`);
      this.i++;
      this.expect('(');
      const responseStream = this.tokens[this.i] === 'stream' && isIdentifier(this.tokens[this.i + 1]);
      if (responseStream) this.i++;
      const responseType = this.name('response type', true);
      this.expect(')');
      if (this.accept('{')) {
        while (!this.accept('}')) {
          if (this.accept(';')) continue;
          if (this.tokens[this.i] !== 'option')
            this.fail(`expected 'option' or '}', found ${describeToken(this.tokens[this.i])}`);
          this.option();
        }
        this.accept(';');
      } else {
        this.expect(';');
      }
      node.methods.push({ name, requestType, responseType, requestStream, responseStream, pos: this.pos(rpcAt) });
    }
  }
}

/** Parses one .proto text into an unresolved syntax tree; `buildSchema` resolves a set of them. */
export function parseProtoFile(text: string, fileName = 'input.proto'): ProtoFile {
  return new Parser(text, fileName).parseFile();
}

// ---------------------------------------------------------------------------------------------
// Resolution.

interface ResolvedFields {
  readonly fields: readonly FieldDescriptor[];
  readonly fieldsInNumberOrder: readonly FieldDescriptor[];
  readonly fieldsByNumber: ReadonlyMap<number, FieldDescriptor>;
  readonly fieldsByName: ReadonlyMap<string, FieldDescriptor>;
  readonly oneofs: readonly OneofDescriptor[];
}

/** A message whose fields are resolved on first access (all at once unless the schema is lazy). */
class Message implements MessageDescriptor {
  readonly kind = 'message' as const;
  private resolved: ResolvedFields | undefined;

  constructor(
    readonly fullName: string,
    readonly name: string,
    private node: MessageNode | undefined,
    private readonly resolver: (message: Message, node: MessageNode) => ResolvedFields,
  ) {}

  resolve(): ResolvedFields {
    if (this.resolved === undefined) {
      this.resolved = this.resolver(this, this.node!);
      this.node = undefined;
    }
    return this.resolved;
  }

  get fields(): readonly FieldDescriptor[] {
    return this.resolve().fields;
  }
  get fieldsInNumberOrder(): readonly FieldDescriptor[] {
    return this.resolve().fieldsInNumberOrder;
  }
  get fieldsByNumber(): ReadonlyMap<number, FieldDescriptor> {
    return this.resolve().fieldsByNumber;
  }
  get fieldsByName(): ReadonlyMap<string, FieldDescriptor> {
    return this.resolve().fieldsByName;
  }
  get oneofs(): readonly OneofDescriptor[] {
    return this.resolve().oneofs;
  }
}

export interface BuildOptions {
  /**
   * Resolve each message's fields on first use instead of now: faster start-up, but a bad type
   * reference inside a message is only reported when that message is first used.
   */
  readonly lazy?: boolean;
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
  const { line, column } = locate(pos.source, pos.token);
  return `${pos.source.file}:${line}:${column}`;
}

/** Resolves a set of parsed files (which may reference each other's types) into one schema. */
export function buildSchema(files: readonly ProtoFile[], options: BuildOptions = {}): ProtoSchema {
  const messages = new Map<string, Message>();
  const enums = new Map<string, EnumDescriptor>();
  const namespaces = new Set<string>(); // package names and their prefixes

  const declare = (fullName: string, pos: Position): void => {
    if (messages.has(fullName) || enums.has(fullName))
      throw new ProtoSchemaError(`${where(pos)}: "${fullName}" is already defined`);
    if (namespaces.has(fullName))
      throw new ProtoSchemaError(`${where(pos)}: "${fullName}" is already defined as a package`);
  };

  const collect = (node: MessageNode | EnumNode, scope: string): void => {
    const fullName = join(scope, node.name);
    declare(fullName, node.pos);
    if (node.kind === 'enum') {
      const values = new Map<string, number>();
      const namesByNumber = new Map<number, string>();
      for (const value of node.values) {
        if (values.has(value.name))
          throw new ProtoSchemaError(`${where(value.pos)}: duplicate enum value ${value.name} in ${fullName}`);
        values.set(value.name, value.number);
        if (!namesByNumber.has(value.number)) namesByNumber.set(value.number, value.name);
      }
      enums.set(fullName, { kind: 'enum', fullName, name: node.name, values, namesByNumber });
      return;
    }
    messages.set(fullName, new Message(fullName, node.name, node, resolveFields));
    for (const nested of node.nested) collect(nested, fullName);
  };

  for (const file of files) {
    let prefix = '';
    for (const part of file.packageName === '' ? [] : file.packageName.split('.')) {
      prefix = join(prefix, part);
      if (messages.has(prefix) || enums.has(prefix))
        throw new ProtoSchemaError(`package "${prefix}" clashes with a type of that name`);
      namespaces.add(prefix);
    }
  }
  for (const file of files) {
    for (const node of file.messages) collect(node, file.packageName);
  }

  // Every declared name (types and package prefixes) in one map: resolution does one lookup per scope.
  const declared = new Map<string, Message | EnumDescriptor | undefined>();
  for (const name of namespaces) declared.set(name, undefined);
  for (const [name, message] of messages) declared.set(name, message);
  for (const [name, enumeration] of enums) declared.set(name, enumeration);

  /** Resolves a type reference made in `scope` by `context` (e.g. "field p.M.f", for error messages). */
  const resolveName = (ref: string, scope: string, pos: Position, context: string): FieldType => {
    let full: string | undefined;
    if (ref.charCodeAt(0) === 46) {
      full = ref.slice(1);
    } else {
      const dot = ref.indexOf('.');
      const first = dot < 0 ? ref : ref.slice(0, dot);
      for (let s: string | undefined = scope; s !== undefined; s = parentScope(s)) {
        const candidate = s === '' ? first : `${s}.${first}`;
        if (!declared.has(candidate)) continue;
        full = dot < 0 ? candidate : s === '' ? ref : `${s}.${ref}`;
        if (declared.get(full) === undefined) {
          throw new ProtoSchemaError(
            `${where(pos)}: "${ref}" in ${context} resolves to "${full}", which is not defined ("${candidate}" shadows outer scopes)`,
          );
        }
        break;
      }
    }
    const target = full === undefined ? undefined : declared.get(full);
    if (target === undefined) throw new ProtoSchemaError(`${where(pos)}: unknown type "${ref}" in ${context}`);
    return target.kind === 'message'
      ? { kind: 'message', fullName: target.fullName, message: target }
      : { kind: 'enum', fullName: target.fullName, enum: target };
  };

  const scalarTypes = new Map<string, FieldType>();
  for (const scalar of SCALARS) scalarTypes.set(scalar, { kind: 'scalar', scalar: scalar as ScalarType });
  /** Resolved references by scope, then by reference text. */
  const resolvedByScope = new Map<string, Map<string, FieldType>>();
  const scopeCache = (scope: string): Map<string, FieldType> => {
    let cache = resolvedByScope.get(scope);
    if (cache === undefined) {
      cache = new Map();
      resolvedByScope.set(scope, cache);
    }
    return cache;
  };

  function resolveFields(descriptor: Message, node: MessageNode): ResolvedFields {
    const scope = descriptor.fullName;
    const resolved = scopeCache(scope);
    const fields: FieldDescriptor[] = [];
    const byName = new Map<string, FieldDescriptor>();
    const byNumber = new Map<number, FieldDescriptor>();
    let sorted = true;
    let optionals = false;
    for (let f = 0; f < node.fields.length; f++) {
      const fieldNode = node.fields[f]!;
      if (byName.has(fieldNode.name))
        throw new ProtoSchemaError(
          `${where(fieldNode.pos)}: duplicate field name in field ${descriptor.fullName}.${fieldNode.name}`,
        );
      const clash = byNumber.get(fieldNode.number);
      if (clash !== undefined) {
        throw new ProtoSchemaError(
          `${where(fieldNode.pos)}: field number ${fieldNode.number} of field ${descriptor.fullName}.${fieldNode.name} is already used by ${clash.name}`,
        );
      }
      let type = scalarTypes.get(fieldNode.typeName) ?? resolved.get(fieldNode.typeName);
      if (type === undefined) {
        type = resolveName(fieldNode.typeName, scope, fieldNode.pos, `field ${descriptor.fullName}.${fieldNode.name}`);
        resolved.set(fieldNode.typeName, type);
      }
      const packable =
        fieldNode.label === 'repeated' &&
        (type.kind === 'enum' || (type.kind === 'scalar' && type.scalar !== 'string' && type.scalar !== 'bytes'));
      if (fieldNode.packed !== undefined && !packable) {
        throw new ProtoSchemaError(
          `${where(fieldNode.pos)}: [packed] only applies to repeated numeric fields (${descriptor.fullName}.${fieldNode.name})`,
        );
      }
      const field: FieldDescriptor = {
        name: fieldNode.name,
        number: fieldNode.number,
        label: fieldNode.label,
        type,
        mapKey: fieldNode.mapKey,
        oneof: fieldNode.oneof,
        packed: packable && fieldNode.packed !== false,
      };
      if (f > 0 && fields[f - 1]!.number > field.number) sorted = false;
      if (field.label === 'optional') optionals = true;
      fields.push(field);
      byName.set(field.name, field);
      byNumber.set(field.number, field);
    }
    // Real oneofs in declaration order, then the synthetic ones (as protoc and protobufjs order them).
    const oneofs: readonly OneofDescriptor[] = optionals
      ? [
          ...node.oneofs,
          ...fields
            .filter((f) => f.label === 'optional')
            .map((f) => ({ name: f.oneof!, fields: [f.name], synthetic: true })),
        ]
      : node.oneofs;
    for (let o = 0; o < oneofs.length; o++) {
      if (byName.has(oneofs[o]!.name)) {
        throw new ProtoSchemaError(
          `oneof "${oneofs[o]!.name}" of ${descriptor.fullName} clashes with a field of that name`,
        );
      }
    }
    return {
      fields,
      fieldsInNumberOrder: sorted ? fields : [...fields].sort((a, b) => a.number - b.number),
      fieldsByNumber: byNumber,
      fieldsByName: byName,
      oneofs,
    };
  }

  if (options.lazy !== true) for (const message of messages.values()) message.resolve();

  const services = new Map<string, ServiceDescriptor>();
  for (const file of files) {
    for (const service of file.services) {
      const fullName = join(file.packageName, service.name);
      declare(fullName, service.pos);
      if (services.has(fullName))
        throw new ProtoSchemaError(`${where(service.pos)}: service "${fullName}" is already defined`);
      const names = new Set<string>();
      const methods: MethodDescriptor[] = service.methods.map((method) => {
        const context = `rpc ${fullName}.${method.name}`;
        if (names.has(method.name)) throw new ProtoSchemaError(`${where(method.pos)}: duplicate ${context}`);
        names.add(method.name);
        const messageOf = (ref: string): string => {
          const resolved = resolveName(ref, file.packageName, method.pos, context);
          if (resolved.kind !== 'message')
            throw new ProtoSchemaError(`${where(method.pos)}: "${ref}" in ${context} is an enum, not a message`);
          return resolved.fullName;
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
export function parseProtoSchema(
  texts: readonly string[],
  fileNames?: readonly string[],
  options: BuildOptions = {},
): ProtoSchema {
  return buildSchema(
    texts.map((text, i) => parseProtoFile(text, fileNames?.[i] ?? `proto#${i + 1}`)),
    options,
  );
}
