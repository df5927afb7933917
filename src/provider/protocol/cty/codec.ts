/**
 * Type-directed cty codec: msgpack (DynamicValue.msgpack, both directions) and JSON (stored state
 * from UpgradeResourceState / MoveResourceState; encoding only for tests and debugging).
 *
 * Follows zclconf/go-cty v1.18 `cty/msgpack/{marshal,unmarshal,unknown,dynamic}.go` and
 * `cty/json/{marshal,unmarshal}.go`; `encodeMsgpack` output is byte-identical to go-cty's `Marshal`
 * (object attributes and map keys sorted by byte order, compact ints, float64, unknown = `d4 00 00`,
 * dynamic = `[bin(type JSON), value]`).
 *
 * Numbers. Decoding gives a JS number when that is lossless and safe, else a `CtyBigNumber` with
 * the exact decimal text:
 *  - msgpack int/uint: a safe integer → number; anything beyond ±(2^53 − 1) → CtyBigNumber;
 *  - msgpack float32/float64 → number (NaN is rejected);
 *  - decimal text (msgpack str, JSON number or string): "inf"/"Inf" → ±Infinity; otherwise a
 *    number when `Number(text)` is finite, is not an integer outside the safe range, and its
 *    shortest decimal form denotes the same decimal as the text (so "0.1" → 0.1, the way cty
 *    compares numbers); otherwise CtyBigNumber(text) ("1e+400", "123456789012345678901234567890").
 * Encoding follows cty v1.18's marshal.go: ±Infinity → float64; an integer in int64 range → int
 * (smallest form); a non-integer exactly representable as float64 → float64; anything else →
 * str holding the plain decimal text (`big.Float.Text('f', -1)`: for a JS number its shortest
 * digits, e.g. 1e20 → "100000000000000000000"; for a CtyBigNumber its exact digits). So every
 * JS integer below 2^63 in magnitude goes as an exact int and other finite JS numbers as float64;
 * CtyBigNumber("0.1") goes as "0.1", CtyBigNumber("0.5") as float64.
 *
 * Errors are `CtyCodecError`s carrying a path such as `.tags["a"]` or `.rules[2].name`. Messages
 * name only types and kinds, never the contents of a value (values may be secrets).
 */

import { MsgpackError, MsgpackKind, MsgpackReader, MsgpackWriter } from './msgpack';
import { CtyBigNumber, CtyDynamic, CtyType, CtyValue, isUnknown, typeFromJson, unknown } from './types';

// ---------------------------------------------------------------------------------------------
// Errors and paths

export class CtyCodecError extends Error {
  override readonly name = 'CtyCodecError';
  constructor(
    /** Where in the value the problem is, e.g. `.tags["a"]`; empty for the value itself. */
    readonly path: string,
    /** The problem, without the path. */
    readonly detail: string,
  ) {
    super(path ? `${path}: ${detail}` : detail);
  }
}

const ATTR = 0;
const INDEX = 1;
const KEY = 2;

/** A mutable path stack; rendered only when an error is thrown. */
class Path {
  private readonly kinds: number[] = [];
  private readonly steps: (string | number)[] = [];

  push(kind: number, step: string | number): void {
    this.kinds.push(kind);
    this.steps.push(step);
  }

  set(step: string | number): void {
    this.steps[this.steps.length - 1] = step;
  }

  pop(): void {
    this.kinds.pop();
    this.steps.pop();
  }

  toString(): string {
    let out = '';
    for (let i = 0; i < this.kinds.length; i++) {
      const step = this.steps[i]!;
      switch (this.kinds[i]) {
        case ATTR:
          out += `.${String(step)}`;
          break;
        case INDEX:
          out += `[${String(step)}]`;
          break;
        default:
          out += `[${JSON.stringify(step)}]`;
      }
    }
    return out;
  }

  error(detail: string): CtyCodecError {
    return new CtyCodecError(this.toString(), detail);
  }
}

/** What kind of JS value this is, without revealing anything of its contents. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (isUnknown(value)) return 'an unknown value';
  if (value instanceof CtyBigNumber) return 'a CtyBigNumber';
  if (value instanceof CtyDynamic) return 'a CtyDynamic';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isNaN(value) ? 'NaN' : 'a number';
    case 'boolean':
      return 'a bool';
    case 'object':
      return 'an object';
    default:
      return `a JS ${typeof value}`;
  }
}

function typeName(type: CtyType): string {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    switch (type[0]) {
      case 'list':
      case 'set':
      case 'map':
        return `${type[0]} of ${typeName(type[1] as CtyType)}`;
      case 'object':
      case 'tuple':
        return type[0];
    }
  }
  return 'unsupported type';
}

function mismatch(path: Path, type: CtyType, value: unknown): CtyCodecError {
  return path.error(`${typeName(type)} is required, got ${describeValue(value)}`);
}

function unsupportedType(path: Path): CtyCodecError {
  return path.error('unsupported cty type');
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const hasOwn = (obj: object, key: string): boolean => Object.prototype.hasOwnProperty.call(obj, key);

function isPlainObject(value: unknown): value is { readonly [key: string]: CtyValue } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Assigns without triggering the `__proto__` setter (map keys are arbitrary strings). */
function setKey(obj: Record<string, CtyValue>, key: string, value: CtyValue): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** Orders strings by Unicode code point, i.e. by UTF-8 bytes, as Go's sort.Strings does. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (D800–DFFF) encode code points above FFFF: move them above E000–FFFF.
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

function sortKeys(keys: string[]): string[] {
  // Plain sort is UTF-16 order, which equals code point order unless a key has a surrogate.
  for (const k of keys) {
    for (let i = 0; i < k.length; i++) {
      const c = k.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdfff) return keys.sort(compareCodePoints);
    }
  }
  return keys.sort();
}

const sortedNamesCache = new WeakMap<object, readonly string[]>();

