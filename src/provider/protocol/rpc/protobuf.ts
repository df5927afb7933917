/**
 * A protobuf (proto3) codec over the descriptors of `proto-parser.ts`.
 *
 * The JS shape is exactly what protobufjs `toObject` produces with keepCase and
 * `{ longs: Number, enums: Number, bytes: Buffer, defaults: true, arrays: true, objects: true, oneofs: true }`:
 * - snake_case field names as in the .proto;
 * - singular (implicit presence) scalars always present, defaulting to "" / 0 / false / empty Buffer;
 * - singular message fields `null` when absent (protobufjs `defaults: true`), repeated `[]`, maps `{}`;
 * - proto3 `optional` fields and oneof members present only when on the wire, plus a virtual property
 *   named after the oneof (the synthetic `_name` oneof for `optional`) holding the set member's name;
 * - 64-bit integers as JS numbers (beyond 2^53 precision is lost, as in protobufjs Number mode);
 * - enums as numbers; bytes as Buffers (sharing memory with the input buffer).
 *
 * Encoding accepts the same shape (plus: int64 as number/bigint/decimal string, enums as number or
 * value name, bytes as Buffer/Uint8Array/number[]/base64 string), skips undefined/null fields and
 * default-valued implicit-presence scalars, writes fields in number order and repeated numeric
 * fields packed. It measures the message first and writes into one exactly-sized buffer, optionally
 * with head room in front (used for the 5-byte gRPC frame header).
 */
import type { EnumDescriptor, FieldDescriptor, FieldType, MessageDescriptor, ScalarType } from './proto-parser';

/** A message as plain data: snake_case field names as in the .proto files. */
export type WireMessage = { [field: string]: unknown };

export class ProtobufDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufDecodeError';
  }
}

/** Nesting deeper than this is refused (protobufjs and Go both cap recursion around 100). */
const MAX_DEPTH = 100;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

function wireTypeOf(type: FieldType): number {
  if (type.kind !== 'scalar') return type.kind === 'enum' ? WIRE_VARINT : WIRE_LENGTH;
  switch (type.scalar) {
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return WIRE_FIXED64;
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return WIRE_FIXED32;
    case 'string':
    case 'bytes':
      return WIRE_LENGTH;
    default:
      return WIRE_VARINT;
  }
}

/** Value kinds as small integers: the hot switches compile to jump tables. */
const enum K {
  Double,
  Float,
  Int32,
  Int64,
  Uint32,
  Uint64,
  Sint32,
  Sint64,
  Fixed32,
  Fixed64,
  Sfixed32,
  Sfixed64,
  Bool,
  String,
  Bytes,
  Enum,
  Message,
}

const KIND_CODES: Readonly<Record<ScalarType | 'enum' | 'message', K>> = {
  double: K.Double,
  float: K.Float,
  int32: K.Int32,
  int64: K.Int64,
  uint32: K.Uint32,
  uint64: K.Uint64,
  sint32: K.Sint32,
  sint64: K.Sint64,
  fixed32: K.Fixed32,
  fixed64: K.Fixed64,
  sfixed32: K.Sfixed32,
  sfixed64: K.Sfixed64,
  bool: K.Bool,
  string: K.String,
  bytes: K.Bytes,
  enum: K.Enum,
  message: K.Message,
};

const enum L {
  Singular,
  Optional,
  Oneof,
  Repeated,
  Map,
}

const LABEL_CODES: Readonly<Record<FieldDescriptor['label'], L>> = {
  singular: L.Singular,
  optional: L.Optional,
  oneof: L.Oneof,
  repeated: L.Repeated,
  map: L.Map,
};

/** Per-field data the codec precomputes once (cached per field descriptor). */
interface FieldPlan {
  readonly field: FieldDescriptor;
  readonly name: string;
  readonly label: FieldDescriptor['label'];
  readonly type: FieldType;
  readonly scalar: ScalarType | 'enum' | 'message';
  readonly k: K;
  readonly l: L;
  /** The nested message's plan (filled on first use). */
  sub: MessagePlan | undefined;
  readonly wireType: number;
  /** Tag (number << 3 | wire type) as written: length-delimited when packed. */
  readonly tag: number;
  readonly tagSize: number;
  readonly oneof: string | undefined;
  readonly packed: boolean;
  readonly enumType: EnumDescriptor | undefined;
  readonly mapKey: ScalarType | undefined;
  /** For maps: plans of the synthetic entry's key (1) and value (2) fields. */
  readonly mapKeyPlan: FieldPlan | undefined;
  readonly mapValuePlan: FieldPlan | undefined;
}

