/**
 * Bad input is rejected with a diagnostic on the offending attribute that names the rule, and
 * nothing reaches the store. Rules checked at validate time, and backend conflicts at apply.
 */
import { LocalSecretStore } from '../../src/client/backends/local';
import { SecretText } from '../../src/client/secret-text';
import { streamDiagnostics, validateDiagnostics } from './support/diagnostics';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const engine = availableEngines()[0]!;

interface Case {
  readonly title: string;
  /** Attribute lines of one coffer_user_secret (name/value added unless given). */
  readonly body: string;
  /** The attribute the diagnostic must point at; for an attribute that is absent, the engine points at the block. */
  readonly attribute: string;
  readonly rule: RegExp;
}

const longName = 'n'.repeat(256);
const longPath = `/${'p'.repeat(4096)}`;
const bigValue = 'v'.repeat(24 * 1024 + 1);

const cases: Case[] = [
  { title: 'blank name', body: 'name = ""', attribute: 'name', rule: /must not be blank/ },
  { title: 'whitespace-only name', body: 'name = "   "', attribute: 'name', rule: /must not be blank/ },
  { title: 'name with surrounding whitespace', body: 'name = " token"', attribute: 'name', rule: /whitespace/ },
  { title: 'name with "/"', body: 'name = "a/b"', attribute: 'name', rule: /"\/"/ },
  { title: 'name with "?"', body: 'name = "a?b"', attribute: 'name', rule: /"\?"/ },
  { title: 'name with "#"', body: 'name = "a#b"', attribute: 'name', rule: /"#"/ },
  { title: 'name over 255 characters', body: `name = "${longName}"`, attribute: 'name', rule: /at most 255 characters/ },
  { title: 'user with "/"', body: 'user = "a/b"', attribute: 'user', rule: /"\/"/ },
  { title: 'env_name starting with a digit', body: 'env_name = "1TOKEN"', attribute: 'env_name', rule: /POSIX/ },
  { title: 'env_name with a dash', body: 'env_name = "MY-TOKEN"', attribute: 'env_name', rule: /POSIX/ },
  { title: 'reserved env_name PATH', body: 'env_name = "PATH"', attribute: 'env_name', rule: /reserved/ },
  { title: 'reserved env_name, any case', body: 'env_name = "home"', attribute: 'env_name', rule: /reserved/ },
  { title: 'env_name with CODER_ prefix', body: 'env_name = "CODER_AGENT_TOKEN"', attribute: 'env_name', rule: /CODER_/ },
  { title: 'env_name with GIT_ prefix', body: 'env_name = "GIT_ASKPASS"', attribute: 'env_name', rule: /GIT_/ },
  { title: 'env_name with LD_ prefix', body: 'env_name = "LD_PRELOAD"', attribute: 'env_name', rule: /LD_/ },
  { title: 'env_name with LC_ prefix', body: 'env_name = "LC_ALL"', attribute: 'env_name', rule: /LC_/ },
  { title: 'env_name with DYLD_ prefix', body: 'env_name = "DYLD_INSERT_LIBRARIES"', attribute: 'env_name', rule: /DYLD_/ },
  { title: 'relative file_path', body: 'file_path = "config/token"', attribute: 'file_path', rule: /start with "~\/" or "\/"/ },
  { title: 'file_path with ~user', body: 'file_path = "~bob/token"', attribute: 'file_path', rule: /start with "~\/" or "\/"/ },
  { title: 'file_path over 4096 bytes', body: `file_path = "${longPath}"`, attribute: 'file_path', rule: /at most 4096 bytes/ },
  { title: 'empty value_wo', body: 'value_wo = ""', attribute: 'value_wo', rule: /must not be empty/ },
  { title: 'value_wo with NUL', body: 'value_wo = "a\\u0000b"', attribute: 'value_wo', rule: /NUL/ },
  { title: 'value_wo over 24 KiB', body: `value_wo = "${bigValue}"`, attribute: 'value_wo', rule: /at most 24576 bytes/ },
  { title: 'empty value', body: 'value = ""', attribute: 'value', rule: /must not be empty/ },
  { title: 'both value and value_wo', body: 'value = "a"\n  value_wo = "b"', attribute: 'value_wo', rule: /exactly one of/ },
  { title: 'neither value nor value_wo', body: 'description = "no value"', attribute: 'resource "coffer_user_secret" "bad"', rule: /exactly one of/ },
  { title: 'value_wo_version with value', body: 'value = "a"\n  value_wo_version = "1"', attribute: 'value_wo_version', rule: /only applies to value_wo/ },
  { title: 'enabled secret without target', body: 'env_name = null\n  enabled = true', attribute: 'env_name', rule: /needs env_name or file_path/ },
  { title: 'enabled of the wrong type', body: 'enabled = "maybe"', attribute: 'enabled', rule: /bool/ },
  { title: 'name of the wrong type', body: 'name = ["a", "b"]', attribute: 'name', rule: /string required/ },
  { title: 'read-only id set in the configuration', body: 'id = "x"', attribute: 'id', rule: /id is read-only/ },
  { title: 'name set to null', body: 'name = null', attribute: 'name', rule: /name is required and cannot be null/ },
];

