import {
  bitString,
  boolean,
  encodeLength,
  explicit,
  generalizedTime,
  ia5String,
  implicit,
  integer,
  namedBitString,
  nullValue,
  octetString,
  oid,
  printableString,
  readChildren,
  readElement,
  sequence,
  set,
  signedInteger,
  unsignedInteger,
  utcTime,
  utf8String,
  x509Time,
} from '../../src/provider/protocol/tls/der';

const hex = (buf: Buffer): string => buf.toString('hex').replace(/(..)(?!$)/g, '$1 ');

describe('DER lengths', () => {
  test.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '81 80'],
    [255, '81 ff'],
    [256, '82 01 00'],
    [65535, '82 ff ff'],
    [65536, '83 01 00 00'],
  ])('length %i → %s', (length, expected) => {
    expect(hex(encodeLength(length))).toBe(expected);
  });

  test('rejects negative and fractional lengths', () => {
    expect(() => encodeLength(-1)).toThrow(RangeError);
    expect(() => encodeLength(1.5)).toThrow(RangeError);
  });

  test('long-form lengths on real elements (≥ 128 and ≥ 256 bytes)', () => {
    const c200 = octetString(Buffer.alloc(200, 0xab));
    expect(hex(c200.subarray(0, 3))).toBe('04 81 c8');
    expect(c200.length).toBe(203);
    const c300 = octetString(Buffer.alloc(300, 0xab));
    expect(hex(c300.subarray(0, 4))).toBe('04 82 01 2c');
    expect(c300.length).toBe(304);
    const c127 = octetString(Buffer.alloc(127));
    expect(hex(c127.subarray(0, 2))).toBe('04 7f');
    const seq = sequence(c300);
    expect(hex(seq.subarray(0, 4))).toBe('30 82 01 30');
  });
});

describe('DER INTEGER', () => {
  test.each([
    [0n, '02 01 00'],
    [1n, '02 01 01'],
    [127n, '02 01 7f'],
    [0x80n, '02 02 00 80'],
    [255n, '02 02 00 ff'],
    [256n, '02 02 01 00'],
    [0x7fffn, '02 02 7f ff'],
    [0x8000n, '02 03 00 80 00'],
    [-1n, '02 01 ff'],
    [-128n, '02 01 80'],
    [-129n, '02 02 ff 7f'],
    [-256n, '02 02 ff 00'],
    [-32768n, '02 02 80 00'],
    [-32769n, '02 03 ff 7f ff'],
  ])('%s → %s', (value, expected) => {
    expect(hex(integer(value))).toBe(expected);
  });

  test('accepts safe JS numbers, rejects unsafe ones', () => {
    expect(hex(integer(2))).toBe('02 01 02');
    expect(hex(integer(0x80))).toBe('02 02 00 80');
    expect(() => integer(2 ** 60)).toThrow(RangeError);
    expect(() => integer(0.5)).toThrow(RangeError);
  });

  test('unsigned bytes: leading zeros stripped, 00 added only when the top bit is set', () => {
    expect(hex(unsignedInteger(Buffer.from([0x00, 0x00, 0x7f])))).toBe('02 01 7f');
    expect(hex(unsignedInteger(Buffer.from([0x80])))).toBe('02 02 00 80');
    expect(hex(unsignedInteger(Buffer.from([0xff, 0x01])))).toBe('02 03 00 ff 01');
    expect(hex(unsignedInteger(Buffer.from([0x00, 0x00])))).toBe('02 01 00');
    const big = Buffer.from('7f' + 'ab'.repeat(15), 'hex');
    expect(hex(unsignedInteger(big))).toBe('02 10 ' + hex(big));
  });

  test('signed (two’s-complement) bytes are re-encoded minimally', () => {
    expect(hex(signedInteger(Buffer.from([0xff])))).toBe('02 01 ff');
    expect(hex(signedInteger(Buffer.from([0xff, 0x80])))).toBe('02 01 80');
    expect(hex(signedInteger(Buffer.from([0x00, 0x7f])))).toBe('02 01 7f');
    expect(hex(signedInteger(Buffer.from([0x80, 0x00])))).toBe('02 02 80 00');
    expect(() => signedInteger(Buffer.alloc(0))).toThrow(RangeError);
  });
});

