import { MsgpackError, MsgpackReader, MsgpackWriter } from '../../src/provider/protocol/cty/msgpack';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

function written(fn: (w: MsgpackWriter) => void, initialCapacity?: number): string {
  const w = new MsgpackWriter(initialCapacity);
  fn(w);
  return hex(w.finish());
}

describe('MsgpackWriter', () => {
  // Expected bytes are vmihailenco/msgpack v5 compact output (what go-cty v1.18 produces).
  it.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, 'cc80'],
    [255, 'ccff'],
    [256, 'cd0100'],
    [65535, 'cdffff'],
    [65536, 'ce00010000'],
    [4294967295, 'ceffffffff'],
    [4294967296, 'cf0000000100000000'],
    [Number.MAX_SAFE_INTEGER, 'cf001fffffffffffff'],
    [-1, 'ff'],
    [-32, 'e0'],
    [-33, 'd0df'],
    [-128, 'd080'],
    [-129, 'd1ff7f'],
    [-32768, 'd18000'],
    [-32769, 'd2ffff7fff'],
    [-2147483648, 'd280000000'],
    [-2147483649, 'd3ffffffff7fffffff'],
    [Number.MIN_SAFE_INTEGER, 'd3ffe0000000000001'],
  ])('writes int %d in the smallest form', (n, expected) => {
    expect(written((w) => w.writeInt(n))).toBe(expected);
  });

  it('rejects non-safe integers in writeInt', () => {
    expect(() => written((w) => w.writeInt(2 ** 53))).toThrow(MsgpackError);
    expect(() => written((w) => w.writeInt(1.5))).toThrow(MsgpackError);
  });

  it.each([
    [2n ** 64n - 1n, 'cfffffffffffffffff'],
    [2n ** 63n, 'cf8000000000000000'],
    [-(2n ** 63n), 'd38000000000000000'],
    [2n ** 53n, 'cf0020000000000000'],
    [300n, 'cd012c'],
    [-5n, 'fb'],
  ])('writes bigint %s', (n, expected) => {
    expect(written((w) => w.writeBigInt(n))).toBe(expected);
  });

  it('rejects bigints outside int64 ∪ uint64', () => {
    expect(() => written((w) => w.writeBigInt(2n ** 64n))).toThrow(MsgpackError);
    expect(() => written((w) => w.writeBigInt(-(2n ** 63n) - 1n))).toThrow(MsgpackError);
  });

  it('writes floats, nil and bools', () => {
    expect(written((w) => w.writeFloat64(1.5))).toBe('cb3ff8000000000000');
    expect(written((w) => w.writeFloat64(-Infinity))).toBe('cbfff0000000000000');
    expect(written((w) => w.writeFloat32(1.5))).toBe('ca3fc00000');
    expect(written((w) => (w.writeNil(), w.writeBool(true), w.writeBool(false)))).toBe('c0c3c2');
  });

  it.each([
    [0, 'a0'],
    [31, 'bf'],
    [32, 'd920'],
    [255, 'd9ff'],
    [256, 'da0100'],
    [65535, 'daffff'],
    [65536, 'db00010000'],
  ])('uses the right str header for %d bytes', (n, header) => {
    const out = written((w) => w.writeString('x'.repeat(n)));
    expect(out.slice(0, header.length)).toBe(header);
    expect(out.length).toBe(header.length + 2 * n);
  });

  it('encodes strings as UTF-8, sizing the header by bytes not characters', () => {
    expect(written((w) => w.writeString('é'))).toBe('a2c3a9');
    expect(written((w) => w.writeString('😀'))).toBe('a4f09f9880');
    // 11 two-byte characters = 22 bytes (fixstr); 16 = 32 bytes (str8); 86 three-byte = 258 (str16).
    expect(written((w) => w.writeString('é'.repeat(11))).slice(0, 2)).toBe('b6');
    expect(written((w) => w.writeString('é'.repeat(16))).slice(0, 4)).toBe('d920');
    expect(written((w) => w.writeString('日'.repeat(86))).slice(0, 6)).toBe('da0102');
    expect(written((w) => w.writeString('a日'.repeat(8))).slice(0, 4)).toBe('d920');
    expect(written((w) => w.writeString('é'.repeat(40)))).toBe('d950' + 'c3a9'.repeat(40));
    expect(written((w) => w.writeString('日'.repeat(300)))).toBe('da0384' + 'e697a5'.repeat(300));
  });

  it('writes bin, array, map and ext headers', () => {
    expect(written((w) => w.writeBin(new Uint8Array([1, 2])))).toBe('c4020102');
    expect(written((w) => w.writeBin(new Uint8Array(256))).slice(0, 6)).toBe('c50100');
    expect(written((w) => w.writeArrayHeader(15))).toBe('9f');
    expect(written((w) => w.writeArrayHeader(16))).toBe('dc0010');
    expect(written((w) => w.writeArrayHeader(65536))).toBe('dd00010000');
    expect(written((w) => w.writeMapHeader(2))).toBe('82');
    expect(written((w) => w.writeMapHeader(16))).toBe('de0010');
    expect(written((w) => w.writeExt(0, new Uint8Array([0])))).toBe('d40000');
    expect(written((w) => w.writeExt(12, new Uint8Array([0x81, 0x01, 0xc2])))).toBe('c7030c8101c2');
    expect(written((w) => w.writeExt(-1, new Uint8Array(4)))).toBe('d6ff00000000');
  });

  it('grows its buffer from a tiny initial capacity without corrupting earlier bytes', () => {
    const w = new MsgpackWriter(1);
    for (let i = 0; i < 1000; i++) w.writeInt(i);
    w.writeString('z'.repeat(100_000));
    const r = new MsgpackReader(w.finish());
    for (let i = 0; i < 1000; i++) expect(r.readInt()).toBe(i);
    expect(r.readString()).toBe('z'.repeat(100_000));
    expect(r.remaining).toBe(0);
  });
});

