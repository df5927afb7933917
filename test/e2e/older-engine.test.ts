/**
 * An engine from before write-only attributes (OpenTofu 1.10): the `value` attribute works, with
 * the documented trade-off that the engine stores it (marked sensitive) in state; `value_wo` is
 * refused at plan, because such an engine would store it in plain sight.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalSecretStore } from '../../src/client/backends/local';
import type { Engine } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

function oldTofu(): Engine {
  const binary = path.join(process.env.COFFER_E2E_TOOLS_BIN ?? '', 'tofu-old');
  if (!fs.existsSync(binary)) throw new Error(`${binary} missing: run scripts/setup-tools.sh`);
  const version = (JSON.parse(execFileSync(binary, ['version', '-json'], { encoding: 'utf8', env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' } })) as { terraform_version: string }).terraform_version;
  return { name: 'tofu', binary, version, registryHost: 'registry.opentofu.org' };
}

const engine = oldTofu();

describe(`an engine without write-only support: tofu ${engine.version}`, () => {
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

  const withValue = (value: string) => `${providerBlock()}
resource "coffer_user_secret" "legacy" {
  name     = "legacy"
  env_name = "LEGACY_TOKEN"
  value    = "${value}"
}
`;

  test('value creates, plans no changes, and updates the secret', async () => {
    ws.write('main.tf', withValue('legacy-one'));
    await ws.apply();
    expect((await store.readValue('me', 'legacy')).reveal()).toBe('legacy-one');
    expect((await ws.plan()).code).toBe(0);
    ws.write('main.tf', withValue('legacy-two'));
    await ws.apply();
    expect((await store.readValue('me', 'legacy')).reveal()).toBe('legacy-two');
    const state = await ws.resource('coffer_user_secret.legacy');
    // The trade-off, as documented: the engine keeps `value` in state, marked sensitive.
    expect(state?.sensitive_values).toMatchObject({ value: true });
    expect(ws.allFilesText()).toContain('legacy-two');
  });

  test('value_wo is refused before anything is written', async () => {
    ws.write('main.tf', `${providerBlock()}
resource "coffer_user_secret" "modern" {
  name     = "modern"
  env_name = "MODERN_TOKEN"
  value_wo = "would-land-in-state"
}
`);
    const plan = await ws.run(['plan', '-no-color', '-input=false']);
    expect(plan.code).toBe(1);
    expect(plan.stdout + plan.stderr).toMatch(/value_wo needs write-only support/);
    expect((await store.list('me')).map((s) => s.name)).not.toContain('modern');
    expect(ws.allFilesText()).not.toContain('would-land-in-state');
  });
});
