import {
  checkEnabledHasTarget,
  checkEnvName,
  checkFileMode,
  checkFileOwner,
  checkFilePath,
  checkName,
  checkValue,
  parseFileMode,
} from '../../src/client/rules';

describe('shared secret rules', () => {
  test.each(['token', 'GitHub Token', 'ünïcødé', 'a'.repeat(255), 'with.dots-and_dashes'])('accepts name %j', (name) => {
    expect(checkName(name)).toBeUndefined();
  });

  test.each([
    ['', /blank/],
    [' x', /whitespace/],
    ['x\t', /whitespace/],
    ['a/b', /"\/"/],
    ['a?b', /"\?"/],
    ['a#b', /"#"/],
    ['a'.repeat(256), /at most 255 characters \(got 256\)/],
  ])('rejects name %j', (name, rule) => {
    expect(checkName(name)).toEqual({ field: 'name', message: expect.stringMatching(rule) });
  });

  test('counts name length in characters, not UTF-16 units', () => {
    expect(checkName('😀'.repeat(255))).toBeUndefined();
  });

  test.each(['', 'GITHUB_TOKEN', '_private', 'a1', 'CODERX', 'PATHS'])('accepts env_name %j', (env) => {
    expect(checkEnvName(env)).toBeUndefined();
  });

  test.each(['1A', 'A-B', 'A B', 'PATH', 'path', 'Home', 'CODER', 'coder_url', 'GIT_DIR', 'LC_ALL', 'LD_PRELOAD', 'DYLD_X', 'SSH_AUTH_SOCK'])(
    'rejects env_name %j',
    (env) => {
      expect(checkEnvName(env)?.field).toBe('env_name');
    },
  );

  test.each([['', true], ['~/.npmrc', true], ['/etc/x', true], ['relative', false], ['~user/x', false], [`/${'a'.repeat(4095)}`, true], [`/${'a'.repeat(4096)}`, false]])(
    'file_path %j valid=%s',
    (filePath, valid) => {
      expect(checkFilePath(filePath) === undefined).toBe(valid);
    },
  );

  test('value limits are counted in UTF-8 bytes and never quote the value', () => {
    const canary = 'CANARY-VALUE';
    expect(checkValue('x'.repeat(24 * 1024))).toBeUndefined();
    const tooBig = checkValue(`${canary}${'é'.repeat(12 * 1024)}`);
    expect(tooBig?.message).toMatch(/at most 24576 bytes/);
    expect(tooBig?.message).not.toContain(canary);
    expect(checkValue('')?.message).toMatch(/empty/);
    expect(checkValue(`${canary}\0`)?.message).not.toContain(canary);
  });

  test('an enabled secret needs a target', () => {
    expect(checkEnabledHasTarget(true, '', '')?.field).toBe('env_name');
    expect(checkEnabledHasTarget(false, '', '')).toBeUndefined();
    expect(checkEnabledHasTarget(true, 'X', '')).toBeUndefined();
  });

  test('file owner and mode', () => {
    expect(checkFileOwner('root')).toBeUndefined();
    expect(checkFileOwner('1000:1000')).toBeUndefined();
    expect(checkFileOwner('Root')).toBeDefined();
    expect(checkFileMode(0o440)).toBeUndefined();
    expect(checkFileMode(0o1000)).toBeDefined();
    expect(parseFileMode('0440')).toBe(0o440);
    expect(parseFileMode('0o600')).toBe(0o600);
    expect(parseFileMode('999')).toBeUndefined();
  });
});
