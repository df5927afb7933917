import {
  checkEnabledHasTarget,
  checkEnvName,
  checkFileMode,
  checkFileOwner,
  checkFilePath,
  checkName,
  checkUser,
  checkValue,
  findUnsafeCharacter,
  HOOK_ENV_NAMES,
  HOOK_ENV_PREFIXES,
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

  // Issue #8 defect 1: one shared rule for reserved users.
  test.each(['@coffer-credentials', '@COFFER-CREDENTIALS', '@x', '@'])('refuses reserved user %j', (user) => {
    expect(checkUser(user)).toEqual({ field: 'user', message: expect.stringMatching(/is reserved: users starting with "@" belong to Coffer/) });
  });

  test.each(['me', 'alice', 'alice@example.com', '7f8a0c3e-1b2d-4c5e-8f9a-0b1c2d3e4f5a'])('accepts user %j', (user) => {
    expect(checkUser(user)).toBeUndefined();
  });

  // Issue #8 defect 9: control, invisible and bidirectional characters.
  test.each([
    ['a\nb', 'U+000A'],
    ['a\u001b[2J', 'U+001B'],
    ['a\u007f', 'U+007F'],
    ['a\u0085', 'U+0085'],
    ['a\u009b', 'U+009B'],
    ['a\u200eb', 'U+200E'],
    ['a\u200fb', 'U+200F'],
    ['a\u202ab', 'U+202A'],
    ['a\u202eb', 'U+202E'],
    ['a\u2066b', 'U+2066'],
    ['a\u2069b', 'U+2069'],
    ['a\u2028b', 'U+2028'],
    ['a\ufeffb', 'U+FEFF'],
    ['a\ud800b', 'U+D800'],
  ])('finds the unsafe character in %j', (text, code) => {
    expect(findUnsafeCharacter(text)).toBe(code);
    expect(checkName(text)?.message).toContain(`(found ${code})`);
    expect(checkUser(text)?.message).toContain(`(found ${code})`);
    expect(checkFilePath(`~/${text}`)?.message).toContain(`(found ${code})`);
  });

  test('ordinary Unicode is not unsafe', () => {
    expect(findUnsafeCharacter('Grüße 日本 😀 e\u0301')).toBeUndefined();
  });

  test.each(['/', '~/', '~/dir/', '/etc/', '~/a/../b', '/../x', '/a/./b', '~/.', '~/..', '/etc//x', '~//x'])('file_path %j must name a file', (filePath) => {
    expect(checkFilePath(filePath)?.field).toBe('file_path');
  });

  test.each(['~/.npmrc', '/etc/app/token', '~/.config/gh/hosts.yml', '~/..hidden', '~/a.b/c..d'])('file_path %j names a file', (filePath) => {
    expect(checkFilePath(filePath)).toBeUndefined();
  });

  // Issue #8 defect 4: loader and interpreter hooks.
  test.each([
    'NODE_OPTIONS', 'node_options', 'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONHOME', 'PROMPT_COMMAND', 'BASH_ENV', 'ENV', 'PERL5OPT',
    'PERL5LIB', 'PERLLIB', 'RUBYOPT', 'RUBYLIB', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'GCONV_PATH',
    'GLIBC_TUNABLES', 'HOSTALIASES', 'LOCALDOMAIN', 'RES_OPTIONS', 'SSLKEYLOGFILE', 'npm_config_script_shell', 'ZDOTDIR',
    'PS4', 'SHELLOPTS', 'BASHOPTS', 'MALLOC_CHECK_', 'LUA_INIT', 'DOTNET_STARTUP_HOOKS', 'CORECLR_PROFILER', 'GOFLAGS', 'LESSOPEN',
  ])('refuses the hook env_name %j', (envName) => {
    expect(checkEnvName(envName)?.message).toMatch(/is reserved/);
  });

  test.each(['GITHUB_TOKEN', 'NPM_TOKEN', 'NODE_AUTH_TOKEN', 'PYPI_TOKEN', 'HTTPS_PROXY', 'AWS_SECRET_ACCESS_KEY', 'RUBYGEMS_API_KEY', 'PERLA'])('still accepts %j', (envName) => {
    expect(checkEnvName(envName)).toBeUndefined();
  });

  test('every hook name and prefix is upper case, so the case-insensitive comparison finds it', () => {
    for (const name of [...HOOK_ENV_NAMES, ...HOOK_ENV_PREFIXES]) expect(name).toBe(name.toUpperCase());
  });
});