function sortedAttrNames(attrs: Readonly<Record<string, CtyType>>): readonly string[] {
  let names = sortedNamesCache.get(attrs);
  if (!names) {
    names = sortKeys(Object.keys(attrs));
    sortedNamesCache.set(attrs, names);
  }
  return names;
}

/** JSON string literal the way Go's encoding/json writes it (HTML-sensitive characters escaped). */
function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const typeJsonCache = new WeakMap<object, string>();

/**
 * The canonical cty type JSON, as go-cty's `Type.MarshalJSON` writes it (object attributes sorted;
 * optional attribute list only when non-empty). Used inside dynamic values.
 */
export function ctyTypeJson(type: CtyType): string {
  if (typeof type === 'string') {
    if (type === 'string' || type === 'number' || type === 'bool' || type === 'dynamic') return `"${type}"`;
    throw new CtyCodecError('', 'unsupported cty type');
  }
  let json = typeJsonCache.get(type);
  if (json !== undefined) return json;
  if (!Array.isArray(type)) throw new CtyCodecError('', 'unsupported cty type');
  switch (type[0]) {
    case 'list':
    case 'set':
    case 'map':
      json = `["${type[0]}",${ctyTypeJson(type[1] as CtyType)}]`;
      break;
    case 'tuple':
      json = `["tuple",[${(type[1] as readonly CtyType[]).map(ctyTypeJson).join(',')}]]`;
      break;
    case 'object': {
      const attrs = type[1] as Readonly<Record<string, CtyType>>;
      const parts = sortedAttrNames(attrs).map((n) => `${goJsonString(n)}:${ctyTypeJson(attrs[n]!)}`);
      const optional = (type as readonly unknown[])[2] as readonly string[] | undefined;
      const opt =
        optional && optional.length > 0
          ? `,[${sortKeys([...optional])
              .map(goJsonString)
              .join(',')}]`
          : '';
      json = `["object",{${parts.join(',')}}${opt}]`;
      break;
    }
    default:
      throw new CtyCodecError('', 'unsupported cty type');
  }
  typeJsonCache.set(type, json);
  return json;
}

const typeBytesCache = new Map<string, Uint8Array>();
const typeBytesWeak = new WeakMap<object, Uint8Array>();

function typeJsonBytes(type: CtyType): Uint8Array {
  const cached = typeof type === 'string' ? typeBytesCache.get(type) : typeBytesWeak.get(type);
  if (cached) return cached;
  const bytes = new Uint8Array(Buffer.from(ctyTypeJson(type), 'utf8'));
  if (typeof type === 'string') typeBytesCache.set(type, bytes);
  else typeBytesWeak.set(type, bytes);
  return bytes;
}

/** True when both types are the same cty type. */
export function typesEqual(a: CtyType, b: CtyType): boolean {
  return a === b || ctyTypeJson(a) === ctyTypeJson(b);
}

// ---------------------------------------------------------------------------------------------
// Numbers

/**
 * A decimal number in canonical form: value = (neg ? -1 : 1) × digits × 10^exp, `digits` without
 * leading or trailing zeros; zero has digits ''. Infinity has `inf`.
 */
interface Decimal {
  readonly neg: boolean;
  readonly digits: string;
  readonly exp: number;
  readonly inf: boolean;
}

const DECIMAL_RE = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const INF_RE = /^([+-]?)(?:inf|Inf)$/;
const MAX_EXPONENT = 2 ** 31;

/** Parses the decimal forms Go's big.ParseFloat(s, 10, …) accepts; undefined when not a number. */
function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL_RE.exec(text);
  if (!m) {
    const inf = INF_RE.exec(text);
    return inf ? { neg: inf[1] === '-', digits: '', exp: 0, inf: true } : undefined;
  }
  const neg = m[1] === '-';
  const intPart = m[2] ?? '';
  const frac = m[3] ?? m[4] ?? '';
  const exp10 = m[5] === undefined ? 0 : Number(m[5]);
  if (!(Math.abs(exp10) < MAX_EXPONENT)) return undefined;
  const all = intPart + frac;
  let first = 0;
  while (first < all.length && all.charCodeAt(first) === 0x30) first++;
  if (first === all.length) return { neg: false, digits: '', exp: 0, inf: false };
  let last = all.length - 1;
  while (all.charCodeAt(last) === 0x30) last--;
  return {
    neg,
    digits: all.slice(first, last + 1),
    exp: exp10 - frac.length + (all.length - 1 - last),
    inf: false,
  };
}

const TWO_63 = 2 ** 63;

const f64 = new Float64Array(1);
const f64bits = new BigUint64Array(f64.buffer);

/** |x| = mantissa × 2^exp2 for a finite non-zero double, mantissa normalised to 53 bits. */
function splitDouble(x: number): { mantissa: bigint; exp2: number } {
  f64[0] = Math.abs(x);
  const bits = f64bits[0]!;
  const biased = Number(bits >> 52n);
  const frac = bits & ((1n << 52n) - 1n);
  if (biased !== 0) return { mantissa: frac | (1n << 52n), exp2: biased - 1075 };
  const shift = 53 - frac.toString(2).length; // subnormal: normalise as big.Float.SetFloat64 does
  return { mantissa: frac << BigInt(shift), exp2: -1074 - shift };
}

/** Exact decimal digits of v × 2^e2 in Go's math/big `decimal` form: 0.digits × 10^exp. */
function goDecimal(v: bigint, e2: number): { digits: string; exp: number } {
  let digits: string;
  let exp: number;
  if (e2 >= 0) {
    digits = (v << BigInt(e2)).toString();
    exp = digits.length;
  } else {
    digits = (v * 5n ** BigInt(-e2)).toString();
    exp = digits.length + e2;
  }
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 0x30) end--;
  return { digits: digits.slice(0, end), exp };
}

/**
 * The decimal go-cty sees for a float64 (`big.Float.Text('f', -1)` at precision 53, i.e. Go's
 * math/big roundShortest). It is the shortest-digits form like JS's `String(n)`, except at powers
 * of two, where Go uses a symmetric rounding interval and may pick different digits.
 */
