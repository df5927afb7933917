/**
 * Issue #8 defect 8: `home = "/proc/coffer"` made the provider spin at full CPU forever (Node's
 * `mkdir -p` never ends there), and it stayed behind when tofu was killed. Now the plan fails
 * with a diagnostic naming the path, and the provider exits with tofu.
 */
import { streamDiagnostics } from './support/diagnostics';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const engine = availableEngines()[0]!;

describe(`a Coffer home that cannot be created (${engine.name} ${engine.version})`, () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = new Workspace(engine);
    ws.write('main.tf', providerBlock());
    await ws.init();
  });
  afterAll(() => ws?.cleanup());

  test('home = "/proc/coffer" fails the plan with the path, instead of hanging', async () => {
    ws.write('main.tf', `${providerBlock('\n  home = "/proc/coffer"\n')}
data "coffer_user_secret" "x" {
  name = "anything"
}
`);
    const plan = await ws.run(['plan', '-json', '-no-color', '-input=false']);
    expect(plan.code).toBe(1);
    const errors = streamDiagnostics(plan.stdout).filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${d.summary} ${d.detail}`).join('\n')).toMatch(/\/proc\/coffer/);
  });
});
