/**
 * A tiny, exact DER (X.690 Distinguished Encoding Rules) encoder: just enough to build an X.509
 * certificate by hand, since Node 20 can parse certificates but not create them.
 *
 * Go's `crypto/x509` / `cryptobyte` parser is strict, so every helper produces the one canonical
 * encoding: minimal definite lengths, minimal two's-complement INTEGERs, BOOLEAN TRUE = 0xFF,
 * named BIT STRINGs without trailing zero bits, and UTCTime/GeneralizedTime chosen per RFC 5280.
 *
 * Every encoder returns the complete TLV (tag, length, value) as a Buffer, so they nest directly:
 * `sequence(integer(2n), oid('1.2.3'))`.
 */

/** Universal tag numbers used here (X.680 §8.6). */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OBJECT_IDENTIFIER: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30, // 0x10 | constructed
  SET: 0x31, // 0x11 | constructed
} as const;

const CLASS_CONTEXT = 0x80;
const CONSTRUCTED = 0x20;

/** Encodes a definite length: short form below 128, otherwise 0x80|n followed by n minimal big-endian bytes. */
export function encodeLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`DER: invalid length ${length}`);
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Tag + length + content. `tag` is a complete single identifier octet (class, constructed bit and number < 31). */
export function tlv(tag: number, content: Uint8Array): Buffer {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) {
    throw new RangeError(`DER: unsupported identifier octet ${tag}`);
  }
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export function sequence(...items: Uint8Array[]): Buffer {
  return tlv(Tag.SEQUENCE, Buffer.concat(items));
}

/**
 * SET OF: DER requires the elements sorted by their encodings (X.690 §11.6), compared as octet
 * strings with the shorter one padded with trailing zeros.
 */
export function set(...items: Uint8Array[]): Buffer {
  const sorted = items.map((item) => Buffer.from(item)).sort(compareSetElements);
  return tlv(Tag.SET, Buffer.concat(sorted));
}

function compareSetElements(a: Buffer, b: Buffer): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = i < a.length ? a[i]! : 0;
    const y = i < b.length ? b[i]! : 0;
    if (x !== y) return x - y;
  }
  return 0;
}

/** Minimal two's-complement content octets of an integer. */
export function integerContent(value: bigint): Buffer {
  if (value >= 0n) {
    let hex = value.toString(16);
    if (hex.length % 2 === 1) hex = '0' + hex;
    const bytes = Buffer.from(hex, 'hex');
    // A leading 0x00 only when the top bit would otherwise make the number read as negative.
    return bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
  }
  // Smallest n with -2^(8n-1) <= value, then value + 2^(8n) as n big-endian bytes.
  let n = 1;
  while (value < -(1n << BigInt(8 * n - 1))) n++;
  let hex = ((1n << BigInt(8 * n)) + value).toString(16);
  hex = hex.padStart(2 * n, '0');
  return Buffer.from(hex, 'hex');
}

/** INTEGER from a (possibly negative) bigint or a safe JS integer. */
export function integer(value: bigint | number): Buffer {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`DER: ${value} is not a safe integer`);
    value = BigInt(value);
  }
  return tlv(Tag.INTEGER, integerContent(value));
}

/** INTEGER whose value is the given bytes read as an UNSIGNED big-endian number (always non-negative). */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  return integer(bytesToBigInt(bytes, false));
}

/** INTEGER whose value is the given bytes read as a SIGNED (two's-complement) big-endian number. */
export function signedInteger(bytes: Uint8Array): Buffer {
  return integer(bytesToBigInt(bytes, true));
}

