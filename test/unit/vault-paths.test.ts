import {
  encodeConfiguredPath,
  encodeSegment,
  keyForName,
  KvLayout,
  nameForKey,
} from '../../src/client/backends/vault/vault-paths';

describe('Vault key names', () => {
  test('ordinary names are stored verbatim', () => {
    for (const name of [
      'github token',
      'ünï',
      '😀',
      'a..b',
      '.coffer',
      'x.',
      '%41',
      '+',
      'a;b',
      '\\',
      '*',
      '~x',
      'é',
      "it's",
    ]) {
      expect(keyForName(name)).toBe(name);
      expect(nameForKey(name)).toBe(name);
    }
  });

  test('names Vault refuses in a path are escaped reversibly', () => {
    const awkward = [
      '.',
      '..',
      'a\nb',
      'tab\there',
      'a\u200db',
      'nb\u00a0sp',
      'zw\u200bsp',
      '\u2028',
      'del\u007f',
      'priv\ue000',
    ];
    for (const name of awkward) {
      const key = keyForName(name);
      expect(key.startsWith('#')).toBe(true);
      expect(key).toMatch(/^#[A-Za-z0-9_-]+$/);
      expect(nameForKey(key)).toBe(name);
    }
    expect(keyForName('.')).toBe('#Lg');
    expect(keyForName('..')).toBe('#Li4');
  });

  test('keys that are not ours are not mistaken for names', () => {
    expect(nameForKey('folder/')).toBeUndefined();
    expect(nameForKey('')).toBeUndefined();
    expect(nameForKey('#not base64!')).toBeUndefined();
    // A valid base64url escape of a name that would be stored verbatim is not canonical.
    expect(nameForKey('#' + Buffer.from('plain').toString('base64url'))).toBeUndefined();
    // Invalid UTF-8 never round-trips.
    expect(nameForKey('#' + Buffer.from([0xff, 0xfe]).toString('base64url'))).toBeUndefined();
  });

  test('segments are URL-encoded', () => {
    expect(encodeSegment('a b')).toBe('a%20b');
    expect(encodeSegment('ü')).toBe('%C3%BC');
    expect(encodeSegment('%41')).toBe('%2541');
    expect(encodeSegment('#Lg')).toBe('%23Lg');
    expect(encodeSegment('a+b;c')).toBe('a%2Bb%3Bc');
  });

  test('layout of a user folder', () => {
    const layout = new KvLayout('kv/team', '/coffer/users/');
    expect(layout.data('alice', 'a b')).toBe('kv/team/data/coffer/users/alice/a%20b');
    expect(layout.metadata('al ice', '..')).toBe('kv/team/metadata/coffer/users/al%20ice/%23Li4');
    expect(layout.userFolder('alice')).toBe('kv/team/metadata/coffer/users/alice/');
    expect(layout.detailedUserFolder('alice')).toBe('kv/team/detailed-metadata/coffer/users/alice/');
    expect(layout.indexData('alice')).toBe('kv/team/data/coffer/users/alice/.coffer/index');
    expect(layout.indexMetadata('alice')).toBe('kv/team/metadata/coffer/users/alice/.coffer/index');
    expect(layout.claimData('alice', 'env', 'API_KEY')).toBe('kv/team/data/coffer/users/alice/.coffer/env/API_KEY');
    expect(layout.claimMetadata('alice', 'file', 'ab12')).toBe('kv/team/metadata/coffer/users/alice/.coffer/file/ab12');
  });

  test('configured mounts and prefixes are checked', () => {
    expect(encodeConfiguredPath('a b/c', 'pathPrefix')).toBe('a%20b/c');
    expect(() => encodeConfiguredPath('', 'mount')).toThrow('must not be empty');
    expect(() => encodeConfiguredPath('a/../b', 'pathPrefix')).toThrow('".."');
    expect(() => encodeConfiguredPath('a?b', 'pathPrefix')).toThrow('characters');
    expect(() => encodeConfiguredPath('a\nb', 'pathPrefix')).toThrow('characters');
  });
});