function goShortest(x: number): Decimal {
  const { mantissa, exp2 } = splitDouble(x);
  // Work at 54 bits so that 1 unit = half an ulp.
  const mant = mantissa << 1n;
  const e = exp2 - 1;
  const d = goDecimal(mant, e);
  const lower = goDecimal(mant - 1n, e);
  const upper = goDecimal(mant + 1n, e);
  const inclusive = (mantissa & 1n) === 0n;
  const at = (digits: string, i: number): number => (i < digits.length ? digits.charCodeAt(i) : 0x30);
  let digits = d.digits;
  let exp = d.exp;
  for (let i = 0; i < digits.length; i++) {
    const m = digits.charCodeAt(i);
    const l = at(lower.digits, i);
    const u = at(upper.digits, i);
    const okdown = l !== m || (inclusive && i + 1 === lower.digits.length);
    const okup = m !== u && (inclusive || m + 1 < u || i + 1 < upper.digits.length);
    const n = i + 1;
    let up: boolean;
    if (okdown && okup) {
      if (n >= digits.length) break;
      const next = digits.charCodeAt(n);
      up = next === 0x35 && n + 1 === digits.length ? (digits.charCodeAt(n - 1) - 0x30) % 2 === 1 : next >= 0x35;
    } else if (okdown) {
      up = false;
    } else if (okup) {
      up = true;
    } else {
      continue;
    }
    if (n >= digits.length) break;
    if (!up) {
      digits = digits.slice(0, n).replace(/0+$/, '');
    } else {
      let k = n;
      while (k > 0 && digits.charCodeAt(k - 1) === 0x39) k--;
      if (k === 0) {
        digits = '1';
        exp++;
      } else {
        digits = digits.slice(0, k - 1) + String.fromCharCode(digits.charCodeAt(k - 1) + 1);
      }
    }
    break;
  }
  return { neg: x < 0, digits, exp: exp - digits.length, inf: false };
}

/**
 * The decimal value cty ends up with for a JS number after `encodeMsgpack`: integers in int64
 * range go as exact ints; anything else as float64 (or its Go text), which cty reads at precision 53.
 */
function decimalFromNumber(n: number): Decimal {
  if (n === 0) return { neg: false, digits: '', exp: 0, inf: false };
  if (!Number.isFinite(n)) return { neg: n < 0, digits: '', exp: 0, inf: true };
  if (Number.isSafeInteger(n)) return parseDecimal(String(n))!;
  if (Number.isInteger(n) && n >= -TWO_63 && n < TWO_63) return parseDecimal(BigInt(n).toString())!;
  return goShortest(n);
}

function decimalKey(d: Decimal): string {
  if (d.inf) return d.neg ? '-Inf' : '+Inf';
  if (d.digits === '') return '0';
  return `${d.neg ? '-' : ''}${d.digits}e${d.exp}`;
}

function numberKey(value: number | CtyBigNumber): string | undefined {
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : decimalKey(decimalFromNumber(value));
  const d = parseDecimal(value.text);
  return d && decimalKey(d);
}

/** Plain (non-exponent) decimal text, like Go's big.Float.Text('f', -1). */
function formatPlain(d: Decimal): string {
  if (d.inf) return d.neg ? '-Inf' : '+Inf';
  if (d.digits === '') return '0';
  const sign = d.neg ? '-' : '';
  // Astronomically long expansions: keep the exponent form (cty parses it just the same).
  if (Math.abs(d.exp) > 4096) return `${sign}${d.digits}e${d.exp}`;
  if (d.exp >= 0) return sign + d.digits + '0'.repeat(d.exp);
  const point = d.digits.length + d.exp;
  if (point > 0) return `${sign}${d.digits.slice(0, point)}.${d.digits.slice(point)}`;
  return `${sign}0.${'0'.repeat(-point)}${d.digits}`;
}

function decimalToNumber(d: Decimal): number {
  if (d.inf) return d.neg ? -Infinity : Infinity;
  if (d.digits === '') return 0;
  return Number(`${d.neg ? '-' : ''}${d.digits}e${d.exp}`);
}

/**
 * Interprets decimal text (a msgpack str number, a JSON number, or a JSON string used as a number).
 * Returns undefined when the text is not a number.
 */
export function parseCtyNumber(text: string): number | CtyBigNumber | undefined {
  const d = parseDecimal(text);
  if (!d) return undefined;
  if (d.inf || d.digits === '') return decimalToNumber(d);
  const n = decimalToNumber(d);
  if (!Number.isFinite(n) || n === 0) return new CtyBigNumber(text);
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) return new CtyBigNumber(text);
  return decimalKey(decimalFromNumber(n)) === decimalKey(d) ? n : new CtyBigNumber(text);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function decimalToInt64(d: Decimal): bigint | undefined {
  if (d.inf || d.exp < 0 || d.digits.length + d.exp > 19) return undefined;
  const v = BigInt(d.digits) * 10n ** BigInt(d.exp) * (d.neg ? -1n : 1n);
  return v >= INT64_MIN && v <= INT64_MAX ? v : undefined;
}

/** The float64 equal to this decimal, when one is exactly equal; else undefined. */
function decimalToExactFloat64(d: Decimal): number | undefined {
  const n = decimalToNumber(d);
  if (!Number.isFinite(n) || n === 0) return undefined;
  const { mantissa, exp2 } = splitDouble(n);
  const exact = goDecimal(mantissa, exp2);
  return exact.digits === d.digits && exact.exp - exact.digits.length === d.exp ? n : undefined;
}

function intToValue(v: number | bigint): number | CtyBigNumber {
  return typeof v === 'number' ? v : new CtyBigNumber(v.toString());
}

// ---------------------------------------------------------------------------------------------
// msgpack encoding

const UNKNOWN_BYTES = new Uint8Array([0xd4, 0x00, 0x00]);

/** Encodes a value of the given type as cty msgpack (DynamicValue.msgpack). */
export function encodeMsgpack(type: CtyType, value: CtyValue): Uint8Array {
  const w = new MsgpackWriter();
  encodeValue(w, type, value, new Path());
  return w.finish();
}

