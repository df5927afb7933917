import {
  CtyCodecError,
  ctyTypeJson,
  decodeJson,
  decodeMsgpack,
  encodeJson,
  encodeMsgpack,
  parseCtyNumber,
  typesEqual,
  valuesEqual,
} from '../../src/provider/protocol/cty/codec';
import { CtyBigNumber, CtyDynamic, CtyType, CtyValue, unknown } from '../../src/provider/protocol/cty/types';

// Expected bytes in this file were produced by go-cty v1.18.0's msgpack.Marshal / json.Marshal.

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const enc = (type: CtyType, value: CtyValue): string => hex(encodeMsgpack(type, value));
const strHex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');

/** Runs fn, expects a CtyCodecError, and returns it. */
function codecError(fn: () => unknown): CtyCodecError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CtyCodecError);
    return e as CtyCodecError;
  }
  throw new Error('expected a CtyCodecError, nothing was thrown');
}

const CANARY = 'SECRET-CANARY-7f3a9c';

describe('encodeMsgpack', () => {
  it('writes every object attribute, sorted, with nil for null or missing ones', () => {
    const type: CtyType = ['object', { b: 'string', a: 'string' }];
    expect(enc(type, { a: 'x', b: null })).toBe('82a161a178a162c0');
    expect(enc(type, { a: 'x' })).toBe('82a161a178a162c0');
    expect(enc(type, { b: undefined, a: 'x' } as unknown as CtyValue)).toBe('82a161a178a162c0');
    expect(enc(type, {})).toBe('82a161c0a162c0');
  });

  it('encodes nested collections byte-exactly', () => {
    const type: CtyType = [
      'object',
      {
        b: 'string',
        a: 'bool',
        c: ['list', 'number'],
        d: ['set', 'string'],
        e: ['map', 'string'],
        f: ['tuple', ['string', 'bool']],
      },
    ];
    const value = { a: true, b: 'hi', c: [1, 2.5, -3], d: ['x'], e: { z: '1', a: '2' }, f: ['t', false] };
    expect(enc(type, value)).toBe(
      '86a161c3a162a26869a1639301cb4004000000000000fda16491a178a16582a161a132a17aa131a16692a174c2',
    );
    expect(enc(['list', 'string'], [])).toBe('90');
    expect(enc(['map', 'string'], {})).toBe('80');
    expect(enc(['tuple', ['string', 'number', 'bool']], ['a', 1, true])).toBe('93a16101c3');
    expect(enc(['set', 'number'], [1, 2, 3])).toBe('93010203');
  });

  it('sorts map keys by code point (UTF-8 byte order), like Go', () => {
    const value = { '\uffff': 'a', '😀': 'b', a: 'c', Z: 'd' };
    expect(enc(['map', 'string'], value)).toBe('84a15aa164a161a163a3efbfbfa161a4f09f9880a162');
  });

  it('writes null as nil and unknown as fixext1 type 0 for every type', () => {
    const types: CtyType[] = ['string', 'number', 'bool', 'dynamic', ['list', 'string'], ['object', { a: 'string' }]];
    for (const t of types) {
      expect(enc(t, null)).toBe('c0');
      expect(enc(t, unknown)).toBe('d40000');
    }
  });

  it.each<[number, string]>([
    [1, '01'],
    [-1, 'ff'],
    [0, '00'],
    [-0, '00'],
    [1.5, 'cb3ff8000000000000'],
    [0.1, 'cb3fb999999999999a'],
    [200, 'ccc8'],
    [-200, 'd1ff38'],
    [4294967296, 'cf0000000100000000'],
    [-2147483649, 'd3ffffffff7fffffff'],
    [2 ** 53, 'cf0020000000000000'],
    [2 ** 60, 'cf1000000000000000'],
    [-(2 ** 63), 'd38000000000000000'],
    [Infinity, 'cb7ff0000000000000'],
    [-Infinity, 'cbfff0000000000000'],
    [5e-324, 'cb0000000000000001'],
    // Integers beyond int64 go as their decimal text, as go-cty does.
    [2 ** 63, 'b3' + strHex('9223372036854776000')],
    [1e20, 'b5' + strHex('100000000000000000000')],
    [2 ** 64, 'b4' + strHex('18446744073709550000')],
  ])('encodes JS number %p as go-cty does', (n, expected) => {
    expect(enc('number', n)).toBe(expected);
  });

  it.each<[string, string]>([
    ['0.1', 'a3' + strHex('0.1')],
    ['0.5', 'cb3fe0000000000000'],
    ['2.5e-5', 'a8' + strHex('0.000025')],
    ['1', '01'],
    ['100', '64'],
    ['1e2', '64'],
    ['-9223372036854775808', 'd38000000000000000'],
    ['9223372036854775807', 'cf7fffffffffffffff'],
    ['9223372036854775808', 'b3' + strHex('9223372036854775808')],
    ['18446744073709551615', 'b4' + strHex('18446744073709551615')],
    ['123456789012345678901234567890', 'be' + strHex('123456789012345678901234567890')],
    ['-1e20', 'b6' + strHex('-100000000000000000000')],
    ['1e400', 'da0191' + strHex('1' + '0'.repeat(400))],
    ['1e-400', 'da0192' + strHex('0.' + '0'.repeat(399) + '1')],
    ['+Inf', 'cb7ff0000000000000'],
  ])('encodes CtyBigNumber(%p) as go-cty does', (text, expected) => {
    expect(enc('number', new CtyBigNumber(text))).toBe(expected);
  });

  it('wraps dynamic values as [bin(type JSON), value]', () => {
    expect(enc('dynamic', new CtyDynamic('string', 'hi'))).toBe('92c40822737472696e6722a26869');
    expect(enc('dynamic', new CtyDynamic('string', null))).toBe('92c40822737472696e6722c0');
    expect(enc('dynamic', new CtyDynamic('string', unknown))).toBe('92c40822737472696e6722d40000');
    // A value whose own type is dynamic is not wrapped again.
    expect(enc('dynamic', new CtyDynamic('dynamic', new CtyDynamic('string', 'x')))).toBe('92c40822737472696e6722a178');
    // Type JSON is canonical: attributes sorted, Go's HTML escaping.
    const type: CtyType = ['object', { 'b<': 'bool', a: ['list', 'number'] }];
    expect(enc('dynamic', new CtyDynamic(type, { a: [1, 2] }))).toBe(
      '92c4335b226f626a656374222c7b2261223a5b226c697374222c226e756d626572225d2c22625c7530303363223a22626f6f6c227d5d82a161920102a2623cc0',
    );
  });

  it('encodes dynamic elements nested in collections', () => {
    const type: CtyType = ['map', 'dynamic'];
    const value = { k: new CtyDynamic(['tuple', ['string']], ['a']), j: new CtyDynamic(['tuple', ['string']], null) };
    expect(enc(type, value)).toBe(
      '82a16a92c4145b227475706c65222c5b22737472696e67225d5dc0a16b92c4145b227475706c65222c5b22737472696e67225d5d91a161',
    );
  });

  it('rejects mismatches with a path and without string contents', () => {
    const type: CtyType = ['object', { tags: ['map', 'number'], rules: ['list', ['object', { name: 'bool' }]] }];
    let e = codecError(() => encodeMsgpack(type, { tags: { a: CANARY } }));
    expect(e.path).toBe('.tags["a"]');
    expect(e.message).toBe('.tags["a"]: number is required, got a string');
    expect(e.message).not.toContain(CANARY);

    e = codecError(() => encodeMsgpack(type, { rules: [{ name: true }, { name: CANARY }] }));
    expect(e.path).toBe('.rules[1].name');
    expect(e.message).not.toContain(CANARY);

    e = codecError(() => encodeMsgpack(type, { tags: {}, extra: CANARY }));
    expect(e.path).toBe('.extra');
    expect(e.message).toMatch(/unsupported attribute/);
    expect(e.message).not.toContain(CANARY);

    e = codecError(() => encodeMsgpack('dynamic', CANARY));
    expect(e.message).toMatch(/dynamic is required/);
    expect(e.message).not.toContain(CANARY);

    expect(codecError(() => encodeMsgpack('number', NaN)).message).toMatch(/NaN/);
    expect(codecError(() => encodeMsgpack('number', new CtyBigNumber(CANARY))).message).not.toContain(CANARY);
    expect(codecError(() => encodeMsgpack(['tuple', ['string']], ['a', 'b'])).message).toMatch(/tuple of 1/);
    expect(codecError(() => encodeMsgpack(['list', 'string'], [undefined as unknown as CtyValue])).path).toBe('[0]');
    expect(codecError(() => encodeMsgpack('string', ['x'])).message).toBe('string is required, got an array');
  });
});

