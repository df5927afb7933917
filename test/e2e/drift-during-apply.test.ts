/**
 * A value changed out of band *between* `plan -out` and `apply` of a metadata-only change: the
 * apply does not refresh, so the provider must not take the backend's new value version as one
 * it wrote. The next plan shows the drift (a value rewrite) instead of "No changes". Also the
 * racing variant: CLI value updates running while such an apply runs; afterwards every secret
 * whose value is not the configured one must show up in the next plan (none hidden).
 * Embedded store and OpenBao (Coder reports no value version; see drift.test.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startBackend, type BackendFixture } from './support/backends';
import { cofferCliFor, type CofferCli } from './support/cli';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const engine = availableEngines()[0]!;
const RACERS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

function config(description: string): string {
  return `${providerBlock()}
resource "coffer_user_secret" "solo" {
  name             = "solo"
  description      = "${description}"
  env_name         = "SOLO"
  value_wo         = "configured-solo"
  value_wo_version = "1"
}

resource "coffer_user_secret" "racer" {
  for_each         = toset(${JSON.stringify(RACERS)})
  name             = "racer-\${each.key}"
  description      = "${description}"
  env_name         = "RACER_\${upper(each.key)}"
  value_wo         = "configured-\${each.key}"
  value_wo_version = "1"
}
`;
}

/** Addresses the saved plan PLAN would update or replace. */
async function plannedChanges(ws: Workspace, planFile: string): Promise<string[]> {
  const shown = await ws.ok(['show', '-json', '-no-color', planFile]);
  const plan = JSON.parse(shown.stdout) as { resource_changes?: { address: string; change: { actions: string[] } }[] };
  return (plan.resource_changes ?? []).filter((c) => !c.change.actions.every((a) => a === 'no-op' || a === 'read')).map((c) => c.address);
}

describe.each(['local', 'openbao'] as const)(`value changed between plan and apply on %s (${engine.name} ${engine.version})`, (backend) => {
  let ws: Workspace;
  let fx: BackendFixture;
  let coffer: CofferCli;
  let round = 0;

  /** `coffer secret update NAME --value-file` with a fresh out-of-band value. */
  async function rotateByHand(name: string): Promise<void> {
    const file = path.join(ws.home, `by-hand-${name}-${++round}`);
    fs.writeFileSync(file, `by-hand-${round}`, { mode: 0o600 });
    await coffer(['secret', 'update', name, '--value-file', file]);
  }

  beforeAll(async () => {
    ws = new Workspace(engine);
    fx = await startBackend(backend, ws.home);
    ws.setEnv(fx.providerEnv);
    coffer = await cofferCliFor(ws, fx);
    ws.write('main.tf', config('first'));
    await ws.init();
    await ws.apply();
  });

  afterAll(async () => {
    await fx?.stop();
    ws?.cleanup();
  });

  test('plan -out (description change), `coffer secret update` of the value, apply: the next plan rewrites the value', async () => {
    ws.write('main.tf', config('second'));
    await ws.ok(['plan', '-out=meta.tfplan', '-no-color', '-input=false']);
    await rotateByHand('solo');
    await ws.ok(['apply', '-no-color', '-input=false', 'meta.tfplan']);
    expect(await fx.store.get('me', 'solo')).toMatchObject({ description: 'second' });
    expect(await fx.valueOf('me', 'solo')).not.toBe('configured-solo');

    const plan = await ws.plan();
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('coffer_user_secret.solo will be updated in-place');
    expect(plan.stdout).toMatch(/\+ value_wo_version\s+= "1"/);
    await ws.apply();
    expect(await fx.valueOf('me', 'solo')).toBe('configured-solo');
    expect((await ws.plan()).code).toBe(0);
  });

  test('CLI value updates racing a metadata-only apply: every secret not holding the configured value shows drift', async () => {
    ws.write('main.tf', config('third'));
    await ws.ok(['plan', '-out=race.tfplan', '-no-color', '-input=false']);
    // The apply and the CLI updates start together; some updates land before the apply's write of
    // that secret, some after. A CAS conflict may fail part of the apply: that is allowed.
    const [applied] = await Promise.all([
      ws.run(['apply', '-no-color', '-input=false', '-parallelism=4', 'race.tfplan']),
      ...RACERS.map((key) => rotateByHand(`racer-${key}`)),
    ]);
    expect([0, 1]).toContain(applied.code);

    const drifted: string[] = [];
    for (const key of RACERS) {
      if ((await fx.valueOf('me', `racer-${key}`)) !== `configured-${key}`) drifted.push(`coffer_user_secret.racer["${key}"]`);
    }
    // The apply writes no value, so every out-of-band value is still there.
    expect(drifted.length).toBe(RACERS.length);

    await ws.ok(['plan', '-out=after.tfplan', '-no-color', '-input=false']);
    const planned = await plannedChanges(ws, 'after.tfplan');
    const hidden = drifted.filter((address) => !planned.includes(address));
    expect(hidden).toEqual([]);

    await ws.apply();
    for (const key of RACERS) expect(await fx.valueOf('me', `racer-${key}`)).toBe(`configured-${key}`);
    expect((await ws.plan()).code).toBe(0);
  });
});