interface MessagePlan {
  readonly descriptor: MessageDescriptor;
  readonly fullName: string;
  readonly encodeOrder: readonly FieldPlan[];
  readonly byNumber: ReadonlyArray<FieldPlan | undefined>;
  readonly byNumberMap: ReadonlyMap<number, FieldPlan>;
  /** Fields initialised with defaults on decode, in declaration order. */
  readonly defaults: readonly FieldPlan[];
  /** Other members of each field's oneof, to clear when one is set. */
  readonly oneofSiblings: ReadonlyMap<string, readonly string[]>;
}

const plans = new WeakMap<MessageDescriptor, MessagePlan>();

function fieldPlan(
  field: FieldDescriptor,
  name: string,
  number: number,
  label: FieldDescriptor['label'],
  type: FieldType,
): FieldPlan {
  const wireType = wireTypeOf(type);
  const packed = label === 'repeated' && field.packed;
  const tag = ((number << 3) | (packed || label === 'map' ? WIRE_LENGTH : wireType)) >>> 0;
  return {
    field,
    name,
    label,
    type,
    scalar: type.kind === 'scalar' ? type.scalar : type.kind,
    k: KIND_CODES[type.kind === 'scalar' ? type.scalar : type.kind],
    l: LABEL_CODES[label],
    sub: undefined,
    wireType,
    tag,
    tagSize: varint32Size(tag),
    oneof: label === 'oneof' || label === 'optional' ? field.oneof : undefined,
    packed,
    enumType: type.kind === 'enum' ? type.enum : undefined,
    mapKey: field.mapKey,
    mapKeyPlan: undefined,
    mapValuePlan: undefined,
  };
}

function planFor(descriptor: MessageDescriptor): MessagePlan {
  let plan = plans.get(descriptor);
  if (plan !== undefined) return plan;
  const fieldPlans = descriptor.fields.map((field) => {
    const base = fieldPlan(field, field.name, field.number, field.label, field.type);
    if (field.label !== 'map') return base;
    const keyType: FieldType = { kind: 'scalar', scalar: field.mapKey! };
    return {
      ...base,
      mapKeyPlan: fieldPlan(field, 'key', 1, 'singular', keyType),
      mapValuePlan: fieldPlan(field, 'value', 2, 'singular', field.type),
    };
  });
  const byNumberMap = new Map<number, FieldPlan>();
  let maxNumber = 0;
  for (const p of fieldPlans) {
    byNumberMap.set(p.field.number, p);
    maxNumber = Math.max(maxNumber, p.field.number);
  }
  const byNumber: Array<FieldPlan | undefined> = [];
  if (maxNumber <= 1024) {
    for (let i = 0; i <= maxNumber; i++) byNumber.push(byNumberMap.get(i));
  }
  const oneofSiblings = new Map<string, string[]>();
  for (const oneof of descriptor.oneofs) {
    for (const member of oneof.fields)
      oneofSiblings.set(
        member,
        oneof.fields.filter((m) => m !== member),
      );
  }
  plan = {
    descriptor,
    fullName: descriptor.fullName,
    encodeOrder: [...fieldPlans].sort((a, b) => a.field.number - b.field.number),
    byNumber,
    byNumberMap,
    defaults: fieldPlans.filter((p) => p.label === 'singular' || p.label === 'repeated' || p.label === 'map'),
    oneofSiblings,
  };
  plans.set(descriptor, plan);
  return plan;
}

/** The plan of a message-typed field's message. */
function subPlan(f: FieldPlan): MessagePlan {
  let plan = f.sub;
  if (plan === undefined) {
    plan = planFor((f.type as { message: MessageDescriptor }).message);
    f.sub = plan;
  }
  return plan;
}

// =============================================================================================
// Size computation helpers.

function varint32Size(value: number): number {
  // value is an unsigned 32-bit integer
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

function varint64Size(lo: number, hi: number): number {
  if (hi === 0) return varint32Size(lo);
  // hi != 0: at least 5 bytes
  if (hi < 0x8) return 5; // bits 32..34
  if (hi < 0x400) return 6;
  if (hi < 0x20000) return 7;
  if (hi < 0x1000000) return 8;
  if (hi < 0x80000000) return 9;
  return 10;
}

/** UTF-8 byte length, counting lone surrogates as U+FFFD (3 bytes) like Buffer. */
function utf8Length(s: string): number {
  const n = s.length;
  if (n > 64) return Buffer.byteLength(s, 'utf8');
  let len = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) len += 1;
    else if (c < 0x800) len += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      len += 4;
      i++;
    } else len += 3;
  }
  return len;
}

