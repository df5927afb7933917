/**
 * Drift as a user causes it: someone changes a managed secret with the real `coffer` CLI
 * (same backend, same COFFER_HOME / credentials as the provider), and the next plan shows it.
 * A value rotated out of band is a planned update (the provider forgets `value_wo_version` when
 * the backend's value version moved, so the configured value is written again); a metadata
 * change is an update back to the configuration; a delete plans a re-create; `-refresh-only`
 * reports each as a change made outside the engine. Every engine × backend.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendNames, startBackend, type BackendFixture } from './support/backends';
import { cofferCliFor, type CofferCli } from './support/cli';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const OUTSIDE = /Objects have changed outside of (OpenTofu|Terraform)/;

const combinations = availableEngines().flatMap((engine) =>
  backendNames().map((backend) => [`${engine.name} ${engine.version} on ${backend}`, engine, backend] as const),
);

describe.each(combinations)('drift from the coffer CLI: %s', (_label, engine, backend) => {
  let ws: Workspace;
  let fx: BackendFixture;
  let coffer: CofferCli;

  beforeAll(async () => {
    ws = new Workspace(engine);
    fx = await startBackend(backend, ws.home);
    ws.setEnv(fx.providerEnv);
    coffer = await cofferCliFor(ws, fx);

    ws.write(
      'main.tf',
      `${providerBlock()}
resource "coffer_user_secret" "github" {
  name             = "github-token"
  description      = "CI token"
  env_name         = "GITHUB_TOKEN"
  value_wo         = "ghp-configured"
  value_wo_version = "1"
}
`,
    );
    await ws.init();
    await ws.apply();
  });

  afterAll(async () => {
    await fx?.stop();
    ws?.cleanup();
  });

  const refreshOnly = () => ws.ok(['plan', '-refresh-only', '-no-color', '-input=false', '-detailed-exitcode'], {}, [0, 2]);

  test('the CLI sees the secret the provider created', async () => {
    const listed = JSON.parse(await coffer(['secret', 'list', '-o', 'json'])) as { name: string; envName?: string; env_name?: string }[];
    expect(JSON.stringify(listed)).toContain('github-token');
  });

  test('a value rotated with `coffer secret update --value-file` is a planned update, and apply writes the configured value back', async () => {
    const file = path.join(ws.home, 'new-value');
    fs.writeFileSync(file, 'rotated-by-hand', { mode: 0o600 });
    await coffer(['secret', 'update', 'github-token', '--value-file', file]);
    expect(await fx.valueOf('me', 'github-token')).toBe('rotated-by-hand');

    if (!fx.store.capabilities.valueVersion) {
      // Coder reports no value version: a value changed there is invisible to plans (documented).
      expect((await ws.plan()).code).toBe(0);
      return;
    }
    const refresh = await refreshOnly();
    expect(refresh.code).toBe(2);
    expect(refresh.stdout).toMatch(OUTSIDE);
    expect(refresh.stdout).toMatch(/value_wo_version\s+=\s+"1" -> null/);

    const plan = await ws.plan();
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('coffer_user_secret.github will be updated in-place');
    expect(plan.stdout).toMatch(/\+ value_wo_version\s+= "1"/);
    await ws.apply();
    expect(await fx.valueOf('me', 'github-token')).toBe('ghp-configured');
    expect((await ws.plan()).code).toBe(0);
  });

  test('metadata changed with the CLI (description, env, disabled) shows as drift and is reverted', async () => {
    await coffer(['secret', 'update', 'github-token', '--description', 'edited by hand', '--env', 'GH_TOKEN', '--disabled']);
    const refresh = await refreshOnly();
    expect(refresh.code).toBe(2);
    expect(refresh.stdout).toMatch(OUTSIDE);
    expect(refresh.stdout).toContain('edited by hand');

    const plan = await ws.plan();
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('coffer_user_secret.github will be updated in-place');
    expect(plan.stdout).toMatch(/description\s+= "edited by hand" -> "CI token"/);
    expect(plan.stdout).toMatch(/env_name\s+= "GH_TOKEN" -> "GITHUB_TOKEN"/);
    expect(plan.stdout).toMatch(/enabled\s+= false -> true/);
    await ws.apply();
    expect(await fx.store.get('me', 'github-token')).toMatchObject({ description: 'CI token', envName: 'GITHUB_TOKEN', enabled: true });
    expect((await ws.plan()).code).toBe(0);
  });

  test('a delete with `coffer secret delete` plans a re-create; -refresh-only reports it', async () => {
    const before = await fx.store.get('me', 'github-token');
    await coffer(['secret', 'delete', 'github-token', '-y']);
    const refresh = await refreshOnly();
    expect(refresh.code).toBe(2);
    expect(refresh.stdout).toMatch(OUTSIDE);
    expect(refresh.stdout).toContain('coffer_user_secret.github has been deleted');

    const plan = await ws.plan();
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('coffer_user_secret.github will be created');
    await ws.apply();
    const after = await fx.store.get('me', 'github-token');
    expect(after.id).not.toBe(before.id);
    expect(await fx.valueOf('me', 'github-token')).toBe('ghp-configured');
    expect((await ws.plan()).code).toBe(0);
  });
});