function encodeNumber(w: MsgpackWriter, value: CtyValue, path: Path): void {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return w.writeInt(value);
    if (Number.isNaN(value)) throw path.error('number is required, got NaN (cty has no NaN)');
    if (!Number.isInteger(value)) return w.writeFloat64(value); // includes ±Infinity
    if (value >= -TWO_63 && value < TWO_63) return w.writeBigInt(BigInt(value));
    return w.writeString(formatPlain(decimalFromNumber(value)));
  }
  if (!(value instanceof CtyBigNumber)) throw mismatch(path, 'number', value);
  const d = parseDecimal(value.text);
  if (!d) throw path.error('number is required, got a CtyBigNumber whose text is not a decimal number');
  if (d.inf) return w.writeFloat64(d.neg ? -Infinity : Infinity);
  if (d.digits === '') return w.writeInt(0);
  const i = decimalToInt64(d);
  if (i !== undefined) return w.writeBigInt(i);
  if (d.exp < 0) {
    const f = decimalToExactFloat64(d);
    if (f !== undefined) return w.writeFloat64(f);
  }
  w.writeString(formatPlain(d));
}

function encodeValue(w: MsgpackWriter, type: CtyType, value: CtyValue, path: Path): void {
  if (value === null) return w.writeNil();
  if (value === unknown) return w.writeRaw(UNKNOWN_BYTES);
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        if (typeof value !== 'string') throw mismatch(path, type, value);
        return w.writeString(value);
      case 'bool':
        if (typeof value !== 'boolean') throw mismatch(path, type, value);
        return w.writeBool(value);
      case 'number':
        return encodeNumber(w, value, path);
      case 'dynamic':
        if (!(value instanceof CtyDynamic)) {
          throw path.error(`dynamic is required (a CtyDynamic, null or unknown), got ${describeValue(value)}`);
        }
        // A value whose own type is dynamic can only be null or unknown: no wrapper.
        if (value.type === 'dynamic') return encodeValue(w, 'dynamic', value.value, path);
        w.writeArrayHeader(2);
        w.writeBin(typeJsonBytes(value.type));
        return encodeValue(w, value.type, value.value, path);
      default:
        throw unsupportedType(path);
    }
  }
  switch (type[0]) {
    case 'list':
    case 'set': {
      if (!Array.isArray(value)) throw mismatch(path, type, value);
      const items = value as readonly CtyValue[];
      const ety = type[1];
      w.writeArrayHeader(items.length);
      path.push(INDEX, 0);
      for (let i = 0; i < items.length; i++) {
        path.set(i);
        encodeValue(w, ety, items[i]!, path);
      }
      path.pop();
      return;
    }
    case 'tuple': {
      if (!Array.isArray(value)) throw mismatch(path, type, value);
      const items = value as readonly CtyValue[];
      const etys = type[1];
      if (items.length !== etys.length) {
        throw path.error(`tuple of ${etys.length} elements is required, got ${items.length} elements`);
      }
      w.writeArrayHeader(items.length);
      path.push(INDEX, 0);
      for (let i = 0; i < items.length; i++) {
        path.set(i);
        encodeValue(w, etys[i]!, items[i]!, path);
      }
      path.pop();
      return;
    }
    case 'map': {
      if (!isPlainObject(value)) throw mismatch(path, type, value);
      const keys = sortKeys(Object.keys(value));
      const ety = type[1];
      w.writeMapHeader(keys.length);
      path.push(KEY, '');
      for (const k of keys) {
        path.set(k);
        w.writeString(k);
        encodeValue(w, ety, value[k]!, path);
      }
      path.pop();
      return;
    }
    case 'object': {
      if (!isPlainObject(value)) throw mismatch(path, type, value);
      const attrs = type[1];
      const names = sortedAttrNames(attrs);
      const given = Object.keys(value);
      for (const k of given) {
        if (!hasOwn(attrs, k) && value[k] !== undefined) {
          path.push(ATTR, k);
          throw path.error('unsupported attribute (not in the object type)');
        }
      }
      w.writeMapHeader(names.length);
      path.push(ATTR, '');
      for (const name of names) {
        path.set(name);
        w.writeString(name);
        const v = hasOwn(value, name) ? value[name] : undefined;
        if (v === undefined) w.writeNil();
        else encodeValue(w, attrs[name]!, v, path);
      }
      path.pop();
      return;
    }
    default:
      throw unsupportedType(path);
  }
}

// ---------------------------------------------------------------------------------------------
// msgpack decoding

/** Refinement payloads above this size are refused, as go-cty does. */
const MAX_REFINEMENT_BYTES = 1024;

/**
 * Decodes cty msgpack of the given type. Empty input (an absent DynamicValue) is null. Unknowns
 * (ext 0, or refined ext 12 whose refinements are dropped) decode to `unknown`.
 */
export function decodeMsgpack(type: CtyType, bytes: Uint8Array): CtyValue {
  if (bytes.length === 0) return null;
  const r = new MsgpackReader(bytes);
  const path = new Path();
  let value: CtyValue;
  try {
    value = decodeValue(r, type, path);
  } catch (e) {
    if (e instanceof MsgpackError) throw path.error(`invalid msgpack: ${e.message}`);
    throw e;
  }
  if (r.remaining > 0) throw new CtyCodecError('', `invalid msgpack: ${r.remaining} unexpected bytes after the value`);
  return value;
}

function decodeUnknown(r: MsgpackReader, path: Path): CtyValue {
  const ext = r.readExt();
  if (ext.data.length <= 1) return unknown;
  if (ext.type !== 12) {
    throw path.error(`unsupported msgpack extension type ${ext.type} with length ${ext.data.length}`);
  }
  if (ext.data.length > MAX_REFINEMENT_BYTES) throw path.error('oversize unknown value refinement');
  // A refined unknown: the payload is a map with small-int keys. Refinements are dropped, but the
  // payload must still be well-formed.
  const rr = new MsgpackReader(ext.data);
  if (rr.peekKind() !== 'map') throw path.error('invalid unknown value refinement: not a map');
  const n = rr.readMapHeader();
  for (let i = 0; i < n; i++) {
    if (rr.peekKind() !== 'int') throw path.error('invalid unknown value refinement: non-integer key');
    rr.readInt();
    rr.skip();
  }
  return unknown;
}