// Scratch registers for 64-bit values as two unsigned 32-bit halves (no allocation).
let lo = 0;
let hi = 0;

function splitNumber(value: number): void {
  if (value === 0 || !Number.isFinite(value)) {
    lo = 0;
    hi = 0;
    return;
  }
  const negative = value < 0;
  if (negative) value = -value;
  lo = value >>> 0;
  hi = ((value - lo) / 4294967296) >>> 0;
  if (negative) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
    if (++lo > 4294967295) {
      lo = 0;
      if (++hi > 4294967295) hi = 0;
    }
  }
}

function splitBigInt(value: bigint): void {
  const u = BigInt.asUintN(64, value);
  lo = Number(u & 0xffffffffn);
  hi = Number(u >> 32n);
}

/** Loads a 64-bit integer field value into lo/hi. */
function load64(value: unknown, path: string): void {
  if (typeof value === 'number') splitNumber(value);
  else if (typeof value === 'bigint') splitBigInt(value);
  else if (typeof value === 'string') {
    let parsed: bigint;
    try {
      parsed = BigInt(value.trim());
    } catch {
      throw new TypeError(`${path}: integer expected, got string ${JSON.stringify(value)}`);
    }
    splitBigInt(parsed);
  } else if (typeof value === 'boolean') splitNumber(value ? 1 : 0);
  else throw new TypeError(`${path}: integer expected`);
}

function zigzag64(): void {
  const mask = hi >> 31;
  hi = (((hi << 1) | (lo >>> 31)) ^ mask) >>> 0;
  lo = ((lo << 1) ^ mask) >>> 0;
}

function toNumber64(unsigned: boolean): number {
  if (!unsigned && hi >>> 31) {
    const l = (~lo + 1) >>> 0;
    let h = ~hi >>> 0;
    if (!l) h = (h + 1) >>> 0;
    return -(l + h * 4294967296);
  }
  return lo + hi * 4294967296;
}

