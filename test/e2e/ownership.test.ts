/**
 * One secret, one owner. Two configurations declaring the same secret (same name, same value):
 * the second is told the secret already exists and to import it, instead of silently adopting it
 * (which left it planning a re-create once the first was destroyed). Two resources of one
 * configuration declaring the same secret: one of them fails. Embedded store and OpenBao.
 */
import { startBackend, type BackendFixture } from './support/backends';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const engine = availableEngines()[0]!;

const secret = (address: string, name: string) => `
resource "coffer_user_secret" "${address}" {
  name             = "${name}"
  env_name         = "SHARED_TOKEN"
  value_wo         = "same-value"
  value_wo_version = "1"
}
`;

describe.each(['local', 'openbao'] as const)(`two owners for one secret on %s (${engine.name} ${engine.version})`, (backend) => {
  let teamA: Workspace;
  let teamB: Workspace;
  let fx: BackendFixture;

  beforeAll(async () => {
    teamA = new Workspace(engine);
    fx = await startBackend(backend, teamA.home);
    // Both configurations use the same backend (and, for the embedded store, the same COFFER_HOME).
    teamB = new Workspace(engine, { COFFER_HOME: teamA.home });
    for (const ws of [teamA, teamB]) ws.setEnv(fx.providerEnv);
    await Promise.all([teamA, teamB].map((ws) => ws.write('main.tf', `${providerBlock()}${secret('token', 'shared-token')}`)));
    await Promise.all([teamA.init(), teamB.init()]);
  });

  afterAll(async () => {
    await fx?.stop();
    teamA?.cleanup();
    teamB?.cleanup();
  });

  test('the second configuration is refused with "already exists — import it", and the first keeps sole ownership', async () => {
    await teamA.apply();
    const created = await fx.store.get('me', 'shared-token');

    const second = await teamB.run(['apply', '-auto-approve', '-no-color', '-input=false']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('Secret already exists');
    expect(second.stderr.replace(/\s+/g, ' ')).toMatch(/not created by this resource .*import it: an import block with id = "me\/shared-token"/);
    expect(await teamB.resources()).toEqual([]);

    // Destroying the owner removes the secret; the other configuration never claimed it.
    await teamA.ok(['destroy', '-auto-approve', '-no-color', '-input=false']);
    await expect(fx.store.get('me', 'shared-token')).rejects.toThrow(/does not exist/);
    expect(created.id).toBeTruthy();
  });

  test('two resources of one configuration declaring the same secret: one apply error, one owner', async () => {
    teamB.write('main.tf', `${providerBlock()}${secret('first', 'twice')}${secret('second', 'twice')}`);
    const applied = await teamB.run(['apply', '-auto-approve', '-no-color', '-input=false']);
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain('Secret declared twice');
    expect((await teamB.resources()).map((r) => r.address)).toHaveLength(1);
  });
});
