/**
 * A minimal MessagePack reader and writer: exactly the subset cty's msgpack encoding uses (nil, bool,
 * int of every width, float32/64, str, bin, array, map, ext/fixext). Integers are written in the
 * smallest form, the way vmihailenco/msgpack's compact EncodeInt does (positive values use the uint
 * family), so the output matches go-cty byte for byte. The codec in `codec.ts` drives these
 * type-directed; nothing here knows about cty.
 */

export class MsgpackError extends Error {
  override readonly name = 'MsgpackError';
}

export type MsgpackKind = 'nil' | 'bool' | 'int' | 'float' | 'str' | 'bin' | 'array' | 'map' | 'ext';

const TWO_32 = 0x1_0000_0000;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** Strings shorter than this (in UTF-16 units) can never need more than 30 UTF-8 bytes: fixstr. */
const SHORT_STRING = 11;
/** Up to this length the header size can be guessed from 3 bytes/unit without measuring. */
const GUESS_HEADER_LIMIT = 0x5555;

function strHeaderSize(byteLength: number): number {
  if (byteLength < 32) return 1;
  if (byteLength < 0x100) return 2;
  if (byteLength < 0x10000) return 3;
  return 5;
}

export class MsgpackWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far, as a view (no copy). */
  finish(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos);
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  writeNil(): void {
    this.ensure(1);
    this.buf[this.pos++] = 0xc0;
  }

  writeBool(value: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = value ? 0xc3 : 0xc2;
  }

  /** A safe integer, in the smallest encoding (non-negative values use fixint/uint8..uint64). */
  writeInt(n: number): void {
    if (!Number.isSafeInteger(n)) throw new MsgpackError('writeInt needs a safe integer');
    this.ensure(9);
    const buf = this.buf;
    let p = this.pos;
    if (n >= 0) {
      if (n < 0x80) {
        buf[p++] = n;
      } else if (n < 0x100) {
        buf[p++] = 0xcc;
        buf[p++] = n;
      } else if (n < 0x10000) {
        buf[p++] = 0xcd;
        buf.writeUInt16BE(n, p);
        p += 2;
      } else if (n < TWO_32) {
        buf[p++] = 0xce;
        buf.writeUInt32BE(n, p);
        p += 4;
      } else {
        buf[p++] = 0xcf;
        buf.writeUInt32BE(Math.floor(n / TWO_32), p);
        buf.writeUInt32BE(n % TWO_32, p + 4);
        p += 8;
      }
    } else if (n >= -32) {
      buf[p++] = n & 0xff;
    } else if (n >= -0x80) {
      buf[p++] = 0xd0;
      buf.writeInt8(n, p);
      p += 1;
    } else if (n >= -0x8000) {
      buf[p++] = 0xd1;
      buf.writeInt16BE(n, p);
      p += 2;
    } else if (n >= -0x8000_0000) {
      buf[p++] = 0xd2;
      buf.writeInt32BE(n, p);
      p += 4;
    } else {
      buf[p++] = 0xd3;
      buf.writeBigInt64BE(BigInt(n), p);
      p += 8;
    }
    this.pos = p;
  }

  /** An integer in int64 ∪ uint64 range, in the smallest encoding. */
  writeBigInt(n: bigint): void {
    if (n >= -9007199254740991n && n <= 9007199254740991n) {
      this.writeInt(Number(n));
      return;
    }
    if (n < INT64_MIN || n > UINT64_MAX) throw new MsgpackError('integer out of int64/uint64 range');
    this.ensure(9);
    if (n >= 0n) {
      this.buf[this.pos] = 0xcf;
      this.buf.writeBigUInt64BE(n, this.pos + 1);
    } else {
      this.buf[this.pos] = 0xd3;
      this.buf.writeBigInt64BE(n, this.pos + 1);
    }
    this.pos += 9;
  }

  writeFloat64(n: number): void {
    this.ensure(9);
    this.buf[this.pos] = 0xcb;
    this.buf.writeDoubleBE(n, this.pos + 1);
    this.pos += 9;
  }

  writeFloat32(n: number): void {
    this.ensure(5);
    this.buf[this.pos] = 0xca;
    this.buf.writeFloatBE(n, this.pos + 1);
    this.pos += 5;
  }

  private writeLengthHeader(byteLength: number, fixBase: number, code8: number, code16: number, code32: number): void {
    const buf = this.buf;
    let p = this.pos;
    if (fixBase >= 0 && byteLength < 32) {
      buf[p++] = fixBase | byteLength;
    } else if (byteLength < 0x100) {
      buf[p++] = code8;
      buf[p++] = byteLength;
    } else if (byteLength < 0x10000) {
      buf[p++] = code16;
      buf.writeUInt16BE(byteLength, p);
      p += 2;
    } else {
      buf[p++] = code32;
      buf.writeUInt32BE(byteLength, p);
      p += 4;
    }
    this.pos = p;
  }

  /** A UTF-8 str (fixstr/str8/str16/str32, smallest that fits). */
  writeString(s: string): void {
    const len = s.length;
    if (len < SHORT_STRING) {
      this.ensure(1 + len * 3);
      const buf = this.buf;
      const start = this.pos;
      let p = start + 1;
      for (let i = 0; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          p = start + 1 + buf.write(s, start + 1, 'utf8');
          break;
        }
        buf[p++] = c;
      }
      buf[start] = 0xa0 | (p - start - 1);
      this.pos = p;
      return;
    }
    if (len <= GUESS_HEADER_LIMIT) {
      const header = strHeaderSize(len);
      if (header === strHeaderSize(len * 3)) {
        // The header size is the same whatever the UTF-8 length: write the bytes, then the header.
        this.ensure(header + len * 3);
        const start = this.pos;
        const written = this.buf.write(s, start + header, 'utf8');
        this.writeLengthHeader(written, 0xa0, 0xd9, 0xda, 0xdb);
        this.pos = start + header + written;
        return;
      }
    }
    const byteLength = Buffer.byteLength(s, 'utf8');
    this.ensure(5 + byteLength);
    this.writeLengthHeader(byteLength, 0xa0, 0xd9, 0xda, 0xdb);
    this.pos += this.buf.write(s, this.pos, byteLength, 'utf8');
  }

  /** A bin (bin8/bin16/bin32). */
  writeBin(bytes: Uint8Array): void {
    this.ensure(5 + bytes.length);
    this.writeLengthHeader(bytes.length, -1, 0xc4, 0xc5, 0xc6);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  writeArrayHeader(n: number): void {
    this.ensure(5);
    if (n < 16) this.buf[this.pos++] = 0x90 | n;
    else if (n < 0x10000) {
      this.buf[this.pos] = 0xdc;
      this.buf.writeUInt16BE(n, this.pos + 1);
      this.pos += 3;
    } else {
      this.buf[this.pos] = 0xdd;
      this.buf.writeUInt32BE(n, this.pos + 1);
      this.pos += 5;
    }
  }

  writeMapHeader(n: number): void {
    this.ensure(5);
    if (n < 16) this.buf[this.pos++] = 0x80 | n;
    else if (n < 0x10000) {
      this.buf[this.pos] = 0xde;
      this.buf.writeUInt16BE(n, this.pos + 1);
      this.pos += 3;
    } else {
      this.buf[this.pos] = 0xdf;
      this.buf.writeUInt32BE(n, this.pos + 1);
      this.pos += 5;
    }
  }

  /** An extension value: fixext1/2/4/8/16 when the payload length allows, else ext8/16/32. */
  writeExt(type: number, data: Uint8Array): void {
    const len = data.length;
    this.ensure(6 + len);
    const buf = this.buf;
    const fix = len === 1 ? 0xd4 : len === 2 ? 0xd5 : len === 4 ? 0xd6 : len === 8 ? 0xd7 : len === 16 ? 0xd8 : 0;
    if (fix) {
      buf[this.pos++] = fix;
    } else if (len < 0x100) {
      buf[this.pos++] = 0xc7;
      buf[this.pos++] = len;
    } else if (len < 0x10000) {
      buf[this.pos] = 0xc8;
      buf.writeUInt16BE(len, this.pos + 1);
      this.pos += 3;
    } else {
      buf[this.pos] = 0xc9;
      buf.writeUInt32BE(len, this.pos + 1);
      this.pos += 5;
    }
    buf.writeInt8(type, this.pos++);
    buf.set(data, this.pos);
    this.pos += len;
  }

  /** Bytes that are already msgpack. */
  writeRaw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}