function kindMismatch(path: Path, type: CtyType, kind: MsgpackKind): CtyCodecError {
  return path.error(`${typeName(type)} is required, got msgpack ${kind}`);
}

function decodeValue(r: MsgpackReader, type: CtyType, path: Path): CtyValue {
  const kind = r.peekKind();
  if (kind === 'ext') return decodeUnknown(r, path);
  if (kind === 'nil') return r.readNil();
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        if (kind === 'str' || kind === 'bin') return r.readString();
        throw kindMismatch(path, type, kind);
      case 'bool':
        if (kind === 'bool') return r.readBool();
        throw kindMismatch(path, type, kind);
      case 'number':
        switch (kind) {
          case 'int':
            return intToValue(r.readInt());
          case 'float': {
            const f = r.readFloat();
            if (Number.isNaN(f)) throw path.error('number is required, got NaN');
            return f;
          }
          case 'str':
          case 'bin': {
            const n = parseCtyNumber(r.readString());
            if (n === undefined) throw path.error('number is required, got a string that is not a decimal number');
            return n;
          }
          default:
            throw kindMismatch(path, type, kind);
        }
      case 'dynamic': {
        if (kind !== 'array') throw kindMismatch(path, type, kind);
        if (r.readArrayHeader() !== 2) throw path.error('dynamic value array must have exactly two elements');
        const tk = r.peekKind();
        if (tk !== 'bin' && tk !== 'str') throw path.error(`dynamic value type must be bin or str, got msgpack ${tk}`);
        const t = parseTypeJson(r.readString(), path);
        const inner = decodeValue(r, t, path);
        return t === 'dynamic' ? inner : new CtyDynamic(t, inner);
      }
      default:
        throw unsupportedType(path);
    }
  }
  switch (type[0]) {
    case 'list':
    case 'set': {
      if (kind !== 'array') throw kindMismatch(path, type, kind);
      const n = r.readArrayHeader();
      const ety = type[1];
      const out: CtyValue[] = [];
      path.push(INDEX, 0);
      for (let i = 0; i < n; i++) {
        path.set(i);
        out.push(decodeValue(r, ety, path));
      }
      path.pop();
      return out;
    }
    case 'tuple': {
      if (kind !== 'array') throw kindMismatch(path, type, kind);
      const n = r.readArrayHeader();
      const etys = type[1];
      if (n !== etys.length) throw path.error(`tuple of ${etys.length} elements is required, got ${n}`);
      const out: CtyValue[] = [];
      path.push(INDEX, 0);
      for (let i = 0; i < n; i++) {
        path.set(i);
        out.push(decodeValue(r, etys[i]!, path));
      }
      path.pop();
      return out;
    }
    case 'map': {
      if (kind !== 'map') throw kindMismatch(path, type, kind);
      const n = r.readMapHeader();
      const ety = type[1];
      const out: Record<string, CtyValue> = {};
      path.push(KEY, '');
      for (let i = 0; i < n; i++) {
        const kk = r.peekKind();
        if (kk !== 'str' && kk !== 'bin') {
          path.pop();
          throw path.error(`map keys must be strings, got msgpack ${kk}`);
        }
        const key = r.readString();
        path.set(key);
        setKey(out, key, decodeValue(r, ety, path));
      }
      path.pop();
      return out;
    }
    case 'object': {
      if (kind !== 'map') throw kindMismatch(path, type, kind);
      const n = r.readMapHeader();
      const attrs = type[1];
      const out: Record<string, CtyValue> = {};
      path.push(ATTR, '');
      for (let i = 0; i < n; i++) {
        const kk = r.peekKind();
        if (kk !== 'str' && kk !== 'bin') {
          path.pop();
          throw path.error(`object attribute names must be strings, got msgpack ${kk}`);
        }
        const key = r.readString();
        path.set(key);
        if (!hasOwn(attrs, key)) throw path.error('unsupported attribute');
        setKey(out, key, decodeValue(r, attrs[key]!, path));
      }
      path.pop();
      for (const name of sortedAttrNames(attrs)) if (!hasOwn(out, name)) setKey(out, name, null);
      return out;
    }
    default:
      throw unsupportedType(path);
  }
}

function parseTypeJson(text: string, path: Path): CtyType {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw path.error('dynamic value type is not valid JSON');
  }
  try {
    return typeFromJson(json);
  } catch {
    throw path.error('dynamic value type is not a valid cty type');
  }
}

// ---------------------------------------------------------------------------------------------
// JSON decoding

/** A JSON number token, kept as text so no digit is lost. */
class JsonNumber {
  constructor(readonly text: string) {}
}

/** A JSON object, entries in document order (a repeated key: the last one wins). */
class JsonObject {
  constructor(readonly entries: readonly (readonly [string, JsonNode])[]) {}
}

type JsonNode = null | boolean | string | JsonNumber | JsonNode[] | JsonObject;

const MAX_JSON_DEPTH = 10_000;
const JSON_NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// eslint-disable-next-line no-control-regex
const JSON_PLAIN_STRING_RE = /[\\\u0000-\u001f]/;

class JsonSyntaxError extends Error {}

/** A small strict RFC 8259 parser that keeps number text. */
class JsonParser {
  private i = 0;
  private depth = 0;

  constructor(private readonly s: string) {}

  parseDocument(): JsonNode {
    const v = this.value();
    this.ws();
    if (this.i < this.s.length) this.fail('unexpected data after the JSON value');
    return v;
  }

  private fail(what: string): never {
    throw new JsonSyntaxError(`${what} at offset ${this.i}`);
  }