function enumValue(plan: FieldPlan, value: unknown, path: string): number {
  if (typeof value === 'number') return value | 0;
  if (typeof value === 'string') {
    const number = plan.enumType!.values.get(value);
    if (number === undefined)
      throw new TypeError(`${path}: unknown ${plan.enumType!.fullName} value ${JSON.stringify(value)}`);
    return number;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new TypeError(`${path}: enum value expected`);
}

function bytesValue(value: unknown, path: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  if (Array.isArray(value)) return Buffer.from(value as number[]);
  throw new TypeError(`${path}: bytes expected (Buffer or Uint8Array)`);
}

function stringValue(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function isObject(value: unknown): value is WireMessage {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Is an implicit-presence singular value the proto3 default (and therefore not written)? */
function isDefault(plan: FieldPlan, value: unknown): boolean {
  switch (plan.k) {
    case K.String:
      return value === '';
    case K.Bytes:
      return (value instanceof Uint8Array || Array.isArray(value) || typeof value === 'string') && value.length === 0;
    case K.Bool:
      return !value;
    case K.Double:
    case K.Float:
      return value === 0 && !Object.is(value, -0);
    case K.Int64:
    case K.Uint64:
    case K.Sint64:
    case K.Fixed64:
    case K.Sfixed64:
      return value === 0 || value === 0n || value === '0' || value === false;
    case K.Enum:
      return value === 0 || (typeof value === 'string' && plan.enumType!.values.get(value) === 0);
    case K.Message:
      return false;
    default:
      return value === 0 || value === false || value === '0';
  }
}

// =============================================================================================
// Encoder. Pass 1 (measure*) computes sizes and records the length of every length-delimited
// item (nested message, map entry, string, packed run) in `lengths`, in pre-order; pass 2
// (write*) walks the same way and consumes them. The two walks must mirror each other exactly.

let lengths: number[] = [];
let cursor = 0;
let out: Buffer = Buffer.alloc(0);
let pos = 0;

function measureMessage(plan: MessagePlan, message: WireMessage, depth: number): number {
  if (depth > MAX_DEPTH) throw new TypeError(`${plan.fullName}: message nested too deeply`);
  let size = 0;
  const fields = plan.encodeOrder;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const value = message[f.name];
    if (value === undefined || value === null) continue;
    switch (f.l) {
      case L.Singular:
        if (isDefault(f, value)) continue;
        size += f.tagSize + measureValue(f, value, depth);
        break;
      case L.Optional:
      case L.Oneof:
        size += f.tagSize + measureValue(f, value, depth);
        break;
      case L.Repeated: {
        if (!Array.isArray(value)) throw new TypeError(`${plan.fullName}.${f.name}: array expected`);
        const n = value.length;
        if (n === 0) continue;
        if (f.packed) {
          const slot = lengths.length;
          lengths.push(0);
          let body = 0;
          for (let j = 0; j < n; j++) body += measureScalar(f, value[j]);
          lengths[slot] = body;
          size += f.tagSize + varint32Size(body) + body;
        } else {
          for (let j = 0; j < n; j++) {
            const element: unknown = value[j];
            if (element === undefined || element === null) {
              throw new TypeError(
                `${plan.fullName}.${f.name}[${j}]: ${f.k === K.Message ? 'object' : 'value'} expected`,
              );
            }
            size += f.tagSize + measureValue(f, element, depth);
          }
        }
        break;
      }
      case L.Map: {
        if (!isObject(value)) throw new TypeError(`${plan.fullName}.${f.name}: object expected`);
        const keyPlan = f.mapKeyPlan!;
        const valuePlan = f.mapValuePlan!;
        for (const key in value) {
          if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
          const entryValue = value[key];
          const slot = lengths.length;
          lengths.push(0);
          let entry = keyPlan.tagSize + measureValue(keyPlan, mapKeyValue(f, key), depth);
          if (entryValue !== undefined && entryValue !== null) {
            entry += valuePlan.tagSize + measureValue(valuePlan, entryValue, depth);
          } else if (valuePlan.k !== K.Message) {
            throw new TypeError(`${plan.fullName}.${f.name}[${JSON.stringify(key)}]: value expected`);
          }
          lengths[slot] = entry;
          size += f.tagSize + varint32Size(entry) + entry;
        }
        break;
      }
    }
  }
  return size;
}

/** Map keys are object property names: convert them back to the key type. */
function mapKeyValue(f: FieldPlan, key: string): unknown {
  switch (f.mapKey) {
    case 'string':
      return key;
    case 'bool':
      return key === 'true' || key === '1';
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return key;
    default:
      return Number(key);
  }
}

function measureValue(f: FieldPlan, value: unknown, depth: number): number {
  switch (f.k) {
    case K.Message: {
      if (!isObject(value))
        throw new TypeError(`${f.type.kind === 'message' ? f.type.fullName : ''} (${f.name}): object expected`);
      const slot = lengths.length;
      lengths.push(0);
      const n = measureMessage(subPlan(f), value, depth + 1);
      lengths[slot] = n;
      return varint32Size(n) + n;
    }
    case K.String: {
      const n = utf8Length(stringValue(value));
      lengths.push(n);
      return varint32Size(n) + n;
    }
    case K.Bytes: {
      const n = bytesValue(value, f.name).length;
      return varint32Size(n) + n;
    }
    default:
      return measureScalar(f, value);
  }
}

/** Size of a numeric scalar or enum value (no tag). */
function measureScalar(f: FieldPlan, value: unknown): number {
  switch (f.k) {
    case K.Double:
    case K.Fixed64:
    case K.Sfixed64:
      return 8;
    case K.Float:
    case K.Fixed32:
    case K.Sfixed32:
      return 4;
    case K.Bool:
      return 1;
    case K.Int32: {
      const v = Number(value) | 0;
      return v < 0 ? 10 : varint32Size(v);
    }
    case K.Enum: {
      const v = enumValue(f, value, f.name);
      return v < 0 ? 10 : varint32Size(v);
    }
    case K.Uint32:
      return varint32Size(Number(value) >>> 0);
    case K.Sint32: {
      const v = Number(value) | 0;
      return varint32Size(((v << 1) ^ (v >> 31)) >>> 0);
    }
    case K.Int64:
    case K.Uint64:
      load64(value, f.name);
      return varint64Size(lo, hi);
    case K.Sint64:
      load64(value, f.name);
      zigzag64();
      return varint64Size(lo, hi);
    default:
      throw new TypeError(`${f.name}: ${f.scalar} is not a numeric type`);
  }
}

function writeVarint32(value: number): void {
  while (value > 127) {
    out[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  out[pos++] = value;
}

function writeVarint64(): void {
  let l = lo;
  let h = hi;
  while (h) {
    out[pos++] = (l & 0x7f) | 0x80;
    l = ((l >>> 7) | (h << 25)) >>> 0;
    h >>>= 7;
  }
  while (l > 127) {
    out[pos++] = (l & 0x7f) | 0x80;
    l >>>= 7;
  }
  out[pos++] = l;
}

function writeSignedVarint32(v: number): void {
  if (v >= 0) writeVarint32(v);
  else {
    lo = v >>> 0;
    hi = 0xffffffff;
    writeVarint64();
  }
}

function writeString(s: string, n: number): void {
  writeVarint32(n);
  if (n === s.length && n <= 64) {
    // ASCII (byte length equals UTF-16 length only when every char is one byte)
    for (let i = 0; i < n; i++) out[pos++] = s.charCodeAt(i);
    return;
  }
  if (s.length > 64) {
    out.write(s, pos, n, 'utf8');
    pos += n;
    return;
  }
  const len = s.length;
  for (let i = 0; i < len; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) out[pos++] = c;
    else if (c < 0x800) {
      out[pos++] = 0xc0 | (c >> 6);
      out[pos++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < len ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && (next & 0xfc00) === 0xdc00) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          out[pos++] = 0xf0 | (c >> 18);
          out[pos++] = 0x80 | ((c >> 12) & 0x3f);
          out[pos++] = 0x80 | ((c >> 6) & 0x3f);
          out[pos++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd; // lone surrogate, as Buffer encodes it
      }
      out[pos++] = 0xe0 | (c >> 12);
      out[pos++] = 0x80 | ((c >> 6) & 0x3f);
      out[pos++] = 0x80 | (c & 0x3f);
    }
  }
}

function writeMessage(plan: MessagePlan, message: WireMessage): void {
  const fields = plan.encodeOrder;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const value = message[f.name];
    if (value === undefined || value === null) continue;
    switch (f.l) {
      case L.Singular:
        if (isDefault(f, value)) continue;
        writeVarint32(f.tag);
        writeValue(f, value);
        break;
      case L.Optional:
      case L.Oneof:
        writeVarint32(f.tag);
        writeValue(f, value);
        break;
      case L.Repeated: {
        const array = value as unknown[];
        const n = array.length;
        if (n === 0) continue;
        if (f.packed) {
          writeVarint32(f.tag);
          writeVarint32(lengths[cursor++]!);
          for (let j = 0; j < n; j++) writeScalar(f, array[j]);
        } else {
          for (let j = 0; j < n; j++) {
            writeVarint32(f.tag);
            writeValue(f, array[j]);
          }
        }
        break;
      }
      case L.Map: {
        const map = value as WireMessage;
        const keyPlan = f.mapKeyPlan!;
        const valuePlan = f.mapValuePlan!;
        for (const key in map) {
          if (!Object.prototype.hasOwnProperty.call(map, key)) continue;
          const entryValue = map[key];
          writeVarint32(f.tag);
          writeVarint32(lengths[cursor++]!);
          writeVarint32(keyPlan.tag);
          writeValue(keyPlan, mapKeyValue(f, key));
          if (entryValue !== undefined && entryValue !== null) {
            writeVarint32(valuePlan.tag);
            writeValue(valuePlan, entryValue);
          }
        }
        break;
      }
    }
  }
}

function writeValue(f: FieldPlan, value: unknown): void {
  switch (f.k) {
    case K.Message: {
      writeVarint32(lengths[cursor++]!);
      writeMessage(subPlan(f), value as WireMessage);
      return;
    }
    case K.String:
      writeString(stringValue(value), lengths[cursor++]!);
      return;
    case K.Bytes: {
      const bytes = bytesValue(value, f.name);
      writeVarint32(bytes.length);
      out.set(bytes, pos);
      pos += bytes.length;
      return;
    }
    default:
      writeScalar(f, value);
  }
}

function writeScalar(f: FieldPlan, value: unknown): void {
  switch (f.k) {
    case K.Double:
      out.writeDoubleLE(Number(value), pos);
      pos += 8;
      return;
    case K.Float:
      out.writeFloatLE(Number(value), pos);
      pos += 4;
      return;
    case K.Fixed32:
      out.writeUInt32LE(Number(value) >>> 0, pos);
      pos += 4;
      return;
    case K.Sfixed32:
      out.writeInt32LE(Number(value) | 0, pos);
      pos += 4;
      return;
    case K.Fixed64:
    case K.Sfixed64:
      load64(value, f.name);
      out.writeUInt32LE(lo, pos);
      out.writeUInt32LE(hi, pos + 4);
      pos += 8;
      return;
    case K.Bool:
      out[pos++] = value ? 1 : 0;
      return;
    case K.Int32:
      writeSignedVarint32(Number(value) | 0);
      return;
    case K.Enum:
      writeSignedVarint32(enumValue(f, value, f.name));
      return;
    case K.Uint32:
      writeVarint32(Number(value) >>> 0);
      return;
    case K.Sint32: {
      const v = Number(value) | 0;
      writeVarint32(((v << 1) ^ (v >> 31)) >>> 0);
      return;
    }
    case K.Int64:
    case K.Uint64:
      load64(value, f.name);
      writeVarint64();
      return;
    case K.Sint64:
      load64(value, f.name);
      zigzag64();
      writeVarint64();
      return;
  }
}

/**
 * Encodes `message` as `descriptor`. The result has `headroom` unused bytes in front of the
 * encoding (for a frame header); `result.length - headroom` is the encoded size.
 */
export function encodeMessage(descriptor: MessageDescriptor, message: WireMessage, headroom = 0): Buffer {
  if (!isObject(message)) throw new TypeError(`${descriptor.fullName}: object expected`);
  const plan = planFor(descriptor);
  const savedLengths = lengths;
  lengths = [];
  try {
    const size = measureMessage(plan, message, 0);
    const buffer = Buffer.allocUnsafe(headroom + size);
    out = buffer;
    pos = headroom;
    cursor = 0;
    writeMessage(plan, message);
    if (pos !== buffer.length)
      throw new Error(`protobuf encoder size mismatch for ${descriptor.fullName} (${pos} != ${buffer.length})`);
    return buffer;
  } finally {
    lengths = savedLengths;
    out = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);

// =============================================================================================
// Decoder.

let input: Buffer = EMPTY;
let at = 0;

function truncated(): never {
  throw new ProtobufDecodeError('invalid protobuf: truncated message');
}

function readVarint32(limit: number): number {
  // Returns the low 32 bits of a varint (as protobufjs does), as an unsigned number.
  let b: number;
  if (at >= limit) truncated();
  b = input[at++]!;
  let value = b & 0x7f;
  if (b < 0x80) return value;
  if (at >= limit) truncated();
  b = input[at++]!;
  value |= (b & 0x7f) << 7;
  if (b < 0x80) return value;
  if (at >= limit) truncated();
  b = input[at++]!;
  value |= (b & 0x7f) << 14;
  if (b < 0x80) return value;
  if (at >= limit) truncated();
  b = input[at++]!;
  value |= (b & 0x7f) << 21;
  if (b < 0x80) return value >>> 0;
  if (at >= limit) truncated();
  b = input[at++]!;
  value = (value | ((b & 0x0f) << 28)) >>> 0;
  if (b < 0x80) return value;
  for (let i = 0; i < 5; i++) {
    if (at >= limit) truncated();
    if (input[at++]! < 0x80) return value;
  }
  throw new ProtobufDecodeError('invalid protobuf: varint longer than 10 bytes');
}

function readVarint64(limit: number): void {
  let b: number;
  let l = 0;
  let h = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (at >= limit) truncated();
    b = input[at++]!;
    l |= (b & 0x7f) << shift;
    if (b < 0x80) {
      lo = l >>> 0;
      hi = 0;
      return;
    }
  }
  if (at >= limit) truncated();
  b = input[at++]!;
  l |= (b & 0x7f) << 28;
  h = (b & 0x7f) >> 4;
  if (b < 0x80) {
    lo = l >>> 0;
    hi = h;
    return;
  }
  for (let shift = 3; shift < 32; shift += 7) {
    if (at >= limit) truncated();
    b = input[at++]!;
    h |= (b & 0x7f) << shift;
    if (b < 0x80) {
      lo = l >>> 0;
      hi = h >>> 0;
      return;
    }
  }
  throw new ProtobufDecodeError('invalid protobuf: varint longer than 10 bytes');
}

function readLength(limit: number): number {
  const n = readVarint32(limit);
  if (n > limit - at) truncated();
  return n;
}

function skipField(wireType: number, limit: number): void {
  switch (wireType) {
    case WIRE_VARINT:
      for (let i = 0; i < 10; i++) {
        if (at >= limit) truncated();
        if (input[at++]! < 0x80) return;
      }
      throw new ProtobufDecodeError('invalid protobuf: varint longer than 10 bytes');
    case WIRE_FIXED64:
      if (limit - at < 8) truncated();
      at += 8;
      return;
    case WIRE_LENGTH: {
      const n = readLength(limit); // (not `at += readLength()`: that would add to the old `at`)
      at += n;
      return;
    }
    case WIRE_FIXED32:
      if (limit - at < 4) truncated();
      at += 4;
      return;
    case 3:
    case 4:
      throw new ProtobufDecodeError('invalid protobuf: groups are not supported');
    default:
      throw new ProtobufDecodeError(`invalid protobuf: wire type ${wireType}`);
  }
}

function readString(limit: number): string {
  const n = readLength(limit);
  const start = at;
  at += n;
  if (n < 24) {
    let s = '';
    for (let i = start; i < at; i++) {
      const c = input[i]!;
      if (c >= 0x80) return input.toString('utf8', start, at);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return input.toString('utf8', start, at);
}

function readScalar(f: FieldPlan, limit: number): unknown {
  switch (f.k) {
    case K.Double: {
      if (limit - at < 8) truncated();
      const v = input.readDoubleLE(at);
      at += 8;
      return v;
    }
    case K.Float: {
      if (limit - at < 4) truncated();
      const v = input.readFloatLE(at);
      at += 4;
      return v;
    }
    case K.Fixed32: {
      if (limit - at < 4) truncated();
      const v = input.readUInt32LE(at);
      at += 4;
      return v;
    }
    case K.Sfixed32: {
      if (limit - at < 4) truncated();
      const v = input.readInt32LE(at);
      at += 4;
      return v;
    }
    case K.Fixed64:
    case K.Sfixed64:
      if (limit - at < 8) truncated();
      lo = input.readUInt32LE(at);
      hi = input.readUInt32LE(at + 4);
      at += 8;
      return toNumber64(f.k === K.Fixed64);
    case K.Bool:
      readVarint64(limit);
      return lo !== 0 || hi !== 0;
    case K.Int32:
    case K.Enum:
      return readVarint32(limit) | 0;
    case K.Uint32:
      return readVarint32(limit);
    case K.Sint32: {
      const v = readVarint32(limit);
      return (v >>> 1) ^ -(v & 1);
    }
    case K.Int64:
      readVarint64(limit);
      return toNumber64(false);
    case K.Uint64:
      readVarint64(limit);
      return toNumber64(true);
    case K.Sint64: {
      readVarint64(limit);
      const mask = -(lo & 1);
      lo = (((lo >>> 1) | (hi << 31)) ^ mask) >>> 0;
      hi = ((hi >>> 1) ^ mask) >>> 0;
      return toNumber64(false);
    }
    case K.String:
      return readString(limit);
    case K.Bytes: {
      const n = readLength(limit);
      const v = input.subarray(at, at + n);
      at += n;
      return v;
    }
    default:
      throw new Error(`unreachable: ${f.scalar}`);
  }
}

function readValue(f: FieldPlan, limit: number, depth: number): unknown {
  if (f.k === K.Message) {
    const n = readLength(limit);
    const end = at + n;
    const value = decodeBody(subPlan(f), end, depth + 1);
    return value;
  }
  return readScalar(f, limit);
}

function defaultValue(f: FieldPlan): unknown {
  switch (f.k) {
    case K.String:
      return '';
    case K.Bytes:
      return Buffer.alloc(0);
    case K.Bool:
      return false;
    case K.Message:
      return null;
    default:
      return 0;
  }
}

function setProperty(target: WireMessage, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function decodeBody(plan: MessagePlan, end: number, depth: number): WireMessage {
  if (depth > MAX_DEPTH) throw new ProtobufDecodeError(`invalid protobuf: ${plan.fullName} nested too deeply`);
  const message: WireMessage = {};
  const defaults = plan.defaults;
  for (let i = 0; i < defaults.length; i++) {
    const f = defaults[i]!;
    message[f.name] = f.label === 'repeated' ? [] : f.label === 'map' ? {} : defaultValue(f);
  }
  const byNumber = plan.byNumber;
  while (at < end) {
    const tag = readVarint32(end);
    const number = tag >>> 3;
    const wireType = tag & 7;
    if (number === 0) throw new ProtobufDecodeError('invalid protobuf: field number 0');
    const f = number < byNumber.length ? byNumber[number] : plan.byNumberMap.get(number);
    if (f === undefined) {
      skipField(wireType, end);
      continue;
    }
    switch (f.l) {
      case L.Singular:
        if (wireType !== f.wireType) {
          skipField(wireType, end); // a mismatched wire type is an unknown field (as in Go)
          continue;
        }
        message[f.name] = readValue(f, end, depth);
        break;
      case L.Optional:
      case L.Oneof: {
        if (wireType !== f.wireType) {
          skipField(wireType, end);
          continue;
        }
        const siblings = plan.oneofSiblings.get(f.name);
        if (siblings !== undefined) for (const other of siblings) delete message[other];
        message[f.name] = readValue(f, end, depth);
        message[f.oneof!] = f.name;
        break;
      }
      case L.Repeated: {
        const array = message[f.name] as unknown[];
        if (wireType === f.wireType) {
          array.push(readValue(f, end, depth));
        } else if (wireType === WIRE_LENGTH && f.wireType !== WIRE_LENGTH) {
          const n = readLength(end);
          const runEnd = at + n;
          while (at < runEnd) array.push(readScalar(f, runEnd));
        } else {
          skipField(wireType, end);
        }
        break;
      }
      case L.Map: {
        if (wireType !== WIRE_LENGTH) {
          skipField(wireType, end);
          continue;
        }
        const entryLength = readLength(end);
        const entryEnd = at + entryLength;
        const keyPlan = f.mapKeyPlan!;
        const valuePlan = f.mapValuePlan!;
        let key: unknown = defaultValue(keyPlan);
        let value: unknown = undefined;
        while (at < entryEnd) {
          const entryTag = readVarint32(entryEnd);
          const entryWire = entryTag & 7;
          const entryNumber = entryTag >>> 3;
          if (entryNumber === 1 && entryWire === keyPlan.wireType) key = readScalar(keyPlan, entryEnd);
          else if (entryNumber === 2 && entryWire === valuePlan.wireType) value = readValue(valuePlan, entryEnd, depth);
          else if (entryNumber === 0) throw new ProtobufDecodeError('invalid protobuf: field number 0');
          else skipField(entryWire, entryEnd);
        }
        if (value === undefined) {
          value = valuePlan.k === K.Message ? decodeEmpty(subPlan(valuePlan), depth + 1) : defaultValue(valuePlan);
        }
        setProperty(message[f.name] as WireMessage, String(key), value);
        break;
      }
    }
  }
  if (at !== end) throw new ProtobufDecodeError('invalid protobuf: field overruns its message');
  return message;
}

function decodeEmpty(plan: MessagePlan, depth: number): WireMessage {
  const savedInput = input;
  const savedAt = at;
  input = EMPTY;
  at = 0;
  try {
    return decodeBody(plan, 0, depth);
  } finally {
    input = savedInput;
    at = savedAt;
  }
}

/**
 * Decodes `bytes` as `descriptor`. Bytes fields of the result are views into `bytes` (no copy):
 * do not reuse the input buffer while the result is alive.
 */
export function decodeMessage(descriptor: MessageDescriptor, bytes: Uint8Array): WireMessage {
  const plan = planFor(descriptor);
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const savedInput = input;
  const savedAt = at;
  input = buffer;
  at = 0;
  try {
    return decodeBody(plan, buffer.length, 0);
  } finally {
    input = savedInput;
    at = savedAt;
  }
}

export interface MessageCodec {
  readonly fullName: string;
  readonly descriptor: MessageDescriptor;
  /** Encodes with `headroom` unused bytes in front (default 0). */
  encode(message: WireMessage, headroom?: number): Buffer;
  decode(bytes: Uint8Array): WireMessage;
}

const codecs = new WeakMap<MessageDescriptor, MessageCodec>();

/** The (cached) codec of one message type. */
export function codecFor(descriptor: MessageDescriptor): MessageCodec {
  let codec = codecs.get(descriptor);
  if (codec === undefined) {
    codec = {
      fullName: descriptor.fullName,
      descriptor,
      encode: (message, headroom = 0) => encodeMessage(descriptor, message, headroom),
      decode: (bytes) => decodeMessage(descriptor, bytes),
    };
    codecs.set(descriptor, codec);
  }
  return codec;
}
