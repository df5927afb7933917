/**
 * Owner claims (src/client/ownership.ts) and how coffer_user_secret uses them on create: a record
 * left by this same resource (same configuration directory, workspace, user and name) is adopted;
 * a record of another configuration, one without a claim, or a second resource of the same
 * configuration is refused with "already exists — import it". On the embedded store.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalSecretStore } from '../../src/client/backends/local';
import { ClaimRegistry, claimScopeFromEnvironment, isOwnerClaim, ownerClaim, type ClaimScope } from '../../src/client/ownership';
import type { SecretStore } from '../../src/client/secret-store';
import { SecretText } from '../../src/client/secret-text';
import { Diagnostics, type StateModel } from '../../src/provider/framework';
import { silentLogger } from '../../src/provider/protocol/logger';
import type { CofferProviderData } from '../../src/provider/provider-data';
import { UserSecretResource } from '../../src/provider/resources/user-secret';

type State = StateModel<UserSecretResource['schema']['attributes']>;

let root: string;
let store: LocalSecretStore;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-ownership-'));
  store = new LocalSecretStore({ home: path.join(root, 'home'), identity: 'alice', env: {} });
});

afterEach(async () => {
  await store.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function config(overrides: Partial<State> = {}): State {
  return {
    id: null,
    name: 'github-token',
    user: 'me',
    description: 'CI token',
    env_name: 'GITHUB_TOKEN',
    file_path: null,
    enabled: true,
    value: null,
    value_wo: 'configured',
    value_wo_version: '1',
    on_destroy: null,
    created_at: null,
    updated_at: null,
    ...overrides,
  };
}

/** One provider run (one plan or apply) of the configuration in `directory`. */
function run(directory: string, backend: SecretStore = store): { provider: CofferProviderData } {
  return { provider: { store: backend, claims: { scope: { directory, workspace: 'default' }, registry: new ClaimRegistry() } } };
}

async function create(runOf: { provider: CofferProviderData }, cfg: State = config()) {
  const diagnostics = new Diagnostics();
  const result = await new UserSecretResource().create(
    { config: cfg },
    { provider: runOf.provider, diagnostics, log: silentLogger, signal: new AbortController().signal },
  );
  return { result, errors: diagnostics.all.filter((d) => d.severity === 'error') };
}