  private ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  private value(): JsonNode {
    this.ws();
    const s = this.s;
    const c = s.charCodeAt(this.i);
    switch (c) {
      case 0x7b /* { */:
        return this.object();
      case 0x5b /* [ */:
        return this.array();
      case 0x22 /* " */:
        return this.string();
      case 0x74 /* t */:
        return this.literal('true', true);
      case 0x66 /* f */:
        return this.literal('false', false);
      case 0x6e /* n */:
        return this.literal('null', null);
      default: {
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          JSON_NUMBER_RE.lastIndex = this.i;
          const m = JSON_NUMBER_RE.exec(s);
          if (m) {
            this.i += m[0].length;
            return new JsonNumber(m[0]);
          }
        }
        if (this.i >= s.length) this.fail('unexpected end of JSON');
        return this.fail('unexpected character');
      }
    }
  }

  private literal<T extends JsonNode>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.i)) this.fail('invalid literal');
    this.i += word.length;
    return v;
  }

  private enter(): void {
    if (++this.depth > MAX_JSON_DEPTH) this.fail('JSON nested too deeply');
  }

  private array(): JsonNode[] {
    this.enter();
    this.i++;
    const out: JsonNode[] = [];
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x5d) {
      this.i++;
      this.depth--;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.s.charCodeAt(this.i);
      if (c === 0x2c) {
        this.i++;
      } else if (c === 0x5d) {
        this.i++;
        this.depth--;
        return out;
      } else {
        this.fail("expected ',' or ']'");
      }
    }
  }

  private object(): JsonObject {
    this.enter();
    this.i++;
    const entries: [string, JsonNode][] = [];
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      this.depth--;
      return new JsonObject(entries);
    }
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) !== 0x22) this.fail('expected an object key');
      const key = this.string();
      this.ws();
      if (this.s.charCodeAt(this.i) !== 0x3a) this.fail("expected ':'");
      this.i++;
      entries.push([key, this.value()]);
      this.ws();
      const c = this.s.charCodeAt(this.i);
      if (c === 0x2c) {
        this.i++;
      } else if (c === 0x7d) {
        this.i++;
        this.depth--;
        return new JsonObject(entries);
      } else {
        this.fail("expected ',' or '}'");
      }
    }
  }

  private string(): string {
    const s = this.s;
    const start = this.i + 1;
    const end = s.indexOf('"', start);
    if (end < 0) this.fail('unterminated string');
    const plain = s.slice(start, end);
    if (!JSON_PLAIN_STRING_RE.test(plain)) {
      this.i = end + 1;
      return plain;
    }
    // Slow path: escapes (and a '"' found above may itself be escaped).
    let out = '';
    let i = start;
    let runStart = i;
    for (;;) {
      if (i >= s.length) {
        this.i = i;
        this.fail('unterminated string');
      }
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        out += s.slice(runStart, i);
        this.i = i + 1;
        return out;
      }
      if (c < 0x20) {
        this.i = i;
        this.fail('control character in string');
      }
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += s.slice(runStart, i);
      const e = s.charCodeAt(i + 1);
      switch (e) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          const hex = s.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.i = i;
            this.fail('invalid \\u escape');
          }
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          this.i = i;
          this.fail('invalid escape');
      }
      i += 2;
      runStart = i;
    }
  }
}

export interface DecodeJsonOptions {
  /**
   * Drop object attributes the type does not have, instead of failing (state written by an older
   * schema). Missing attributes are null either way.
   */
  readonly lenient?: boolean;
}

/**
 * Decodes cty's JSON value encoding (stored state). Empty input is null. Numbers are parsed
 * losslessly (see the module comment). Like go-cty, a string is accepted where a number or bool is
 * expected ("true"/"1", "false"/"0"), and a number or bool where a string is expected.
 */
export function decodeJson(type: CtyType, json: string | Uint8Array, options: DecodeJsonOptions = {}): CtyValue {
  const text =
    typeof json === 'string' ? json : Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8');
  if (text.length === 0) return null;
  let doc: JsonNode;
  try {
    doc = new JsonParser(text).parseDocument();
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new CtyCodecError('', `invalid JSON: ${e.message}`);
    throw e;
  }
  return fromJson(type, doc, new Path(), options.lenient === true);
}

function jsonKind(node: JsonNode): string {
  if (node === null) return 'null';
  if (typeof node === 'string') return 'a JSON string';
  if (typeof node === 'boolean') return 'a JSON bool';
  if (node instanceof JsonNumber) return 'a JSON number';
  if (node instanceof JsonObject) return 'a JSON object';
  return 'a JSON array';
}

function jsonMismatch(path: Path, type: CtyType, node: JsonNode): CtyCodecError {
  return path.error(`${typeName(type)} is required, got ${jsonKind(node)}`);
}

function jsonToPlain(node: JsonNode): unknown {
  if (node instanceof JsonNumber) return Number(node.text);
  if (node instanceof JsonObject) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of node.entries) Object.defineProperty(out, k, { value: jsonToPlain(v), enumerable: true });
    return out;
  }
  if (Array.isArray(node)) return node.map(jsonToPlain);
  return node;
}

