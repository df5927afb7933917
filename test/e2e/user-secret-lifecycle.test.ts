/**
 * A template author's session with coffer_user_secret, on every real engine available and
 * every backend (embedded store, real OpenBao, Coder API double): init, plan, apply, no-op
 * plan, update, rotate, import (block and command), out-of-band changes and delete, destroy —
 * checking `show -json` and the backend after each step.
 */
import type { SecretStore } from '../../src/client/secret-store';
import { SecretText } from '../../src/client/secret-text';
import { backendNames, startBackend, type BackendFixture } from './support/backends';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const combinations = availableEngines().flatMap((engine) =>
  backendNames().map((backend) => [`${engine.name} ${engine.version} on ${backend}`, engine, backend] as const),
);

describe.each(combinations)('coffer_user_secret lifecycle: %s', (_label, engine, backend) => {
  let ws: Workspace;
  let fx: BackendFixture;
  let store: SecretStore;

  beforeAll(async () => {
    ws = new Workspace(engine);
    fx = await startBackend(backend, ws.home);
    ws.setEnv(fx.providerEnv);
    store = fx.store;
  });

  afterAll(async () => {
    await fx?.stop();
    ws?.cleanup();
  });

  const secretHcl = (opts: { description: string; env: string; value: string; version: string }) => `${providerBlock()}
resource "coffer_user_secret" "github" {
  name             = "github-token"
  description      = "${opts.description}"
  env_name         = "${opts.env}"
  file_path        = "~/.config/gh/token"
  value_wo         = "${opts.value}"
  value_wo_version = "${opts.version}"
}
`;

  const npmHcl = (withImport: boolean) =>
    `${withImport ? `import {\n  to = coffer_user_secret.npm\n  id = "${fx.username}/npm-token"\n}\n\n` : ''}` +
    `resource "coffer_user_secret" "npm" {\n  name             = "npm-token"\n  user             = "${fx.username}"\n` +
    `  env_name         = "NPM_TOKEN"\n  value_wo         = "npm-existing"\n  value_wo_version = "1"\n}\n`;

  test('init, plan and apply create the secret', async () => {
    ws.write('main.tf', secretHcl({ description: 'CI token', env: 'GITHUB_TOKEN', value: 'ghp-first-value', version: '1' }));
    await ws.init();
    const plan = await ws.plan();
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('coffer_user_secret.github will be created');
    await ws.apply();

    const state = await ws.resource('coffer_user_secret.github');
    expect(state?.values).toMatchObject({
      name: 'github-token',
      user: 'me',
      description: 'CI token',
      env_name: 'GITHUB_TOKEN',
      file_path: '~/.config/gh/token',
      enabled: true,
      value_wo: null,
      value_wo_version: '1',
      value: null,
    });
    const meta = await store.get('me', 'github-token');
    expect(state?.values.id).toBe(meta.id);
    expect(state?.values.created_at).toBe(meta.createdAt);
    expect(meta).toMatchObject({ user: fx.username, envName: 'GITHUB_TOKEN', filePath: '~/.config/gh/token', enabled: true });
    expect(await fx.valueOf('me', 'github-token')).toBe('ghp-first-value');
  });

  test('a second plan shows no changes', async () => {
    const plan = await ws.plan();
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/No changes/);
  });

  test('changing description and targets updates in place', async () => {
    const before = await store.get('me', 'github-token');
    ws.write('main.tf', secretHcl({ description: 'rotated by CI', env: 'GH_TOKEN', value: 'ghp-first-value', version: '1' }));
    const plan = await ws.plan();
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('updated in-place');
    await ws.apply();
    const after = await store.get('me', 'github-token');
    expect(after).toMatchObject({ id: before.id, description: 'rotated by CI', envName: 'GH_TOKEN' });
    expect(after.valueVersion).toBe(before.valueVersion);
    expect(await fx.valueOf('me', 'github-token')).toBe('ghp-first-value');
    expect((await ws.resource('coffer_user_secret.github'))?.values).toMatchObject({ env_name: 'GH_TOKEN', updated_at: after.updatedAt });
    expect((await ws.plan()).code).toBe(0);
  });

  test('changing value_wo alone does nothing; bumping value_wo_version rotates', async () => {
    ws.write('main.tf', secretHcl({ description: 'rotated by CI', env: 'GH_TOKEN', value: 'ghp-second-value', version: '1' }));
    expect((await ws.plan()).code).toBe(0);
    ws.write('main.tf', secretHcl({ description: 'rotated by CI', env: 'GH_TOKEN', value: 'ghp-second-value', version: '2' }));
    const before = await store.get('me', 'github-token');
    await ws.apply();
    const after = await store.get('me', 'github-token');
    expect(after.id).toBe(before.id);
    if (store.capabilities.valueVersion) expect(after.valueVersion).toBeGreaterThan(before.valueVersion ?? 0);
    expect(await fx.valueOf('me', 'github-token')).toBe('ghp-second-value');
    expect((await ws.plan()).code).toBe(0);
  });

  test('an import block adopts an existing secret without reading its value', async () => {
    await store.create('me', { name: 'npm-token', value: new SecretText('npm-existing'), envName: 'NPM_TOKEN' });
    ws.write('imported.tf', npmHcl(true));
    const plan = await ws.plan();
    expect(plan.stdout).toMatch(/coffer_user_secret\.npm will be (imported|updated in-place)/);
    await ws.apply();
    const meta = await store.get(fx.username, 'npm-token');
    expect((await ws.resource('coffer_user_secret.npm'))?.values).toMatchObject({ id: meta.id, name: 'npm-token', user: fx.username, env_name: 'NPM_TOKEN' });
    ws.write('imported.tf', npmHcl(false));
    expect((await ws.plan()).code).toBe(0);
  });

  test('the import command adopts a secret by NAME', async () => {
    const created = await store.create('me', { name: 'pypi-token', value: new SecretText('pypi-existing'), filePath: '~/.pypirc' });
    ws.write('pypi.tf', `resource "coffer_user_secret" "pypi" {\n  name      = "pypi-token"\n  file_path = "~/.pypirc"\n  value     = "pypi-existing"\n}\n`);
    await ws.ok(['import', '-no-color', '-input=false', 'coffer_user_secret.pypi', 'pypi-token']);
    const state = await ws.resource('coffer_user_secret.pypi');
    expect(state?.values).toMatchObject({ id: created.id, name: 'pypi-token', user: 'me', file_path: '~/.pypirc', value: null });
  });

  test('an out-of-band delete is detected by refresh and re-created by apply', async () => {
    await ws.apply(); // settles the imported secret's value from configuration
    const old = await store.get('me', 'github-token');
    await store.delete('me', 'github-token');
    const plan = await ws.plan();
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('coffer_user_secret.github will be created');
    await ws.apply();
    const recreated = await store.get('me', 'github-token');
    expect(recreated.id).not.toBe(old.id);
    expect(await fx.valueOf('me', 'github-token')).toBe('ghp-second-value');
    expect((await ws.plan()).code).toBe(0);
  });

  test('a value changed out of band is written again at the next apply (metadata-only refresh)', async () => {
    // Coder's API reports no value version and never returns values: a value changed elsewhere is invisible there.
    if (!store.capabilities.valueVersion) return;
    await store.update('me', 'github-token', { value: new SecretText('changed-elsewhere') });
    const plan = await ws.plan();
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('coffer_user_secret.github will be updated in-place');
    await ws.apply();
    expect(await fx.valueOf('me', 'github-token')).toBe('ghp-second-value');
    expect((await ws.plan()).code).toBe(0);
  });

  test('a description changed out of band shows as drift and is reverted', async () => {
    await store.update('me', 'github-token', { description: 'edited by hand' });
    const refresh = await ws.ok(['plan', '-refresh-only', '-no-color', '-detailed-exitcode'], {}, [0, 2]);
    expect(refresh.stdout).toContain('edited by hand');
    await ws.apply();
    expect((await store.get('me', 'github-token')).description).toBe('rotated by CI');
  });

  test('destroy removes every managed secret', async () => {
    await ws.ok(['destroy', '-auto-approve', '-no-color', '-input=false']);
    expect(await store.list('me')).toEqual([]);
    expect(await ws.resources()).toEqual([]);
  });
});
