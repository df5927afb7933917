/**
 * Issue #8 defects 4 and 9 in templates: the shared rules refuse loader/interpreter hooks as
 * env names, paths that do not name a file, and names with control or bidirectional characters,
 * at `validate`, on the attribute, before anything is written.
 */
import { LocalSecretStore } from '../../src/client/backends/local';
import { validateDiagnostics } from './support/diagnostics';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const engine = availableEngines()[0]!;

const cases: [string, string, string, RegExp][] = [
  ['env_name NODE_OPTIONS', 'env_name = "NODE_OPTIONS"', 'env_name', /"NODE_OPTIONS" is reserved: it makes programs load code/],
  ['env_name PYTHONSTARTUP', 'env_name = "PYTHONSTARTUP"', 'env_name', /names starting with PYTHON/],
  ['env_name JAVA_TOOL_OPTIONS', 'env_name = "JAVA_TOOL_OPTIONS"', 'env_name', /is reserved/],
  ['file_path naming a directory', 'file_path = "~/dir/"', 'file_path', /must name a file/],
  ['file_path with ".."', 'file_path = "/../etc/passwd"', 'file_path', /"\." or "\.\." components/],
  ['name with ESC', 'name = "a\\u001b[2Jb"', 'name', /found U\+001B/],
  ['name with a right-to-left override', 'name = "txt\\u202eexe.sh"', 'name', /found U\+202E/],
];

describe(`template rules (${engine.name} ${engine.version})`, () => {
  let ws: Workspace;
  let store: LocalSecretStore;

  beforeAll(async () => {
    ws = new Workspace(engine);
    store = new LocalSecretStore({ home: ws.home });
    ws.write('main.tf', providerBlock());
    await ws.init();
  });

  afterAll(async () => {
    await store?.close();
    ws?.cleanup();
  });

  test.each(cases)('%s is refused at validate, on the attribute', async (_title, line, attribute, rule) => {
    const body = [line];
    if (!line.startsWith('name')) body.push('name = "ok-name"');
    if (!line.startsWith('env_name') && !line.startsWith('file_path')) body.push('env_name = "OK_TOKEN"');
    ws.write('bad.tf', `resource "coffer_user_secret" "bad" {\n  ${body.join('\n  ')}\n  value_wo = "v"\n}\n`);
    const validate = await ws.run(['validate', '-json', '-no-color']);
    expect(validate.code).toBe(1);
    const errors = validateDiagnostics(validate.stdout).filter((d) => d.severity === 'error');
    const match = errors.find((d) => rule.test(`${d.summary} ${d.detail}`));
    if (match === undefined) throw new Error(`no diagnostic matching ${rule}: ${JSON.stringify(errors).slice(0, 1500)}`);
    expect((match.code ?? '').replace(/\s+/g, ' ')).toContain(`${attribute} =`);
    expect(await store.list('me')).toEqual([]);
  });
});