function fromJson(type: CtyType, node: JsonNode, path: Path, lenient: boolean): CtyValue {
  if (node === null) return null;
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        if (typeof node === 'string') return node;
        if (node instanceof JsonNumber) return node.text;
        if (typeof node === 'boolean') return node ? 'true' : 'false';
        throw jsonMismatch(path, type, node);
      case 'bool':
        if (typeof node === 'boolean') return node;
        if (typeof node === 'string') {
          if (node === 'true' || node === '1') return true;
          if (node === 'false' || node === '0') return false;
          throw path.error('bool is required, got a string that is not a bool');
        }
        throw jsonMismatch(path, type, node);
      case 'number': {
        if (!(node instanceof JsonNumber) && typeof node !== 'string') throw jsonMismatch(path, type, node);
        const n = parseCtyNumber(node instanceof JsonNumber ? node.text : node);
        if (n === undefined) throw path.error('number is required, got a string that is not a decimal number');
        return n;
      }
      case 'dynamic': {
        if (!(node instanceof JsonObject)) throw jsonMismatch(path, type, node);
        let typeNode: JsonNode | undefined;
        let valueNode: JsonNode | undefined;
        for (const [k, v] of node.entries) {
          if (k === 'type') typeNode = v;
          else if (k === 'value') valueNode = v;
          else throw path.error('dynamic value JSON may only have "value" and "type" properties');
        }
        if (typeNode === undefined) throw path.error('dynamic value JSON is missing "type"');
        if (valueNode === undefined) throw path.error('dynamic value JSON is missing "value"');
        let t: CtyType;
        try {
          t = typeFromJson(jsonToPlain(typeNode));
        } catch {
          throw path.error('dynamic value type is not a valid cty type');
        }
        const inner = fromJson(t, valueNode, path, lenient);
        return t === 'dynamic' ? inner : new CtyDynamic(t, inner);
      }
      default:
        throw unsupportedType(path);
    }
  }
  switch (type[0]) {
    case 'list':
    case 'set': {
      if (!Array.isArray(node)) throw jsonMismatch(path, type, node);
      const ety = type[1];
      const out: CtyValue[] = [];
      path.push(INDEX, 0);
      for (let i = 0; i < node.length; i++) {
        path.set(i);
        out.push(fromJson(ety, node[i]!, path, lenient));
      }
      path.pop();
      return out;
    }
    case 'tuple': {
      if (!Array.isArray(node)) throw jsonMismatch(path, type, node);
      const etys = type[1];
      if (node.length !== etys.length)
        throw path.error(`tuple of ${etys.length} elements is required, got ${node.length}`);
      const out: CtyValue[] = [];
      path.push(INDEX, 0);
      for (let i = 0; i < node.length; i++) {
        path.set(i);
        out.push(fromJson(etys[i]!, node[i]!, path, lenient));
      }
      path.pop();
      return out;
    }
    case 'map': {
      if (!(node instanceof JsonObject)) throw jsonMismatch(path, type, node);
      const ety = type[1];
      const out: Record<string, CtyValue> = {};
      path.push(KEY, '');
      for (const [k, v] of node.entries) {
        path.set(k);
        setKey(out, k, fromJson(ety, v, path, lenient));
      }
      path.pop();
      return out;
    }
    case 'object': {
      if (!(node instanceof JsonObject)) throw jsonMismatch(path, type, node);
      const attrs = type[1];
      const out: Record<string, CtyValue> = {};
      path.push(ATTR, '');
      for (const [k, v] of node.entries) {
        path.set(k);
        if (!hasOwn(attrs, k)) {
          if (lenient) continue;
          throw path.error('unsupported attribute');
        }
        setKey(out, k, fromJson(attrs[k]!, v, path, lenient));
      }
      path.pop();
      for (const name of sortedAttrNames(attrs)) if (!hasOwn(out, name)) setKey(out, name, null);
      return out;
    }
    default:
      throw unsupportedType(path);
  }
}

// ---------------------------------------------------------------------------------------------
// JSON encoding

/**
 * Encodes a wholly known value in cty's JSON value encoding (as go-cty's json.Marshal: sorted
 * object attributes and map keys, numbers in plain decimal). Unknowns, NaN and infinities throw.
 */
export function encodeJson(type: CtyType, value: CtyValue): string {
  const parts: string[] = [];
  toJson(parts, type, value, new Path());
  return parts.join('');
}

function toJson(out: string[], type: CtyType, value: CtyValue, path: Path): void {
  if (value === null) {
    out.push('null');
    return;
  }
  if (isUnknown(value)) throw path.error('value is not known (JSON cannot hold unknown values)');
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        if (typeof value !== 'string') throw mismatch(path, type, value);
        out.push(goJsonString(value));
        return;
      case 'bool':
        if (typeof value !== 'boolean') throw mismatch(path, type, value);
        out.push(value ? 'true' : 'false');
        return;
      case 'number': {
        let d: Decimal | undefined;
        if (typeof value === 'number') {
          if (Number.isNaN(value)) throw path.error('number is required, got NaN (cty has no NaN)');
          d = decimalFromNumber(value);
        } else if (value instanceof CtyBigNumber) {
          d = parseDecimal(value.text);
          if (!d) throw path.error('number is required, got a CtyBigNumber whose text is not a decimal number');
        } else {
          throw mismatch(path, type, value);
        }
        if (d.inf) throw path.error('infinite numbers cannot be written as JSON');
        out.push(formatPlain(d));
        return;
      }
      case 'dynamic':
        if (!(value instanceof CtyDynamic)) {
          throw path.error(`dynamic is required (a CtyDynamic or null), got ${describeValue(value)}`);
        }
        if (value.type === 'dynamic') return toJson(out, 'dynamic', value.value, path);
        out.push('{"value":');
        toJson(out, value.type, value.value, path);
        out.push(`,"type":${ctyTypeJson(value.type)}}`);
        return;
      default:
        throw unsupportedType(path);
    }
  }
  switch (type[0]) {
    case 'list':
    case 'set':
    case 'tuple': {
      if (!Array.isArray(value)) throw mismatch(path, type, value);
      const items = value as readonly CtyValue[];
      if (type[0] === 'tuple' && items.length !== type[1].length) {
        throw path.error(`tuple of ${type[1].length} elements is required, got ${items.length} elements`);
      }
      out.push('[');
      path.push(INDEX, 0);
      for (let i = 0; i < items.length; i++) {
        path.set(i);
        if (i > 0) out.push(',');
        toJson(out, type[0] === 'tuple' ? type[1][i]! : type[1], items[i]!, path);
      }
      path.pop();
      out.push(']');
      return;
    }
    case 'map': {
      if (!isPlainObject(value)) throw mismatch(path, type, value);
      const keys = sortKeys(Object.keys(value));
      out.push('{');
      path.push(KEY, '');
      keys.forEach((k, i) => {
        path.set(k);
        if (i > 0) out.push(',');
        out.push(goJsonString(k), ':');
        toJson(out, type[1], value[k]!, path);
      });
      path.pop();
      out.push('}');
      return;
    }
    case 'object': {
      if (!isPlainObject(value)) throw mismatch(path, type, value);
      const attrs = type[1];
      for (const k of Object.keys(value)) {
        if (!hasOwn(attrs, k) && value[k] !== undefined) {
          path.push(ATTR, k);
          throw path.error('unsupported attribute (not in the object type)');
        }
      }
      out.push('{');
      path.push(ATTR, '');
      sortedAttrNames(attrs).forEach((name, i) => {
        path.set(name);
        if (i > 0) out.push(',');
        out.push(goJsonString(name), ':');
        const v = hasOwn(value, name) ? value[name] : undefined;
        toJson(out, attrs[name]!, v === undefined ? null : v, path);
      });
      path.pop();
      out.push('}');
      return;
    }
    default:
      throw unsupportedType(path);
  }
}