const KINDS: (MsgpackKind | undefined)[] = (() => {
  const k: (MsgpackKind | undefined)[] = new Array(256).fill(undefined);
  for (let b = 0x00; b <= 0x7f; b++) k[b] = 'int';
  for (let b = 0x80; b <= 0x8f; b++) k[b] = 'map';
  for (let b = 0x90; b <= 0x9f; b++) k[b] = 'array';
  for (let b = 0xa0; b <= 0xbf; b++) k[b] = 'str';
  k[0xc0] = 'nil';
  k[0xc2] = k[0xc3] = 'bool';
  k[0xc4] = k[0xc5] = k[0xc6] = 'bin';
  k[0xc7] = k[0xc8] = k[0xc9] = 'ext';
  k[0xca] = k[0xcb] = 'float';
  for (let b = 0xcc; b <= 0xd3; b++) k[b] = 'int';
  for (let b = 0xd4; b <= 0xd8; b++) k[b] = 'ext';
  k[0xd9] = k[0xda] = k[0xdb] = 'str';
  k[0xdc] = k[0xdd] = 'array';
  k[0xde] = k[0xdf] = 'map';
  for (let b = 0xe0; b <= 0xff; b++) k[b] = 'int';
  return k;
})();

export interface MsgpackExt {
  readonly type: number;
  /** A view into the input (no copy). */
  readonly data: Uint8Array;
}