function resourceFor(body: string): string {
  const lines = [body];
  if (!/^\s*name\s*=/m.test(body)) lines.push('name = "ok-name"');
  if (!/^\s*(value|value_wo)\s*=/m.test(body) && !body.includes('no value')) lines.push('value_wo = "v"');
  if (!/^\s*env_name\s*=/m.test(body) && !/^\s*file_path\s*=/m.test(body)) lines.push('env_name = "SOME_TOKEN"');
  return `resource "coffer_user_secret" "bad" {\n  ${lines.join('\n  ')}\n}\n`;
}

describe(`bad input on ${engine.name} ${engine.version}`, () => {
  let ws: Workspace;
  let store: LocalSecretStore;

  beforeAll(async () => {
    ws = new Workspace(engine);
    store = new LocalSecretStore({ home: ws.home });
    ws.write('main.tf', providerBlock());
    await ws.init();
  });

  afterAll(async () => {
    await store.close();
    ws.cleanup();
  });

  test(`has at least 20 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  test.each(cases.map((c) => [c.title, c] as const))('%s', async (_title, c) => {
    ws.write('bad.tf', resourceFor(c.body));
    const validate = await ws.run(['validate', '-json', '-no-color']);
    expect(validate.code).toBe(1);
    const errors = validateDiagnostics(validate.stdout).filter((d) => d.severity === 'error');
    const match = errors.find((d) => c.rule.test(`${d.summary} ${d.detail}`));
    if (match === undefined) throw new Error(`no diagnostic matching ${c.rule}: ${JSON.stringify(errors, null, 2).slice(0, 2000)}`);
    const pointer = c.attribute.startsWith('resource ') ? c.attribute : `${c.attribute} =`;
    expect((match.code ?? '').replace(/\s+/g, ' ')).toContain(pointer);

    const apply = await ws.run(['apply', '-auto-approve', '-no-color', '-input=false']);
    expect(apply.code).toBe(1);
    expect(await store.list('me')).toEqual([]);
  });

  describe('conflicts found by the backend at apply', () => {
    beforeAll(async () => {
      ws.remove('bad.tf');
      await store.create('me', { name: 'existing', value: new SecretText('existing-value'), envName: 'TAKEN_ENV', filePath: '~/.taken' });
    });

    const conflicts = [
      { title: 'env_name used by another secret', line: 'env_name = "TAKEN_ENV"', name: 'new-one', attribute: 'env_name', rule: /env_name/ },
      { title: 'file_path used by another secret', line: 'file_path = "~/.taken"', name: 'new-two', attribute: 'file_path', rule: /file_path/ },
      { title: 'name that already exists', line: 'env_name = "FREE_ENV"', name: 'existing', attribute: 'name', rule: /import/ },
    ];

    test.each(conflicts.map((c) => [c.title, c] as const))('%s', async (_title, c) => {
      const before = await store.list('me');
      ws.write('conflict.tf', `resource "coffer_user_secret" "dup" {\n  name     = "${c.name}"\n  ${c.line}\n  value_wo = "new-value"\n}\n`);
      const apply = await ws.run(['apply', '-auto-approve', '-no-color', '-input=false', '-json']);
      expect(apply.code).toBe(1);
      const errors = streamDiagnostics(apply.stdout).filter((d) => d.severity === 'error');
      const match = errors.find((d) => c.rule.test(`${d.summary} ${d.detail}`));
      if (match === undefined) throw new Error(`no diagnostic matching ${c.rule}: ${JSON.stringify(errors, null, 2)}`);
      expect(match.code ?? '').toMatch(new RegExp(`\\b${c.attribute}\\s*=`));
      expect(await store.list('me')).toEqual(before);
      expect((await store.readValue('me', 'existing')).reveal()).toBe('existing-value');
      ws.remove('conflict.tf');
    });
  });
});