function bytesToBigInt(bytes: Uint8Array, signed: boolean): bigint {
  if (bytes.length === 0) throw new RangeError('DER: an INTEGER needs at least one byte');
  let value = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  if (signed && bytes[0]! & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return value;
}

export function boolean(value: boolean): Buffer {
  return tlv(Tag.BOOLEAN, Buffer.from([value ? 0xff : 0x00]));
}

export function nullValue(): Buffer {
  return tlv(Tag.NULL, Buffer.alloc(0));
}

/** OBJECT IDENTIFIER from dotted decimal, e.g. "1.2.840.10045.4.3.2". */
export function oid(dotted: string): Buffer {
  if (!/^\d+(\.\d+)+$/.test(dotted)) throw new RangeError(`DER: invalid OID "${dotted}"`);
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  const [first, second] = arcs as [bigint, bigint];
  if (first > 2n || (first < 2n && second > 39n)) throw new RangeError(`DER: invalid OID "${dotted}"`);
  const subidentifiers = [first * 40n + second, ...arcs.slice(2)];
  const out: number[] = [];
  for (const sub of subidentifiers) {
    const groups: number[] = [Number(sub & 0x7fn)];
    for (let rest = sub >> 7n; rest > 0n; rest >>= 7n) groups.unshift(Number(rest & 0x7fn) | 0x80);
    out.push(...groups);
  }
  return tlv(Tag.OBJECT_IDENTIFIER, Buffer.from(out));
}

/** BIT STRING with the given content octets; `unusedBits` (0–7) low bits of the last octet must be zero. */
export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) {
    throw new RangeError(`DER: invalid unused-bit count ${unusedBits}`);
  }
  if (bytes.length === 0 && unusedBits !== 0) throw new RangeError('DER: an empty BIT STRING has no unused bits');
  if (bytes.length > 0 && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    throw new RangeError('DER: the unused bits of a BIT STRING must be zero');
  }
  return tlv(Tag.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/**
 * BIT STRING for a NamedBitList (e.g. KeyUsage): bit 0 is the most significant bit of the first
 * octet, and DER drops trailing zero bits (X.690 §11.2.2).
 */
export function namedBitString(setBits: readonly number[]): Buffer {
  if (setBits.length === 0) return bitString(Buffer.alloc(0));
  for (const bit of setBits) {
    if (!Number.isInteger(bit) || bit < 0) throw new RangeError(`DER: invalid bit number ${bit}`);
  }
  const highest = Math.max(...setBits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of setBits) bytes[bit >> 3] |= 0x80 >> (bit & 7);
  return bitString(bytes, 7 - (highest & 7));
}

export function octetString(bytes: Uint8Array): Buffer {
  return tlv(Tag.OCTET_STRING, bytes);
}

export function utf8String(text: string): Buffer {
  return tlv(Tag.UTF8_STRING, Buffer.from(text, 'utf8'));
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function printableString(text: string): Buffer {
  if (!PRINTABLE.test(text)) throw new RangeError(`DER: "${text}" is not a PrintableString`);
  return tlv(Tag.PRINTABLE_STRING, Buffer.from(text, 'latin1'));
}

export function ia5String(text: string): Buffer {
  // IA5 is 7-bit ASCII, NUL included.
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(text)) throw new RangeError(`DER: "${text}" is not an IA5String`);
  return tlv(Tag.IA5_STRING, Buffer.from(text, 'latin1'));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function timeDigits(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('DER: invalid date');
  return (
    pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2) +
    'Z'
  );
}

/** UTCTime "YYMMDDHHMMSSZ" (seconds precision, fractions dropped); only years 1950–2049 are representable. */
export function utcTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new RangeError(`DER: UTCTime cannot hold year ${year}`);
  return tlv(Tag.UTC_TIME, Buffer.from(pad(year % 100, 2) + timeDigits(date), 'latin1'));
}

/** GeneralizedTime "YYYYMMDDHHMMSSZ" (RFC 5280 §4.1.2.5.2: no fractional seconds). */
export function generalizedTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`DER: GeneralizedTime cannot hold year ${year}`);
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(pad(year, 4) + timeDigits(date), 'latin1'));
}

/** RFC 5280 §4.1.2.5 Time: UTCTime through 2049, GeneralizedTime from 2050 (and before 1950). */
export function x509Time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? utcTime(date) : generalizedTime(date);
}

/** `[n] EXPLICIT`: a constructed context-specific tag wrapping a complete encoding. */
export function explicit(tagNumber: number, inner: Uint8Array): Buffer {
  return tlv(CLASS_CONTEXT | CONSTRUCTED | checkTagNumber(tagNumber), inner);
}

/**
 * `[n] IMPLICIT`: a context-specific tag replacing the identifier of the underlying type. Pass the
 * underlying content octets (not a TLV) and whether the underlying type is constructed (SEQUENCE/SET).
 */
export function implicit(tagNumber: number, content: Uint8Array, constructed = false): Buffer {
  return tlv(CLASS_CONTEXT | (constructed ? CONSTRUCTED : 0) | checkTagNumber(tagNumber), content);
}

function checkTagNumber(tagNumber: number): number {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30) {
    throw new RangeError(`DER: unsupported context tag number ${tagNumber}`);
  }
  return tagNumber;
}

/** One element read back from DER: identifier octet, content, and the offset just past it. */
export interface DerElement {
  tag: number;
  content: Buffer;
  end: number;
}

/**
 * Reads one TLV at `offset` (single-octet identifiers, definite lengths). Used to pick apart the
 * SubjectPublicKeyInfo Node exports; strict enough to reject non-minimal lengths.
 */
export function readElement(buf: Buffer, offset = 0): DerElement {
  if (offset + 2 > buf.length) throw new RangeError('DER: truncated element');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new RangeError('DER: multi-octet identifiers are not supported');
  let length = buf[offset + 1]!;
  let pos = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new RangeError('DER: unsupported length form');
    if (pos + count > buf.length) throw new RangeError('DER: truncated length');
    if (buf[pos] === 0) throw new RangeError('DER: non-minimal length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos + i]!;
    if (length < 0x80) throw new RangeError('DER: non-minimal length');
    pos += count;
  }
  if (pos + length > buf.length) throw new RangeError('DER: truncated content');
  return { tag, content: buf.subarray(pos, pos + length), end: pos + length };
}

/** The elements directly inside a constructed element's content. */
export function readChildren(content: Buffer): DerElement[] {
  const out: DerElement[] = [];
  for (let offset = 0; offset < content.length;) {
    const element = readElement(content, offset);
    out.push(element);
    offset = element.end;
  }
  return out;
}
