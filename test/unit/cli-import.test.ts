/** `coffer secret import`: the env/json/yaml parsers, and all-or-nothing imports through the CLI. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatFromFileName, parseSecretsFile, type ImportFormat } from '../../src/cli/import-parsers';
import { buildCli, makeSandbox, runCli, runCliOnPty, type CliBundle, type Sandbox } from './fixtures/cli-helpers';

const parse = (format: ImportFormat, text: string): Record<string, string> =>
  Object.fromEntries(parseSecretsFile(format, text).map((e) => [e.key, e.value]));
const parseError = (format: ImportFormat, text: string): string => {
  try {
    parseSecretsFile(format, text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a parse error');
};

describe('env parser', () => {
  test('export prefix, comments, quotes, escapes, trimming, inline # kept, no expansion', () => {
    expect(
      parse(
        'env',
        [
          '# a comment',
          '',
          'export A=plain value  ',
          'B = spaced',
          'C=has # inline hash',
          'D="line\\nbreak\\t\\"q\\" \\\\ \\x"',
          "E='single $HOME \\n literal'",
          'F=$HOME',
          'G="quoted" # trailing comment',
          '  export H=x=y',
          'I=crlf\r',
        ].join('\n'),
      ),
    ).toEqual({
      A: 'plain value',
      B: 'spaced',
      C: 'has # inline hash',
      D: 'line\nbreak\t"q" \\ \\x',
      E: 'single $HOME \\n literal',
      F: '$HOME',
      G: 'quoted',
      H: 'x=y',
      I: 'crlf',
    });
  });

  test('errors name lines and keys, never values', () => {
    expect(parseError('env', 'A=1\nSECRETLINE')).toBe('cannot import the env file: line 2: expected KEY=VALUE');
    expect(parseError('env', 'A="open SECRET')).toBe(
      'cannot import the env file: line 1 (key "A"): unterminated double quote (values cannot span lines)',
    );
    expect(parseError('env', "A='open SECRET")).toMatch(/unterminated single quote/);
    expect(parseError('env', 'A="x" SECRET')).toMatch(/unexpected text after the closing quote/);
    expect(parseError('env', 'A=1\nA=2')).toBe(
      'cannot import the env file: key "A" appears more than once (lines 1 and 2)',
    );
    expect(parseError('env', 'A=')).toBe('cannot import the env file: key "A" (line 1) has an empty value');
    expect(parseError('env', 'A=""')).toMatch(/empty value/);
    expect(parseError('env', '=SECRET')).toMatch(/missing key/);
    for (const message of [parseError('env', 'A="open SECRET'), parseError('env', 'SECRETLINE')])
      expect(message).not.toContain('SECRET');
  });
});

describe('json parser', () => {
  test('a flat object of strings with escapes', () => {
    expect(parse('json', ' {"A": "x\\ny", "b.c": "\\u00fc", "E": "\\"q\\""}\n')).toEqual({
      A: 'x\ny',
      'b.c': 'ü',
      E: '"q"',
    });
    expect(parse('json', '{}')).toEqual({});
  });

  test('refuses non-strings, nesting, trailing content and duplicates', () => {
    expect(parseError('json', '{"A": 1}')).toMatch(/value of key "A" must be a string/);
    expect(parseError('json', '{"A": {"B": "x"}}')).toMatch(/must be a string/);
    expect(parseError('json', '{"A": null}')).toMatch(/must be a string/);
    expect(parseError('json', '["x"]')).toMatch(/one flat JSON object/);
    expect(parseError('json', '{"A": "x"} {"B": "y"}')).toMatch(/unexpected content after the JSON object/);
    expect(parseError('json', '{"A": "x", "A": "y"}')).toMatch(/key "A" appears more than once/);
    expect(parseError('json', '{"A": ""}')).toMatch(/empty value/);
    expect(parseError('json', '{"A": "SECRET')).not.toContain('SECRET');
  });
});

describe('yaml parser', () => {
  test('plain, quoted, multi-line and block scalars', () => {
    const text = [
      '%YAML 1.2',
      '---',
      '# comment',
      'PLAIN: plain value # comment',
      'NUM: 8080',
      'BOOL: true',
      'URL: http://example.com/a#b',
      'DQ: "tab\\there \\u00fc \\x41 # not a comment"',
      "SQ: 'it''s # literal \\n'",
      '"QUOTED KEY": v',
      'MULTI: first',
      '  second',
      '',
      '  third',
      'DQML: "a',
      '  b"',
      'LIT: |',
      '  line 1',
      '    indented',
      '  line 3',
      '',
      'FOLD: >',
      '  folded',
      '  text',
      '',
      '  para',
      'STRIP: |-',
      '  no newline',
      'KEEP: |+',
      '  kept',
      '',
      '',
      'TAGGED: !!str 123',
      '...',
    ].join('\n');
    expect(parse('yaml', text)).toEqual({
      PLAIN: 'plain value',
      NUM: '8080',
      BOOL: 'true',
      URL: 'http://example.com/a#b',
      DQ: 'tab\there ü A # not a comment',
      SQ: "it's # literal \\n",
      'QUOTED KEY': 'v',
      MULTI: 'first second\nthird',
      DQML: 'a b',
      LIT: 'line 1\n  indented\nline 3\n',
      FOLD: 'folded text\npara\n',
      STRIP: 'no newline',
      KEEP: 'kept\n\n\n',
      TAGGED: '123',
    });
  });

  test('refuses anchors, aliases, merge keys, lists, nesting, flow collections, several documents', () => {
    expect(parseError('yaml', 'A: &a x\nB: *a')).toMatch(/anchors and aliases are not allowed/);
    expect(parseError('yaml', '<<: {A: b}')).toMatch(/merge keys/);
    expect(parseError('yaml', '- a\n- b')).toMatch(/not a list/);
    expect(parseError('yaml', 'A:\n  B: c')).toMatch(/not a nested list or mapping/);
    expect(parseError('yaml', 'A:\n  - x')).toMatch(/not a nested list or mapping/);
    expect(parseError('yaml', 'A: [x]')).toMatch(/must be a string/);
    expect(parseError('yaml', '{A: x}')).toMatch(/flow collections/);
    expect(parseError('yaml', '---\nA: x\n---\nB: y')).toMatch(/only one YAML document/);
    expect(parseError('yaml', 'A: !!binary eA==')).toMatch(/tags other than !!str/);
    expect(parseError('yaml', 'A: x\nA: y')).toMatch(/key "A" appears more than once/);
    expect(parseError('yaml', 'A:')).toMatch(/empty value/);
    expect(parseError('yaml', 'A: ~')).toMatch(/empty value/);
    expect(parseError('yaml', 'A: "SECRET')).toMatch(/unterminated double-quoted value/);
    expect(parseError('yaml', 'A: a: SECRET')).toMatch(/put the value in quotes/);
    expect(parseError('yaml', 'A: x\n  B: y')).toMatch(/put the value in quotes|nested/);
    expect(parseError('yaml', 'SECRETLINE')).toBe('cannot import the yaml file: line 1: expected KEY: value');
    for (const text of ['A: "SECRET', 'A: a: SECRET', 'SECRETLINE', 'A: !x SECRET'])
      expect(parseError('yaml', text)).not.toContain('SECRET');
  });

  test('format from the file name', () => {
    expect(formatFromFileName('x/.env')).toBe('env');
    expect(formatFromFileName('prod.env')).toBe('env');
    expect(formatFromFileName('.env.local')).toBe('env');
    expect(formatFromFileName('a.JSON')).toBe('json');
    expect(formatFromFileName('a.yml')).toBe('yaml');
    expect(formatFromFileName('a.yaml')).toBe('yaml');
    expect(formatFromFileName('secrets.txt')).toBeUndefined();
  });
});

describe('coffer secret import', () => {
  let cli: CliBundle;
  let sb: Sandbox;
  beforeAll(() => {
    cli = buildCli();
  });
  afterAll(() => cli.cleanup());
  beforeEach(() => {
    sb = makeSandbox('cli-import');
  });
  afterEach(() => sb.cleanup());

  const run = (args: readonly string[], input?: string) => runCli(cli, sb, args, { input });
  const names = (): string[] =>
    JSON.parse(run(['secret', 'list', '-o', 'json']).stdout).map((s: { name: string }) => s.name);
  const write = (name: string, text: string): string => {
    const file = path.join(sb.dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  async function values(): Promise<Record<string, string>> {
    const store = sb.store();
    try {
      const out: Record<string, string> = {};
      for (const meta of await store.list('me')) out[meta.name] = (await store.readValue('me', meta.name)).reveal();
      return out;
    } finally {
      await store.close();
    }
  }

  test('env file: keys become names and env names; invalid env names are imported disabled with a warning', async () => {
    const file = write('.env', 'export API_KEY="k\\n1"\nsome.name=v2\nPATH=v3\n');
    const r = run(['secret', 'import', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('Imported 3 secrets.\n');
    // Not a terminal: no progress line, just the warning.
    expect(r.stderr).toBe(
      'coffer: warning: imported without an env name, so disabled (not a valid or allowed environment variable name): some.name, PATH\n',
    );
    const list = JSON.parse(run(['secret', 'list', '-o', 'json']).stdout);
    expect(list.map((s: Record<string, unknown>) => [s.name, s.env_name, s.enabled])).toEqual([
      ['API_KEY', 'API_KEY', true],
      ['PATH', '', false],
      ['some.name', '', false],
    ]);
    expect(await values()).toEqual({ API_KEY: 'k\n1', 'some.name': 'v2', PATH: 'v3' });
  });

  test('json and yaml files, format inferred; "-" reads stdin and needs --format', async () => {
    expect(run(['secret', 'import', write('a.json', '{"J1": "j1", "J2": "j2"}')]).status).toBe(0);
    expect(run(['secret', 'import', write('a.yml', 'Y1: |\n  y1\nY2: "y2"\n')]).status).toBe(0);
    expect(run(['secret', 'import', '-', '--format', 'env'], 'S1=s1\n').status).toBe(0);
    expect(run(['secret', 'import', '-'], 'S2=s2\n').status).toBe(2);
    expect(run(['secret', 'import', write('a.txt', 'T=t')]).status).toBe(2);
    expect(await values()).toEqual({ J1: 'j1', J2: 'j2', Y1: 'y1\n', Y2: 'y2', S1: 's1' });
    const json = JSON.parse(run(['secret', 'import', '-', '--format', 'json', '-o', 'json'], '{"Z": "z"}').stdout);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ name: 'Z', env_name: 'Z', enabled: true });
  });

  test('all or nothing: a conflict with an existing secret imports none of the batch', () => {
    expect(run(['secret', 'create', 'TAKEN', '--env', 'TAKEN'], 'old').status).toBe(0);
    const r = run(['secret', 'import', write('b.env', 'NEW1=a\nTAKEN=b\nNEW2=c\n')]);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^coffer: import item 2: secret "TAKEN" of user "dev" already exists\n$/);
    expect(names()).toEqual(['TAKEN']);
  });

  test('--dry-run shows what would be created, updated or conflict, and writes nothing', async () => {
    expect(run(['secret', 'create', 'TAKEN', '--env', 'TAKEN'], 'old').status).toBe(0);
    const file = write('dry.env', 'NEW1=a\nTAKEN=b\n');
    const plain = run(['secret', 'import', file, '--dry-run']);
    expect(plain.status).toBe(4);
    expect(plain.stdout).toMatch(/^NEW1\s+create\s+NEW1$/m);
    expect(plain.stdout).toMatch(/^TAKEN\s+conflict: exists \(use --upsert\)$/m);
    const upsert = run(['secret', 'import', file, '--dry-run', '--upsert', '-o', 'json']);
    expect(upsert.status).toBe(0);
    expect(JSON.parse(upsert.stdout)).toEqual({ create: ['NEW1'], update: ['TAKEN'], conflict: [] });
    expect(upsert.stdout + plain.stdout).not.toMatch(/\bb\b|\ba\b/);
    expect(names()).toEqual(['TAKEN']);
    expect(await values()).toEqual({ TAKEN: 'old' });
  });

  test('--upsert creates the new keys and updates the value of existing ones, keeping their other fields', async () => {
    expect(run(['secret', 'create', 'TAKEN', '--env', 'OTHER_NAME', '--description', 'kept'], 'old').status).toBe(0);
    const r = run(['secret', 'import', write('up.env', 'NEW1=a\nTAKEN=b\n'), '--upsert']);
    expect(r).toMatchObject({ status: 0, stdout: 'Imported 1 secret.\nUpdated 1 secret.\n' });
    expect(await values()).toEqual({ NEW1: 'a', TAKEN: 'b' });
    const taken = JSON.parse(run(['secret', 'list', 'TAKEN', '-o', 'json']).stdout)[0];
    expect(taken).toMatchObject({ env_name: 'OTHER_NAME', description: 'kept', value_version: 2 });
  });

  test('on a terminal an upsert counts the updates', () => {
    expect(run(['secret', 'create', 'U1', '--env', 'U1'], 'old').status).toBe(0);
    const r = runCliOnPty(cli, sb, ['secret', 'import', write('u.env', 'U1=a\nU2=b\n'), '--upsert'], []);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/updating 2\/2: U1/);
  });

  test('a parse error anywhere imports nothing and exits 5', () => {
    const r = run(['secret', 'import', write('c.yaml', 'A: x\nB: *alias\n')]);
    expect(r.status).toBe(5);
    expect(names()).toEqual([]);
    expect(run(['secret', 'import', write('d.env', '# nothing\n')]).status).toBe(5);
  });

  test('files above 1 MiB are refused before parsing', () => {
    const r = run(['secret', 'import', write('big.env', `A=${'x'.repeat(1024 * 1024)}\n`)]);
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/larger than 1 MiB/);
    const piped = run(['secret', 'import', '-', '--format', 'env'], `A=${'x'.repeat(1024 * 1024)}\n`);
    expect(piped.status).toBe(5);
  });

  test('on a terminal a progress line shows on stderr', () => {
    const file = write('p.env', 'P1=a\nP2=b\n');
    const r = runCliOnPty(cli, sb, ['secret', 'import', file], []);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/validating…/);
    expect(r.output).toMatch(/importing 2 secrets… done/);
    expect(r.output).toMatch(/Imported 2 secrets\./);
  });
});
