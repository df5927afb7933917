import {
  formatMode,
  fromDataDocMeta,
  MirrorTooLargeError,
  packMirror,
  splitUtf8,
  toDataDocMeta,
  unpackMirror,
  type StoredMeta,
} from '../../src/client/backends/vault/vault-metadata';
import {
  decodeIndex,
  encodeIndex,
  INDEX_CHUNK_CHARS,
  type IndexEntries,
} from '../../src/client/backends/vault/vault-index';

const base: StoredMeta = {
  id: '6f1c3a52-9a0e-4a5e-8f7b-0d4a1c2b3e4f',
  description: '',
  envName: 'API_KEY',
  filePath: '',
  enabled: true,
  fileOwner: '',
  fileMode: undefined,
  isDefault: false,
  valueVersion: 3,
};

describe('splitUtf8', () => {
  test('pieces stay within the byte limit and never cut a code point', () => {
    const value = 'a' + 'ä'.repeat(300) + '😀'.repeat(200) + '€'.repeat(200);
    const parts = splitUtf8(value, 512);
    expect(parts.join('')).toBe(value);
    for (const part of parts) {
      expect(Buffer.byteLength(part)).toBeLessThanOrEqual(512);
      expect(Buffer.from(part, 'utf8').toString('utf8')).toBe(part); // no lone surrogates
    }
    expect(splitUtf8('', 512)).toEqual([]);
    expect(splitUtf8('x'.repeat(512), 512)).toEqual(['x'.repeat(512)]);
    expect(splitUtf8('x'.repeat(513), 512)).toHaveLength(2);
  });
});

describe('custom_metadata mirror', () => {
  test('short fields: one key each, empty fields omitted, all values strings', () => {
    const cm = packMirror({ ...base, fileMode: 0o440, fileOwner: 'root:wheel', isDefault: true }, '3@t');
    expect(cm).toEqual({
      coffer_schema: '1',
      coffer_rev: '3@t',
      id: base.id,
      env_name: 'API_KEY',
      enabled: 'true',
      file_owner: 'root:wheel',
      file_mode: '0440',
      is_default: 'true',
      value_version: '3',
    });
    const read = unpackMirror(cm);
    expect(read).toEqual({
      kind: 'coffer',
      rev: '3@t',
      meta: { ...base, fileMode: 0o440, fileOwner: 'root:wheel', isDefault: true },
    });
  });

  test('a 4096-byte file_path is split into numbered keys and reassembled', () => {
    const filePath = '/' + '😀'.repeat(1023) + 'abc';
    expect(Buffer.byteLength(filePath)).toBe(4096);
    const description = 'ß'.repeat(8000); // 16000 bytes
    const meta = { ...base, filePath, description };
    const cm = packMirror(meta, '9@t');
    expect(Object.keys(cm).length).toBeLessThanOrEqual(64);
    for (const [key, value] of Object.entries(cm)) {
      expect(Buffer.byteLength(key)).toBeLessThanOrEqual(128);
      expect(Buffer.byteLength(value)).toBeGreaterThan(0);
      expect(Buffer.byteLength(value)).toBeLessThanOrEqual(512);
    }
    expect(cm['file_path.parts']).toBe('9');
    expect(cm.file_path).toBeUndefined();
    expect(unpackMirror(cm)).toEqual({ kind: 'coffer', rev: '9@t', meta });
  });

  test('too much metadata is refused with the field to shorten', () => {
    const meta = { ...base, description: 'x'.repeat(64 * 512) };
    expect(() => packMirror(meta, 'r')).toThrow(MirrorTooLargeError);
    try {
      packMirror(meta, 'r');
    } catch (error) {
      expect((error as MirrorTooLargeError).field).toBe('description');
    }
  });

  test('foreign and damaged mirrors are told apart', () => {
    expect(unpackMirror(null)).toEqual({ kind: 'foreign' });
    expect(unpackMirror({ owner: 'x' })).toEqual({ kind: 'foreign' });
    expect(unpackMirror({ coffer_schema: '99' })).toEqual({ kind: 'damaged' });
    const cm = packMirror({ ...base, filePath: '/' + 'p'.repeat(2000) }, 'r');
    delete cm['file_path.2'];
    expect(unpackMirror(cm)).toEqual({ kind: 'damaged' });
    const noRev = packMirror(base, 'r');
    delete noRev.coffer_rev;
    expect(unpackMirror(noRev)).toEqual({ kind: 'damaged' });
    expect(unpackMirror({ ...packMirror(base, 'r'), file_mode: '0999' })).toEqual({ kind: 'damaged' });
    expect(unpackMirror({ ...packMirror(base, 'r'), enabled: 'yes' })).toEqual({ kind: 'damaged' });
  });

  test('file modes print as octal', () => {
    expect(formatMode(0o440)).toBe('0440');
    expect(formatMode(0o600)).toBe('0600');
    expect(formatMode(0)).toBe('0000');
    expect(formatMode(0o4755)).toBe('04755');
    const cm = packMirror({ ...base, fileMode: 0o4755 }, 'r');
    expect(unpackMirror(cm)).toMatchObject({ meta: { fileMode: 0o4755 } });
  });
});

describe('data document metadata', () => {
  test('round-trips, with null for an unset mode', () => {
    const doc = toDataDocMeta(base, 'w1');
    expect(doc.file_mode).toBeNull();
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
    expect(fromDataDocMeta(JSON.parse(JSON.stringify(doc)))).toEqual({ ...base, writeId: 'w1' });
    const withMode = toDataDocMeta({ ...base, fileMode: 0o400 }, 'w2');
    expect(fromDataDocMeta(withMode)).toMatchObject({ fileMode: 0o400 });
  });

  test('malformed documents are rejected', () => {
    expect(fromDataDocMeta(undefined)).toBeUndefined();
    expect(fromDataDocMeta({ ...toDataDocMeta(base, 'w'), schema: 2 })).toBeUndefined();
    expect(fromDataDocMeta({ ...toDataDocMeta(base, 'w'), value_version: 0 })).toBeUndefined();
    expect(fromDataDocMeta({ ...toDataDocMeta(base, 'w'), enabled: 'true' })).toBeUndefined();
    expect(fromDataDocMeta({ ...toDataDocMeta(base, 'w'), file_mode: 0o20000 })).toBeUndefined();
  });
});

describe('uniqueness index document', () => {
  test('few strings per request however many entries, and it round-trips', () => {
    const entries: IndexEntries = new Map();
    for (let i = 0; i < 3000; i++) {
      entries.set(`secret ${i}`, { env: [`VAR_${i}`], file: [`/home/u/${'f'.repeat(100)}/${i}`], at: i, tok: `t${i}` });
    }
    const doc = encodeIndex(entries, 'w');
    expect(doc.entries.length).toBeGreaterThan(1);
    expect(doc.entries.every((c) => c.length <= INDEX_CHUNK_CHARS)).toBe(true);
    expect(decodeIndex(JSON.parse(JSON.stringify(doc)))).toEqual(entries);
  });

  test('anything else is not an index', () => {
    expect(decodeIndex(undefined)).toBeUndefined();
    expect(decodeIndex({ coffer_index: 1, entries: {} })).toBeUndefined();
    expect(decodeIndex({ coffer_index: 2, entries: ['not json'] })).toBeUndefined();
    expect(decodeIndex({ coffer_index: 2, entries: ['[["a",[],[],0]]'] })).toBeUndefined();
    expect(decodeIndex({ coffer_index: 2, entries: [] })).toEqual(new Map());
  });
});