describe('MsgpackReader', () => {
  it.each([
    ['00', 0],
    ['7f', 127],
    ['ff', -1],
    ['e0', -32],
    ['cc80', 128],
    ['cd0100', 256],
    ['ce00010000', 65536],
    ['d0df', -33],
    ['d1ff7f', -129],
    ['d2ffff7fff', -32769],
    ['cf001fffffffffffff', Number.MAX_SAFE_INTEGER],
    ['d3ffe0000000000001', Number.MIN_SAFE_INTEGER],
  ])('reads int %s', (h, n) => {
    expect(new MsgpackReader(bytes(h)).readInt()).toBe(n);
  });

  it('returns bigint for 64-bit values beyond the safe range', () => {
    expect(new MsgpackReader(bytes('cfffffffffffffffff')).readInt()).toBe(2n ** 64n - 1n);
    expect(new MsgpackReader(bytes('d38000000000000000')).readInt()).toBe(-(2n ** 63n));
    expect(new MsgpackReader(bytes('cf0020000000000000')).readInt()).toBe(2n ** 53n);
  });

  it('reads floats, strings, bins and containers', () => {
    const r = new MsgpackReader(bytes('ca3fc00000 cb3ff8000000000000 a2c3a9 d90161 c4020102 92 81 c0 c3'));
    expect(r.peekKind()).toBe('float');
    expect(r.readFloat()).toBe(1.5);
    expect(r.readFloat()).toBe(1.5);
    expect(r.readString()).toBe('é');
    expect(r.readString()).toBe('a');
    expect(Array.from(r.readBytes())).toEqual([1, 2]);
    expect(r.readArrayHeader()).toBe(2);
    expect(r.peekKind()).toBe('map');
    expect(() => r.readArrayHeader()).toThrow(MsgpackError);
    expect(r.readMapHeader()).toBe(1);
    expect(r.readNil()).toBeNull();
    expect(r.readBool()).toBe(true);
    expect(r.remaining).toBe(0);
  });

  it('reads ext and fixext values with their signed type', () => {
    const r = new MsgpackReader(bytes('d40000 c7030c8101c2 d5ff0102 c70000'));
    let e = r.readExt();
    expect([e.type, hex(e.data)]).toEqual([0, '00']);
    e = r.readExt();
    expect([e.type, hex(e.data)]).toEqual([12, '8101c2']);
    e = r.readExt();
    expect([e.type, hex(e.data)]).toEqual([-1, '0102']);
    e = r.readExt();
    expect([e.type, e.data.length]).toEqual([0, 0]);
  });

  it('skips nested values', () => {
    const r = new MsgpackReader(bytes('82 a161 93 01 cb3ff8000000000000 c4020102 a162 81 01 d40000 2a'));
    r.skip();
    expect(r.readInt()).toBe(42);
  });

  it('fails cleanly on truncated or invalid data', () => {
    expect(() => new MsgpackReader(bytes('')).peekKind()).toThrow(/end of msgpack data/);
    expect(() => new MsgpackReader(bytes('cd01')).readInt()).toThrow(/end of msgpack data/);
    expect(() => new MsgpackReader(bytes('a3 6162')).readString()).toThrow(/end of msgpack data/);
    expect(() => new MsgpackReader(bytes('c1')).peekKind()).toThrow(/0xc1/);
    expect(() => new MsgpackReader(bytes('dc ffff 00')).readArrayHeader()).toThrow(/exceeds/);
    expect(() => new MsgpackReader(bytes('c70a0c00')).readExt()).toThrow(/end of msgpack data/);
  });

  it('reads from a Uint8Array view at a non-zero offset', () => {
    const backing = bytes('ffff a3616263 ffff');
    expect(new MsgpackReader(backing.subarray(2, 6)).readString()).toBe('abc');
  });
});
