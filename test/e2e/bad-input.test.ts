/**
 * Conflicts only the backend finds, at apply: the diagnostic names the attribute and the rule,
 * and the store is unchanged. (Rules checked at validate time are in the reliability suite's
 * bad-input corpus: test/reliability/bad-input/provider.)
 */
import { LocalSecretStore } from '../../src/client/backends/local';
import { SecretText } from '../../src/client/secret-text';
import { streamDiagnostics } from './support/diagnostics';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const engine = availableEngines()[0]!;

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

  describe('conflicts found by the backend at apply', () => {
    beforeAll(async () => {
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