describe('DER primitives', () => {
  test('BOOLEAN: TRUE is 0xFF', () => {
    expect(hex(boolean(true))).toBe('01 01 ff');
    expect(hex(boolean(false))).toBe('01 01 00');
  });

  test('NULL', () => {
    expect(hex(nullValue())).toBe('05 00');
  });

  test.each([
    ['1.2.840.10045.4.3.2', '06 08 2a 86 48 ce 3d 04 03 02'],
    ['1.2.840.10045.2.1', '06 07 2a 86 48 ce 3d 02 01'],
    ['2.5.29.17', '06 03 55 1d 11'],
    ['2.5.4.3', '06 03 55 04 03'],
    ['1.3.6.1.5.5.7.3.1', '06 08 2b 06 01 05 05 07 03 01'],
    ['0.0', '06 01 00'],
    ['2.999.3', '06 03 88 37 03'],
    ['1.2.18446744073709551616', '06 0b 2a 82 80 80 80 80 80 80 80 80 00'],
  ])('OID %s → %s', (dotted, expected) => {
    expect(hex(oid(dotted))).toBe(expected);
  });

  test('rejects malformed OIDs', () => {
    for (const bad of ['', '1', '1.', '3.1', '1.40', 'a.b', '1..2']) expect(() => oid(bad)).toThrow(RangeError);
  });

  test('BIT STRING', () => {
    expect(hex(bitString(Buffer.from([0x01, 0x02])))).toBe('03 03 00 01 02');
    expect(hex(bitString(Buffer.alloc(0)))).toBe('03 01 00');
    expect(hex(bitString(Buffer.from([0xa0]), 5))).toBe('03 02 05 a0');
    expect(() => bitString(Buffer.from([0x01]), 1)).toThrow(/unused bits/);
    expect(() => bitString(Buffer.alloc(0), 3)).toThrow(RangeError);
    expect(() => bitString(Buffer.from([0]), 8)).toThrow(RangeError);
  });

  test('named BIT STRING drops trailing zero bits (KeyUsage)', () => {
    // digitalSignature(0) | keyEncipherment(2) | keyAgreement(4) | keyCertSign(5): what Go emits.
    expect(hex(namedBitString([0, 2, 4, 5]))).toBe('03 02 02 ac');
    expect(hex(namedBitString([0]))).toBe('03 02 07 80');
    expect(hex(namedBitString([7]))).toBe('03 02 00 01');
    expect(hex(namedBitString([8]))).toBe('03 03 07 00 80');
    expect(hex(namedBitString([]))).toBe('03 01 00');
  });

  test('OCTET STRING and character strings', () => {
    expect(hex(octetString(Buffer.from([1, 2, 3])))).toBe('04 03 01 02 03');
    expect(hex(utf8String('Coffer'))).toBe('0c 06 43 6f 66 66 65 72');
    expect(hex(utf8String('é'))).toBe('0c 02 c3 a9');
    expect(hex(printableString('localhost'))).toBe('13 09 6c 6f 63 61 6c 68 6f 73 74');
    expect(() => printableString('a@b')).toThrow(RangeError);
    expect(hex(ia5String('localhost'))).toBe('16 09 6c 6f 63 61 6c 68 6f 73 74');
    expect(() => ia5String('é')).toThrow(RangeError);
  });
});