describe('decodeMsgpack', () => {
  it('decodes empty input (an absent DynamicValue) to null', () => {
    expect(decodeMsgpack(['object', { a: 'string' }], new Uint8Array(0))).toBeNull();
    expect(decodeMsgpack('dynamic', new Uint8Array(0))).toBeNull();
  });

  it('decodes nil and unknown for any type', () => {
    expect(decodeMsgpack('string', bytes('c0'))).toBeNull();
    expect(decodeMsgpack('string', bytes('d40000'))).toBe(unknown);
    expect(decodeMsgpack(['list', 'string'], bytes('d40000'))).toBe(unknown);
    expect(decodeMsgpack('dynamic', bytes('d40000'))).toBe(unknown);
    expect(decodeMsgpack('dynamic', bytes('c0'))).toBeNull();
  });

  it('treats any extension with a payload of at most one byte as unknown', () => {
    expect(decodeMsgpack('string', bytes('d40500'))).toBe(unknown);
    expect(decodeMsgpack('string', bytes('c70005'))).toBe(unknown);
    expect(decodeMsgpack('number', bytes('c700ff'))).toBe(unknown);
  });

  it('decodes refined unknowns (ext 12) to unknown, dropping refinements', () => {
    // map {1: false}: definitely not null
    expect(decodeMsgpack('string', bytes('c7030c8101c2'))).toBe(unknown);
    expect(decodeMsgpack(['list', 'string'], bytes('c7030c8101c2'))).toBe(unknown);
    expect(decodeMsgpack('dynamic', bytes('c7030c8101c2'))).toBe(unknown);
    // {1: false, 2: "ab"}: string prefix
    expect(decodeMsgpack('string', bytes('c7070c8201c202a26162'))).toBe(unknown);
    // {1: false, 3: [0, true], 4: [10, false]}: number bounds
    expect(decodeMsgpack('number', bytes('c70b0c8301c2039200c304920ac2'))).toBe(unknown);
    // Nested inside an object
    const type: CtyType = ['object', { id: 'string', n: 'number' }];
    expect(decodeMsgpack(type, bytes('82a26964c7030c8101c2a16e2a'))).toEqual({ id: unknown, n: 42 });
  });

  it('rejects malformed extensions', () => {
    expect(codecError(() => decodeMsgpack('string', bytes('d5000000'))).message).toMatch(/extension type 0/);
    expect(codecError(() => decodeMsgpack('string', bytes('c70201c2c2'))).message).toMatch(/extension type 1/);
    expect(codecError(() => decodeMsgpack('string', bytes('d50c0000'))).message).toMatch(/not a map/);
    expect(codecError(() => decodeMsgpack('string', bytes('c7030c81a161c2'))).message).toMatch(/non-integer key/);
    const big = new Uint8Array(4 + 1025);
    big.set([0xc8, 0x04, 0x01, 0x0c]);
    big[4] = 0x80;
    expect(codecError(() => decodeMsgpack('string', big)).message).toMatch(/oversize/);
  });

  it('decodes numbers from every wire form', () => {
    expect(decodeMsgpack('number', bytes('01'))).toBe(1);
    expect(decodeMsgpack('number', bytes('ff'))).toBe(-1);
    expect(decodeMsgpack('number', bytes('cb3ff8000000000000'))).toBe(1.5);
    expect(decodeMsgpack('number', bytes('ca3fc00000'))).toBe(1.5);
    expect(decodeMsgpack('number', bytes('cbfff0000000000000'))).toBe(-Infinity);
    expect(decodeMsgpack('number', bytes('cf001fffffffffffff'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeMsgpack('number', bytes('d3ffe0000000000001'))).toBe(Number.MIN_SAFE_INTEGER);
    expect(decodeMsgpack('number', bytes('cfffffffffffffffff'))).toEqual(new CtyBigNumber('18446744073709551615'));
    expect(decodeMsgpack('number', bytes('d38000000000000000'))).toEqual(new CtyBigNumber('-9223372036854775808'));
    expect(decodeMsgpack('number', bytes('cf0020000000000000'))).toEqual(new CtyBigNumber('9007199254740992'));
    const str = (s: string): Uint8Array => encodeMsgpack('string', s);
    expect(decodeMsgpack('number', str('0.1'))).toBe(0.1);
    expect(decodeMsgpack('number', str('-2.5e-5'))).toBe(-2.5e-5);
    expect(decodeMsgpack('number', str('1e+400'))).toEqual(new CtyBigNumber('1e+400'));
    expect(decodeMsgpack('number', str('1e-400'))).toEqual(new CtyBigNumber('1e-400'));
    expect(decodeMsgpack('number', str('123456789012345678901234567890'))).toEqual(
      new CtyBigNumber('123456789012345678901234567890'),
    );
    expect(decodeMsgpack('number', str('0.30000000000000000001'))).toEqual(new CtyBigNumber('0.30000000000000000001'));
    expect(decodeMsgpack('number', str('+Inf'))).toBe(Infinity);
    expect(decodeMsgpack('number', bytes('c403302e35'))).toBe(0.5); // bin is accepted like str
  });

  it('rejects NaN and non-numeric strings without echoing them', () => {
    expect(codecError(() => decodeMsgpack('number', bytes('cb7ff8000000000000'))).message).toMatch(/NaN/);
    const e = codecError(() => decodeMsgpack(['list', 'number'], encodeMsgpack(['list', 'string'], ['1', CANARY])));
    expect(e.path).toBe('[1]');
    expect(e.message).toMatch(/number is required/);
    expect(e.message).not.toContain(CANARY);
  });

  it('decodes strings as UTF-8 from str or bin', () => {
    expect(decodeMsgpack('string', bytes('a2c3a9'))).toBe('é');
    expect(decodeMsgpack('string', bytes('c4026869'))).toBe('hi');
    expect(decodeMsgpack('string', bytes('a0'))).toBe('');
  });

  it('decodes dynamic values into CtyDynamic', () => {
    expect(decodeMsgpack('dynamic', bytes('92c40822737472696e6722a26869'))).toEqual(new CtyDynamic('string', 'hi'));
    // type JSON as str instead of bin, number as decimal string
    expect(decodeMsgpack('dynamic', bytes('92a8226e756d62657222a3302e31'))).toEqual(new CtyDynamic('number', 0.1));
    expect(decodeMsgpack('dynamic', bytes('92c40822737472696e6722c0'))).toEqual(new CtyDynamic('string', null));
    expect(decodeMsgpack('dynamic', bytes('92c40822737472696e6722d40000'))).toEqual(new CtyDynamic('string', unknown));
    const type: CtyType = ['object', { 'b<': 'bool', a: ['list', 'number'] }];
    const decoded = decodeMsgpack(
      'dynamic',
      bytes(
        '92c4335b226f626a656374222c7b2261223a5b226c697374222c226e756d626572225d2c22625c7530303363223a22626f6f6c227d5d82a161920102a2623cc0',
      ),
    ) as CtyDynamic;
    expect(decoded).toBeInstanceOf(CtyDynamic);
    expect(typesEqual(decoded.type, type)).toBe(true);
    expect(decoded.value).toEqual({ a: [1, 2], 'b<': null });
  });

  it('rejects malformed dynamic values', () => {
    expect(codecError(() => decodeMsgpack('dynamic', bytes('a26869'))).message).toMatch(/dynamic is required/);
    expect(codecError(() => decodeMsgpack('dynamic', bytes('91c0'))).message).toMatch(/exactly two/);
    expect(codecError(() => decodeMsgpack('dynamic', bytes('92c4037b7d7d01'))).message).toMatch(/not valid JSON/);
    expect(codecError(() => decodeMsgpack('dynamic', bytes('92c40522666f6f2201'))).message).toMatch(
      /not a valid cty type/,
    );
  });

  it('fills missing object attributes with null and rejects unsupported ones', () => {
    const type: CtyType = ['object', { a: 'string', b: 'string' }];
    expect(decodeMsgpack(type, bytes('81a161a178'))).toEqual({ a: 'x', b: null });
    expect(decodeMsgpack(type, bytes('80'))).toEqual({ a: null, b: null });
    const e = codecError(() => decodeMsgpack(type, bytes('83a161a178a162c0a163a3' + strHex('abc'))));
    expect(e.path).toBe('.c');
    expect(e.message).toMatch(/unsupported attribute/);
  });

  it('reports nested paths without string contents', () => {
    const type: CtyType = ['object', { tags: ['map', 'bool'] }];
    const wire = encodeMsgpack(['object', { tags: ['map', 'string'] }], { tags: { a: CANARY } });
    const e = codecError(() => decodeMsgpack(type, wire));
    expect(e.path).toBe('.tags["a"]');
    expect(e.message).toBe('.tags["a"]: bool is required, got msgpack str');
    expect(e.message).not.toContain(CANARY);
  });

  it('rejects truncated data, trailing bytes and wrong tuple lengths', () => {
    expect(codecError(() => decodeMsgpack('string', bytes('a3 6162'))).message).toMatch(/end of msgpack data/);
    expect(codecError(() => decodeMsgpack(['list', 'string'], bytes('92a161'))).path).toBe('[1]');
    expect(codecError(() => decodeMsgpack('string', bytes('a161 c0'))).message).toMatch(/unexpected bytes/);
    expect(codecError(() => decodeMsgpack(['tuple', ['string']], bytes('92a161a162'))).message).toMatch(/tuple of 1/);
    expect(codecError(() => decodeMsgpack(['map', 'string'], bytes('8101a161'))).message).toMatch(
      /keys must be strings/,
    );
  });

  it('keeps a "__proto__" map key as data', () => {
    const value = decodeMsgpack(['map', 'string'], encodeMsgpack(['map', 'string'], JSON.parse('{"__proto__":"x"}')));
    expect(Object.keys(value as object)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect((value as Record<string, string>)['__proto__']).toBe('x');
  });
});

describe('msgpack round trips', () => {
  const objType: CtyType = ['object', { name: 'string', port: 'number', on: 'bool' }];
  const cases: [string, CtyType, CtyValue][] = [
    ['string', 'string', 'héllo 😀'],
    ['number', 'number', 12.25],
    ['big number', 'number', new CtyBigNumber('123456789012345678901234567890.5')],
    ['bool', 'bool', false],
    ['list', ['list', 'string'], ['a', 'b', 'a']],
    ['set', ['set', 'number'], [3, 1, 2]],
    ['map', ['map', ['list', 'bool']], { x: [true], y: [], z: null }],
    ['object', objType, { name: 'n', port: 8080, on: true }],
    ['tuple', ['tuple', ['string', 'number', ['set', 'string']]], ['a', -7, ['q']]],
    ['list of objects', ['list', objType], [{ name: 'a', port: null, on: unknown }]],
    ['dynamic string', 'dynamic', new CtyDynamic('string', 'x')],
    [
      'dynamic object',
      'dynamic',
      new CtyDynamic(['object', { a: ['map', 'number'], d: 'dynamic' }], {
        a: { k: 1 },
        d: new CtyDynamic(['tuple', ['bool', 'string']], [true, 'y']),
      }),
    ],
    [
      'nested everything',
      [
        'object',
        {
          l: ['list', ['map', ['set', 'string']]],
          t: ['tuple', ['dynamic', ['object', { x: 'number' }]]],
          u: 'string',
          n: ['list', 'string'],
        },
      ],
      {
        l: [{ a: ['1', '2'], b: [] }, {}],
        t: [new CtyDynamic(['list', 'number'], [1, 2]), { x: new CtyBigNumber('1e+400') }],
        u: unknown,
        n: null,
      },
    ],
  ];

  it.each(cases)('%s', (_name, type, value) => {
    const wire = encodeMsgpack(type, value);
    const back = decodeMsgpack(type, wire);
    expect(valuesEqual(type, back, value)).toBe(true);
    expect(hex(encodeMsgpack(type, back))).toBe(hex(wire));
  });

  it('decodes to structurally identical JS values', () => {
    const type: CtyType = ['object', { a: ['list', 'number'], b: ['map', 'string'], c: 'dynamic' }];
    const value = { a: [1, 2.5], b: { k: 'v' }, c: new CtyDynamic('bool', true) };
    expect(decodeMsgpack(type, encodeMsgpack(type, value))).toEqual(value);
  });
});

describe('decodeJson', () => {
  const type: CtyType = ['object', { a: 'string', n: 'number', nested: ['list', ['object', { x: 'bool' }]] }];

  it('decodes cty JSON and fills missing attributes with null', () => {
    expect(decodeJson(type, '{"a":"x","nested":[{"x":true},{}]}')).toEqual({
      a: 'x',
      n: null,
      nested: [{ x: true }, { x: null }],
    });
  });

  it('rejects unsupported attributes unless lenient, where they are dropped', () => {
    const old = '{"a":"x","gone":[1,2],"nested":[{"x":false,"old":"y"}]}';
    const e = codecError(() => decodeJson(type, old));
    expect(e.path).toBe('.gone');
    expect(decodeJson(type, old, { lenient: true })).toEqual({ a: 'x', n: null, nested: [{ x: false }] });
  });

  it('keeps numbers lossless', () => {
    const t: CtyType = ['list', 'number'];
    const out = decodeJson(
      t,
      '[0.1, 1, -0, 9007199254740991, 9007199254740993, 123456789012345678901234567890, 1e400, 1.5e-7, "12", "0.25"]',
    );
    expect(out).toEqual([
      0.1,
      1,
      0,
      9007199254740991,
      new CtyBigNumber('9007199254740993'),
      new CtyBigNumber('123456789012345678901234567890'),
      new CtyBigNumber('1e400'),
      1.5e-7,
      12,
      0.25,
    ]);
  });

  it('converts primitives the way go-cty does', () => {
    expect(decodeJson('string', '12.50')).toBe('12.50');
    expect(decodeJson('string', 'true')).toBe('true');
    expect(decodeJson('bool', '"true"')).toBe(true);
    expect(decodeJson('bool', '"0"')).toBe(false);
    expect(decodeJson('string', '"\\u00e9\\n\\"\\\\/\\ud83d\\ude00"')).toBe('é\n"\\/😀');
  });

  it('decodes dynamic {"value","type"} in any order', () => {
    expect(decodeJson('dynamic', '{"type":["list","number"],"value":[1,2]}')).toEqual(
      new CtyDynamic(['list', 'number'], [1, 2]),
    );
    expect(decodeJson('dynamic', '{"value":null,"type":"string"}')).toEqual(new CtyDynamic('string', null));
    expect(decodeJson('dynamic', 'null')).toBeNull();
    expect(codecError(() => decodeJson('dynamic', '{"value":1}')).message).toMatch(/missing "type"/);
    expect(codecError(() => decodeJson('dynamic', '{"value":1,"type":"number","x":1}')).message).toMatch(
      /only have "value" and "type"/,
    );
  });

  it('decodes empty input to null and accepts bytes', () => {
    expect(decodeJson(type, '')).toBeNull();
    expect(decodeJson(type, new Uint8Array(0))).toBeNull();
    expect(decodeJson(['map', 'string'], new TextEncoder().encode('{"k":"é"}'))).toEqual({ k: 'é' });
  });

  it('reports errors with paths and without string contents', () => {
    let e = codecError(() => decodeJson(['map', 'number'], `{"a":1,"b":"${CANARY}"}`));
    expect(e.path).toBe('["b"]');
    expect(e.message).not.toContain(CANARY);
    e = codecError(() => decodeJson(['object', { f: 'bool' }], `{"f":"${CANARY}"}`));
    expect(e.path).toBe('.f');
    expect(e.message).not.toContain(CANARY);
    e = codecError(() => decodeJson(['list', 'string'], `["${CANARY}`));
    expect(e.message).toMatch(/invalid JSON: unterminated string/);
    expect(e.message).not.toContain(CANARY);
    e = codecError(() => decodeJson('string', `"${CANARY}" x`));
    expect(e.message).toMatch(/after the JSON value/);
    expect(e.message).not.toContain(CANARY);
  });

  it('rejects invalid JSON', () => {
    for (const bad of ['{', '[1,]', '{"a" 1}', '01', '1.', '"\\x"', 'nul', '"a\u0001"', '[1 2]']) {
      expect(codecError(() => decodeJson('dynamic', bad)).message).toMatch(/^invalid JSON/);
    }
  });
});

describe('encodeJson', () => {
  it('matches go-cty json.Marshal', () => {
    const type: CtyType = ['object', { b: 'string', a: 'bool', n: 'number', d: 'dynamic', m: ['map', 'number'] }];
    const value = {
      a: true,
      b: '<x>',
      n: 1e21,
      d: new CtyDynamic(['tuple', ['number', 'string']], [1, 'x']),
      m: { z: 0.5, a: new CtyBigNumber('123456789012345678901234567890') },
    };
    expect(encodeJson(type, value)).toBe(
      '{"a":true,"b":"\\u003cx\\u003e","d":{"value":[1,"x"],"type":["tuple",["number","string"]]},"m":{"a":123456789012345678901234567890,"z":0.5},"n":1000000000000000000000}',
    );
  });

  it('round-trips through decodeJson', () => {
    const type: CtyType = ['object', { s: ['set', 'string'], t: ['tuple', ['number', 'dynamic']], x: 'string' }];
    const value = { s: ['b', 'a'], t: [new CtyBigNumber('1e+400'), new CtyDynamic('bool', false)], x: null };
    expect(valuesEqual(type, decodeJson(type, encodeJson(type, value)), value)).toBe(true);
  });

  it('refuses unknowns and infinities', () => {
    expect(codecError(() => encodeJson(['list', 'string'], ['a', unknown])).path).toBe('[1]');
    expect(codecError(() => encodeJson('number', Infinity)).message).toMatch(/infinite/);
  });
});

describe('valuesEqual', () => {
  it('compares numbers by value across representations', () => {
    expect(valuesEqual('number', 0.1, new CtyBigNumber('0.1'))).toBe(true);
    expect(valuesEqual('number', new CtyBigNumber('0.10'), new CtyBigNumber('1e-1'))).toBe(true);
    expect(valuesEqual('number', 2 ** 60, new CtyBigNumber('1152921504606846976'))).toBe(true);
    expect(valuesEqual('number', 2 ** 53, new CtyBigNumber('9007199254740993'))).toBe(false);
    expect(valuesEqual('number', 0, -0)).toBe(true);
    expect(valuesEqual('number', new CtyBigNumber('-0.1'), -0.1)).toBe(true);
    expect(valuesEqual('number', new CtyBigNumber('-0.1'), 0.1)).toBe(false);
    expect(valuesEqual('number', 1, 2)).toBe(false);
    expect(valuesEqual('number', new CtyBigNumber('0.1'), new CtyBigNumber('0.1000000000000000000001'))).toBe(false);
  });

  it('treats null, unknown and missing attributes carefully', () => {
    expect(valuesEqual('string', null, null)).toBe(true);
    expect(valuesEqual('string', unknown, unknown)).toBe(true);
    expect(valuesEqual('string', unknown, null)).toBe(false);
    expect(valuesEqual('string', 'a', unknown)).toBe(false);
    const t: CtyType = ['object', { a: 'string', b: 'string' }];
    expect(valuesEqual(t, { a: 'x' }, { a: 'x', b: null })).toBe(true);
    expect(valuesEqual(t, { a: 'x' }, { a: 'x', b: '' })).toBe(false);
  });

  it('ignores set order but not list order', () => {
    expect(valuesEqual(['set', 'string'], ['a', 'b'], ['b', 'a'])).toBe(true);
    expect(valuesEqual(['set', 'string'], ['a', 'b'], ['a', 'c'])).toBe(false);
    expect(valuesEqual(['list', 'string'], ['a', 'b'], ['b', 'a'])).toBe(false);
    const objs: CtyType = ['set', ['object', { n: 'number', s: ['set', 'string'] }]];
    expect(
      valuesEqual(
        objs,
        [{ n: 1, s: ['x', 'y'] }, { n: 2 }],
        [
          { n: 2, s: null },
          { n: 1, s: ['y', 'x'] },
        ],
      ),
    ).toBe(true);
    expect(valuesEqual(objs, [{ n: 1 }], [{ n: 1.5 }])).toBe(false);
  });

  it('compares maps, tuples and dynamic values', () => {
    expect(valuesEqual(['map', 'string'], { a: 'x' }, { a: 'x', b: 'y' })).toBe(false);
    expect(valuesEqual(['map', 'string'], { a: 'x' }, { b: 'x' })).toBe(false);
    expect(valuesEqual(['tuple', ['string', 'number']], ['a', 1], ['a', 1])).toBe(true);
    expect(valuesEqual('dynamic', new CtyDynamic('string', 'a'), new CtyDynamic('string', 'a'))).toBe(true);
    expect(valuesEqual('dynamic', new CtyDynamic('string', '1'), new CtyDynamic('number', 1))).toBe(false);
    const o1: CtyType = ['object', { b: 'string', a: 'number' }];
    const o2: CtyType = ['object', { a: 'number', b: 'string' }];
    expect(valuesEqual('dynamic', new CtyDynamic(o1, { a: 1, b: 'x' }), new CtyDynamic(o2, { a: 1, b: 'x' }))).toBe(
      true,
    );
  });
});

describe('helpers', () => {
  it('ctyTypeJson is canonical', () => {
    expect(ctyTypeJson('string')).toBe('"string"');
    expect(ctyTypeJson(['object', { b: 'bool', a: ['set', 'number'] }, ['b', 'a']])).toBe(
      '["object",{"a":["set","number"],"b":"bool"},["a","b"]]',
    );
    expect(ctyTypeJson(['tuple', []])).toBe('["tuple",[]]');
    expect(typesEqual(['list', 'string'], ['set', 'string'])).toBe(false);
  });

  it('parseCtyNumber applies the lossless rule', () => {
    expect(parseCtyNumber('0.1')).toBe(0.1);
    expect(parseCtyNumber('1e2')).toBe(100);
    expect(parseCtyNumber('-Inf')).toBe(-Infinity);
    expect(parseCtyNumber('1e300')).toEqual(new CtyBigNumber('1e300'));
    expect(parseCtyNumber('0.1000000000000000055511151231257827')).toEqual(
      new CtyBigNumber('0.1000000000000000055511151231257827'),
    );
    for (const bad of ['', ' 1', '1 ', '0x10', 'Infinity', 'NaN', '1e', '.', '1_000', '--1']) {
      expect(parseCtyNumber(bad)).toBeUndefined();
    }
  });
});

// Sizes only: speed is measured by `npm run bench`, never asserted in a test.
describe('large values', () => {
  it('round-trips a 1,000-attribute object', () => {
    const attrs: Record<string, CtyType> = {};
    const value: Record<string, CtyValue> = {};
    for (let i = 0; i < 1000; i++) {
      attrs[`attr_${i}`] = i % 2 ? 'string' : ['list', 'number'];
      value[`attr_${i}`] = i % 2 ? `value ${i}` : [i, i + 0.5];
    }
    const type: CtyType = ['object', attrs];
    expect(decodeMsgpack(type, encodeMsgpack(type, value))).toEqual(value);
  });

  it('round-trips a 10 MB string', () => {
    const big = 'x'.repeat(5_000_000) + 'é'.repeat(2_500_000);
    const type: CtyType = ['object', { blob: 'string', n: 'number' }];
    const wire = encodeMsgpack(type, { blob: big, n: 1 });
    const back = decodeMsgpack(type, wire) as { blob: string };
    expect(wire.length).toBe(10_000_000 + 14);
    expect(back.blob === big).toBe(true);
  });
});