// ---------------------------------------------------------------------------------------------
// Equality

/**
 * Deep cty equality under the given type. Numbers compare by value (a JS number against a
 * CtyBigNumber by their decimal values, as cty would see them after encoding); sets ignore order
 * and duplicates; unknown equals only unknown; a missing object attribute equals null.
 */
export function valuesEqual(type: CtyType, a: CtyValue, b: CtyValue): boolean {
  return eq(type, a, b);
}

function eq(type: CtyType, a: CtyValue | undefined, b: CtyValue | undefined): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  if (a === null || b === null || isUnknown(a) || isUnknown(b)) return false;
  if (typeof type === 'string') {
    switch (type) {
      case 'number':
        if (typeof a === 'number' && typeof b === 'number') return false; // a !== b above
        if (!isNumberValue(a) || !isNumberValue(b)) return false;
        return numberKey(a) !== undefined && numberKey(a) === numberKey(b);
      case 'dynamic':
        return (
          a instanceof CtyDynamic &&
          b instanceof CtyDynamic &&
          typesEqual(a.type, b.type) &&
          eq(a.type, a.value, b.value)
        );
      default:
        return false; // strings and bools: only identical values are equal
    }
  }
  switch (type[0]) {
    case 'list':
    case 'tuple': {
      if (!Array.isArray(a) || !Array.isArray(b)) return false;
      const xs = a as readonly CtyValue[];
      const ys = b as readonly CtyValue[];
      if (xs.length !== ys.length) return false;
      for (let i = 0; i < xs.length; i++) {
        const ety = type[0] === 'tuple' ? type[1][i] : type[1];
        if (ety === undefined || !eq(ety, xs[i], ys[i])) return false;
      }
      return true;
    }
    case 'set': {
      if (!Array.isArray(a) || !Array.isArray(b)) return false;
      const ety = type[1];
      const ka = new Set((a as readonly CtyValue[]).map((v) => canonicalKey(ety, v)));
      const kb = new Set((b as readonly CtyValue[]).map((v) => canonicalKey(ety, v)));
      if (ka.size !== kb.size) return false;
      for (const k of ka) if (!kb.has(k)) return false;
      return true;
    }
    case 'map': {
      if (!isPlainObject(a) || !isPlainObject(b)) return false;
      const ka = Object.keys(a).filter((k) => a[k] !== undefined);
      const kb = Object.keys(b).filter((k) => b[k] !== undefined);
      if (ka.length !== kb.length) return false;
      for (const k of ka) if (!hasOwn(b, k) || !eq(type[1], a[k], b[k])) return false;
      return true;
    }
    case 'object': {
      if (!isPlainObject(a) || !isPlainObject(b)) return false;
      const attrs = type[1];
      for (const name of Object.keys(attrs)) {
        const x = hasOwn(a, name) ? a[name] : null;
        const y = hasOwn(b, name) ? b[name] : null;
        if (!eq(attrs[name]!, x, y)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function isNumberValue(v: CtyValue): v is number | CtyBigNumber {
  return typeof v === 'number' || v instanceof CtyBigNumber;
}

/** A string that is equal for two values exactly when `valuesEqual` holds (used for sets). */
function canonicalKey(type: CtyType, value: CtyValue | undefined): string {
  if (value === null || value === undefined) return 'N';
  if (isUnknown(value)) return '?';
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        return typeof value === 'string' ? JSON.stringify(value) : '!';
      case 'bool':
        return value === true ? 'T' : value === false ? 'F' : '!';
      case 'number':
        return isNumberValue(value) ? `#${numberKey(value) ?? '!'}` : '!';
      case 'dynamic':
        return value instanceof CtyDynamic
          ? `D${ctyTypeJson(value.type)}:${canonicalKey(value.type, value.value)}`
          : '!';
      default:
        return '!';
    }
  }
  if (!Array.isArray(value) && !isPlainObject(value)) return '!';
  switch (type[0]) {
    case 'list':
    case 'tuple':
      if (!Array.isArray(value)) return '!';
      return `[${(value as readonly CtyValue[])
        .map((v, i) => canonicalKey(type[0] === 'tuple' ? (type[1][i] ?? 'dynamic') : (type[1] as CtyType), v))
        .join(',')}]`;
    case 'set':
      if (!Array.isArray(value)) return '!';
      return `<${[...new Set((value as readonly CtyValue[]).map((v) => canonicalKey(type[1], v)))].sort().join(',')}>`;
    case 'map': {
      if (!isPlainObject(value)) return '!';
      const keys = Object.keys(value)
        .filter((k) => value[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalKey(type[1], value[k])}`).join(',')}}`;
    }
    case 'object': {
      if (!isPlainObject(value)) return '!';
      const attrs = type[1];
      return `(${sortedAttrNames(attrs)
        .map((n) => canonicalKey(attrs[n]!, hasOwn(value, n) ? value[n] : null))
        .join(',')})`;
    }
    default:
      return '!';
  }
}