describe('DER times', () => {
  const ascii = (buf: Buffer): string => buf.subarray(2).toString('latin1');

  test('UTCTime is YYMMDDHHMMSSZ, fractions dropped', () => {
    const t = utcTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)));
    expect(t[0]).toBe(0x17);
    expect(t[1]).toBe(13);
    expect(ascii(t)).toBe('260102030405Z');
    expect(ascii(utcTime(new Date(Date.UTC(1950, 0, 1))))).toBe('500101000000Z');
    expect(() => utcTime(new Date(Date.UTC(2050, 0, 1)))).toThrow(RangeError);
    expect(() => utcTime(new Date(Date.UTC(1949, 11, 31)))).toThrow(RangeError);
  });

  test('GeneralizedTime is YYYYMMDDHHMMSSZ without fractions', () => {
    const t = generalizedTime(new Date(Date.UTC(2056, 10, 22, 5, 27, 37, 999)));
    expect(t[0]).toBe(0x18);
    expect(t[1]).toBe(15);
    expect(ascii(t)).toBe('20561122052737Z');
    expect(() => generalizedTime(new Date(NaN))).toThrow(RangeError);
  });

  test('x509Time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280)', () => {
    const last = x509Time(new Date(Date.UTC(2049, 11, 31, 23, 59, 59)));
    expect(last[0]).toBe(0x17);
    expect(ascii(last)).toBe('491231235959Z');
    const first = x509Time(new Date(Date.UTC(2050, 0, 1, 0, 0, 0)));
    expect(first[0]).toBe(0x18);
    expect(ascii(first)).toBe('20500101000000Z');
    expect(x509Time(new Date(Date.UTC(1949, 11, 31)))[0]).toBe(0x18);
  });
});

describe('DER constructed and tagged', () => {
  test('SEQUENCE concatenates in order', () => {
    expect(hex(sequence(integer(2), boolean(true)))).toBe('30 06 02 01 02 01 01 ff');
    expect(hex(sequence())).toBe('30 00');
  });

  test('SET sorts elements by encoding', () => {
    expect(hex(set(integer(2), boolean(true)))).toBe('31 06 01 01 ff 02 01 02');
    expect(hex(set(octetString(Buffer.from([1, 2])), octetString(Buffer.from([1]))))).toBe(
      '31 07 04 01 01 04 02 01 02',
    );
  });

  test('explicit and implicit context tags', () => {
    expect(hex(explicit(0, integer(2)))).toBe('a0 03 02 01 02');
    expect(hex(explicit(3, sequence()))).toBe('a3 02 30 00');
    expect(hex(implicit(2, Buffer.from('localhost', 'latin1')))).toBe('82 09 6c 6f 63 61 6c 68 6f 73 74');
    expect(hex(implicit(7, Buffer.from([127, 0, 0, 1])))).toBe('87 04 7f 00 00 01');
    expect(hex(implicit(1, Buffer.from([5, 0]), true))).toBe('a1 02 05 00');
    expect(() => explicit(31, nullValue())).toThrow(RangeError);
    expect(() => implicit(-1, Buffer.alloc(0))).toThrow(RangeError);
  });
});

describe('DER reader', () => {
  test('round-trips nested elements, including long-form lengths', () => {
    const der = sequence(integer(5), octetString(Buffer.alloc(300, 1)), boolean(false));
    const outer = readElement(der);
    expect(outer.tag).toBe(0x30);
    expect(outer.end).toBe(der.length);
    const children = readChildren(outer.content);
    expect(children.map((c) => c.tag)).toEqual([0x02, 0x04, 0x01]);
    expect(children[1]!.content.length).toBe(300);
  });

  test('rejects non-minimal and truncated lengths', () => {
    expect(() => readElement(Buffer.from([0x04, 0x81, 0x05, 1, 2, 3, 4, 5]))).toThrow(/non-minimal/);
    expect(() => readElement(Buffer.from([0x04, 0x82, 0x00, 0x80]))).toThrow(/non-minimal/);
    expect(() => readElement(Buffer.from([0x04, 0x05, 1]))).toThrow(/truncated/);
    expect(() => readElement(Buffer.from([0x04, 0x80]))).toThrow(/length form/);
  });
});