describe('owner claims', () => {
  const scope: ClaimScope = { directory: '/work/infra', workspace: 'default' };

  test('depend on directory, workspace, user and name; only a digest is stored', () => {
    const claim = ownerClaim(scope, 'me', 'a');
    expect(isOwnerClaim(claim)).toBe(true);
    expect(claim).not.toContain('infra');
    expect(ownerClaim(scope, 'me', 'a')).toBe(claim);
    expect(ownerClaim({ ...scope, directory: '/work/other' }, 'me', 'a')).not.toBe(claim);
    expect(ownerClaim({ ...scope, workspace: 'staging' }, 'me', 'a')).not.toBe(claim);
    expect(ownerClaim(scope, 'bob', 'a')).not.toBe(claim);
    expect(ownerClaim(scope, 'me', 'b')).not.toBe(claim);
  });

  test('a registry lets a claim be taken once', () => {
    const registry = new ClaimRegistry();
    expect(registry.take('c')).toBe(true);
    expect(registry.take('c')).toBe(false);
    expect(registry.take('d')).toBe(true);
  });

  test('the scope is the real working directory and the selected workspace', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-scope-'));
    try {
      expect(claimScopeFromEnvironment({}, dir)).toEqual({ directory: fs.realpathSync(dir), workspace: 'default' });
      fs.mkdirSync(path.join(dir, '.terraform'));
      fs.writeFileSync(path.join(dir, '.terraform', 'environment'), 'staging');
      expect(claimScopeFromEnvironment({}, dir).workspace).toBe('staging');
      expect(claimScopeFromEnvironment({ TF_WORKSPACE: 'prod' }, dir).workspace).toBe('prod');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('coffer_user_secret create and existing records', () => {
  test('the create writes the claim to the backend and to private state', async () => {
    const { result, errors } = await create(run('/work/infra'));
    expect(errors).toEqual([]);
    const stored = await store.get('me', 'github-token');
    expect(stored.ownerClaim).toBe(ownerClaim({ directory: '/work/infra', workspace: 'default' }, 'me', 'github-token'));
    expect(result?.private).toMatchObject({ id: stored.id, ownerClaim: stored.ownerClaim });
  });

  test('a record this same resource left behind (interrupted apply) is adopted and brought to the configuration', async () => {
    await create(run('/work/infra'), config({ value_wo: 'half-applied', description: 'old' }));
    const before = await store.get('me', 'github-token');
    // The next apply: a new provider process of the same configuration.
    const { result, errors } = await create(run('/work/infra'));
    expect(errors).toEqual([]);
    expect(result?.state).toMatchObject({ id: before.id, description: 'CI token' });
    expect((await store.readValue('me', 'github-token')).reveal()).toBe('configured');
  });

  test('a record of another configuration with the same name and value is refused: import it', async () => {
    await create(run('/work/team-a'));
    const { result, errors } = await create(run('/work/team-b'));
    expect(result).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ summary: 'Secret already exists', path: ['name'] });
    expect(errors[0]!.detail).toMatch(/not created by this resource.*import it: an import block with id = "me\/github-token"/);
  });

  test('a record without a claim (made with the CLI) is refused even when identical', async () => {
    await store.create('me', { name: 'github-token', value: new SecretText('configured'), description: 'CI token', envName: 'GITHUB_TOKEN' });
    const { errors } = await create(run('/work/infra'));
    expect(errors.map((e) => e.summary)).toEqual(['Secret already exists']);
  });

  test('two resources of one configuration declaring the same secret: the second is refused', async () => {
    const sameRun = run('/work/infra');
    const first = await create(sameRun);
    const second = await create(sameRun);
    expect(first.errors).toEqual([]);
    expect(second.result).toBeUndefined();
    expect(second.errors).toEqual([expect.objectContaining({ summary: 'Secret declared twice', path: ['name'] })]);
  });

  test('two resources of one configuration, one of them leftover from an interrupted apply: only one adopts', async () => {
    await create(run('/work/infra'));
    const sameRun = run('/work/infra');
    const outcomes = [await create(sameRun), await create(sameRun)];
    expect(outcomes.map((o) => o.errors.map((e) => e.summary))).toEqual([[], ['Secret declared twice']]);
  });

  test('create_before_destroy with the same name: the replacement adopts the record, and the old object\'s delete keeps it', async () => {
    const first = await create(run('/work/infra'));
    const replacing = run('/work/infra');
    const replacement = await create(replacing, config({ description: 'replacement' }));
    expect(replacement.errors).toEqual([]);
    const diagnostics = new Diagnostics();
    const ctx = { provider: replacing.provider, diagnostics, log: silentLogger, signal: new AbortController().signal };
    await new UserSecretResource().delete({ prior: { ...config(), id: first.result!.state.id as string } }, ctx);
    expect(diagnostics.all).toEqual([]);
    expect(await store.get('me', 'github-token')).toMatchObject({ id: first.result!.state.id, description: 'replacement' });
    // An ordinary delete in another run removes it.
    await new UserSecretResource().delete({ prior: { ...config(), id: first.result!.state.id as string } }, { ...ctx, provider: run('/work/infra').provider });
    await expect(store.get('me', 'github-token')).rejects.toThrow(/does not exist/);
  });

  test('a backend that cannot keep a claim never adopts, and says so', async () => {
    const noClaims = new Proxy(store, {
      get(target, key) {
        if (key === 'capabilities') return { ...target.capabilities, ownerClaim: false };
        const member: unknown = Reflect.get(target, key, target);
        return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(target) : member;
      },
    }) as SecretStore;
    await create(run('/work/infra'));
    const { errors } = await create(run('/work/infra', noClaims));
    // The local record still carries the claim, but a backend without the capability is never trusted with it.
    expect(errors).toHaveLength(1);
    expect(errors[0]!.detail).toMatch(/backend cannot record which configuration created a secret.*import it/);
  });
});