export class MsgpackReader {
  private readonly buf: Buffer;
  private pos = 0;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new MsgpackError('unexpected end of msgpack data');
  }

  /** The kind of the next value, without consuming it. */
  peekKind(): MsgpackKind {
    this.need(1);
    const kind = KINDS[this.buf[this.pos]!];
    if (kind === undefined) throw new MsgpackError('invalid msgpack type byte 0xc1');
    return kind;
  }

  private expect(kind: MsgpackKind, wanted: string): void {
    const got = this.peekKind();
    if (got !== kind) throw new MsgpackError(`expected msgpack ${wanted}, got ${got}`);
  }

  readNil(): null {
    this.expect('nil', 'nil');
    this.pos++;
    return null;
  }

  readBool(): boolean {
    this.expect('bool', 'bool');
    return this.buf[this.pos++] === 0xc3;
  }

  /** Any int form. 64-bit values outside the safe-integer range come back as bigint. */
  readInt(): number | bigint {
    this.expect('int', 'int');
    const buf = this.buf;
    const b = buf[this.pos]!;
    if (b < 0x80) {
      this.pos++;
      return b;
    }
    if (b >= 0xe0) {
      this.pos++;
      return b - 0x100;
    }
    const p = this.pos + 1;
    let v: number | bigint;
    let size: number;
    switch (b) {
      case 0xcc:
        size = 1;
        this.need(1 + size);
        v = buf[p]!;
        break;
      case 0xcd:
        size = 2;
        this.need(1 + size);
        v = buf.readUInt16BE(p);
        break;
      case 0xce:
        size = 4;
        this.need(1 + size);
        v = buf.readUInt32BE(p);
        break;
      case 0xcf:
        size = 8;
        this.need(1 + size);
        v = buf.readBigUInt64BE(p);
        break;
      case 0xd0:
        size = 1;
        this.need(1 + size);
        v = buf.readInt8(p);
        break;
      case 0xd1:
        size = 2;
        this.need(1 + size);
        v = buf.readInt16BE(p);
        break;
      case 0xd2:
        size = 4;
        this.need(1 + size);
        v = buf.readInt32BE(p);
        break;
      default: // 0xd3
        size = 8;
        this.need(1 + size);
        v = buf.readBigInt64BE(p);
        break;
    }
    this.pos = p + size;
    if (typeof v === 'bigint' && v >= -9007199254740991n && v <= 9007199254740991n) return Number(v);
    return v;
  }

  readFloat(): number {
    this.expect('float', 'float');
    if (this.buf[this.pos] === 0xca) {
      this.need(5);
      const v = this.buf.readFloatBE(this.pos + 1);
      this.pos += 5;
      return v;
    }
    this.need(9);
    const v = this.buf.readDoubleBE(this.pos + 1);
    this.pos += 9;
    return v;
  }

  /** Length of a str or bin at the cursor; moves the cursor past the header. */
  private readBytesHeader(): number {
    const buf = this.buf;
    const b = buf[this.pos]!;
    let len: number;
    switch (b) {
      case 0xd9:
      case 0xc4:
        this.need(2);
        len = buf[this.pos + 1]!;
        this.pos += 2;
        break;
      case 0xda:
      case 0xc5:
        this.need(3);
        len = buf.readUInt16BE(this.pos + 1);
        this.pos += 3;
        break;
      case 0xdb:
      case 0xc6:
        this.need(5);
        len = buf.readUInt32BE(this.pos + 1);
        this.pos += 5;
        break;
      default:
        if (b < 0xa0 || b > 0xbf) throw new MsgpackError(`expected msgpack str or bin, got ${this.peekKind()}`);
        len = b & 0x1f;
        this.pos++;
    }
    this.need(len);
    return len;
  }

  /** A str (or bin, as Go's msgpack DecodeString allows), decoded as UTF-8. */
  readString(): string {
    this.need(1);
    const len = this.readBytesHeader();
    const start = this.pos;
    this.pos += len;
    return this.buf.toString('utf8', start, start + len);
  }

  /** A bin (or str, as Go's msgpack DecodeBytes allows), as a view into the input. */
  readBytes(): Uint8Array {
    this.need(1);
    const len = this.readBytesHeader();
    const start = this.pos;
    this.pos += len;
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + start, len);
  }

  private readContainerHeader(fixLow: number, code16: number, code32: number, wanted: MsgpackKind): number {
    this.expect(wanted, wanted);
    const buf = this.buf;
    const b = buf[this.pos]!;
    let n: number;
    if (b >= fixLow && b <= fixLow + 0x0f) {
      n = b & 0x0f;
      this.pos++;
    } else if (b === code16) {
      this.need(3);
      n = buf.readUInt16BE(this.pos + 1);
      this.pos += 3;
    } else if (b === code32) {
      this.need(5);
      n = buf.readUInt32BE(this.pos + 1);
      this.pos += 5;
    } else {
      throw new MsgpackError(`expected msgpack ${wanted}`);
    }
    return n;
  }

  /** Element count of an array. Rejects counts the remaining input cannot possibly hold. */
  readArrayHeader(): number {
    const n = this.readContainerHeader(0x90, 0xdc, 0xdd, 'array');
    if (n > this.remaining) throw new MsgpackError('msgpack array length exceeds the data');
    return n;
  }

  /** Entry count of a map. Rejects counts the remaining input cannot possibly hold. */
  readMapHeader(): number {
    const n = this.readContainerHeader(0x80, 0xde, 0xdf, 'map');
    if (n * 2 > this.remaining) throw new MsgpackError('msgpack map length exceeds the data');
    return n;
  }

  readExt(): MsgpackExt {
    this.expect('ext', 'ext');
    const buf = this.buf;
    const b = buf[this.pos]!;
    let len: number;
    let header: number;
    switch (b) {
      case 0xd4:
        len = 1;
        header = 1;
        break;
      case 0xd5:
        len = 2;
        header = 1;
        break;
      case 0xd6:
        len = 4;
        header = 1;
        break;
      case 0xd7:
        len = 8;
        header = 1;
        break;
      case 0xd8:
        len = 16;
        header = 1;
        break;
      case 0xc7:
        this.need(2);
        len = buf[this.pos + 1]!;
        header = 2;
        break;
      case 0xc8:
        this.need(3);
        len = buf.readUInt16BE(this.pos + 1);
        header = 3;
        break;
      default: // 0xc9
        this.need(5);
        len = buf.readUInt32BE(this.pos + 1);
        header = 5;
        break;
    }
    this.need(header + 1 + len);
    const type = buf.readInt8(this.pos + header);
    const start = this.pos + header + 1;
    this.pos = start + len;
    return { type, data: new Uint8Array(buf.buffer, buf.byteOffset + start, len) };
  }

  /** Skips one complete value (iteratively, so deep nesting cannot overflow the stack). */
  skip(): void {
    let pending = 1;
    while (pending > 0) {
      pending--;
      switch (this.peekKind()) {
        case 'nil':
        case 'bool':
          this.pos++;
          break;
        case 'int':
          this.readInt();
          break;
        case 'float':
          this.readFloat();
          break;
        case 'str':
        case 'bin':
          this.readBytes();
          break;
        case 'ext':
          this.readExt();
          break;
        case 'array':
          pending += this.readArrayHeader();
          break;
        case 'map':
          pending += 2 * this.readMapHeader();
          break;
      }
    }
  }
}
