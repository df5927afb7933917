/**
 * The framework parts behind data sources and ephemeral resources (the `object_list` attribute
 * kind, ReadDataSource, Open/Renew/CloseEphemeralResource on the wire), and the Coffer types
 * that use them, driven through the RPC adapter with a fake store and a fake lease client.
 */
import type { DynamicCredential, DynamicSecrets, LeaseInfo } from '../../src/client/dynamic-secrets';
import { parseDurationSeconds } from '../../src/client/dynamic-secrets';
import { BackendUnavailableError, SecretNotFoundError, SecretStoreError } from '../../src/client/errors';
import type { SecretMetadata, SecretStore } from '../../src/client/secret-store';
import { SecretText } from '../../src/client/secret-text';
import { cofferProvider } from '../../src/provider/coffer-provider';
import { attribute, assertValidSchema, type EphemeralResource, type ProviderDefinition } from '../../src/provider/framework';
import { attributeType, objectType } from '../../src/provider/framework/convert';
import { ProviderRpcAdapter } from '../../src/provider/framework/rpc-adapter';
import { decodeMsgpack, encodeMsgpack } from '../../src/provider/protocol/cty/codec';
import { unknown as ctyUnknown, type CtyType, type CtyValue } from '../../src/provider/protocol/cty/types';
import { silentLogger } from '../../src/provider/protocol/logger';
import type { WireMessage } from '../../src/provider/protocol/proto';
import type { CofferProviderData } from '../../src/provider/provider-data';
import { DynamicSecretEphemeral } from '../../src/provider/resources/dynamic-secret-ephemeral';
import { SecretCheckDataSource } from '../../src/provider/resources/secret-check';
import { UserSecretDataSource, UserSecretsDataSource } from '../../src/provider/resources/user-secret-data';
import { UserSecretEphemeral } from '../../src/provider/resources/user-secret-ephemeral';

const dv = (type: CtyType, value: CtyValue): WireMessage => ({ msgpack: Buffer.from(encodeMsgpack(type, value)) });
const decode = (type: CtyType, message: unknown): CtyValue => decodeMsgpack(type, (message as { msgpack: Buffer }).msgpack);

describe('object_list attributes', () => {
  const rows = attribute.objectList({ name: 'string', enabled: 'bool', size: 'number' }, { description: 'rows', computed: true });

  test('cty type and wire schema: ["list",["object",{…}]]', () => {
    expect(attributeType(rows)).toEqual(['list', ['object', { enabled: 'bool', name: 'string', size: 'number' }]]);
    expect(objectType({ rows })).toEqual(['object', { rows: ['list', ['object', { enabled: 'bool', name: 'string', size: 'number' }]] }]);
  });

  test('schema checks', () => {
    const schema = (spec: unknown) => ({ version: 0, description: 'x', attributes: { rows: spec } }) as never;
    expect(() => assertValidSchema('t', schema(rows))).not.toThrow();
    expect(() => assertValidSchema('t', schema(attribute.objectList({}, { description: 'x', computed: true })))).toThrow(/at least one field/);
    expect(() => assertValidSchema('t', schema(attribute.objectList({ Bad: 'string' }, { description: 'x', computed: true })))).toThrow(/field names/);
    expect(() => assertValidSchema('t', schema({ ...attribute.string({ description: 'x', computed: true }), fields: { a: 'string' } }))).toThrow(/object_list attributes only/);
  });
});

// ---------------------------------------------------------------------------------------------
// A fake backend

function meta(name: string, over: Partial<SecretMetadata> = {}): SecretMetadata {
  return {
    id: `id-${name}`,
    user: 'alice',
    name,
    description: '',
    envName: '',
    filePath: '',
    enabled: true,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-02T00:00:00Z',
    ...over,
  };
}

class FakeStore implements SecretStore {
  readonly kind = 'fake';
  capabilities = { fileOwnerAndMode: false, defaults: false, valueVersion: true, readValue: true };
  readonly calls: string[] = [];
  readonly secrets = new Map<string, SecretMetadata>([
    ['github-token', meta('github-token', { envName: 'GITHUB_TOKEN', description: 'CI' })],
    ['ci-npm', meta('ci-npm', { filePath: '~/.npmrc' })],
    ['ci-off', meta('ci-off', { enabled: false })],
  ]);

  async get(user: string, name: string) {
    this.calls.push(`get ${name}`);
    const found = this.secrets.get(name);
    if (found === undefined) throw new SecretNotFoundError(user, name);
    return found;
  }
  async list() {
    this.calls.push('list');
    return [...this.secrets.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }
  async readValue(user: string, name: string) {
    this.calls.push(`readValue ${name}`);
    if (!this.secrets.has(name)) throw new SecretNotFoundError(user, name);
    return new SecretText(`value-of-${name}`);
  }
  create(): never {
    throw new Error('unused');
  }
  update(): never {
    throw new Error('unused');
  }
  delete(): never {
    throw new Error('unused');
  }
  importBatch(): never {
    throw new Error('unused');
  }
  async close() {}
}

class FakeLeases implements DynamicSecrets {
  readonly kind = 'vault';
  readonly calls: string[] = [];
  renewAnswer: LeaseInfo | Error = { leaseId: 'database/creds/app/L1', leaseDuration: 30, renewable: true };
  revokeError: Error | undefined;

  async issue(path: string): Promise<DynamicCredential> {
    this.calls.push(`issue ${path}`);
    if (path.includes('nope')) throw new SecretStoreError('validation', `Vault rejected GET ${path}: unknown role`, { field: 'path' });
    return {
      leaseId: 'database/creds/app/L1',
      leaseDuration: 30,
      renewable: true,
      warnings: [],
      data: { username: new SecretText('v-app-1'), password: new SecretText('pw-1') },
    };
  }
  async renew(leaseId: string, increment?: number): Promise<LeaseInfo> {
    this.calls.push(`renew ${leaseId} ${increment}`);
    if (this.renewAnswer instanceof Error) throw this.renewAnswer;
    return this.renewAnswer;
  }
  async revoke(leaseId: string): Promise<void> {
    this.calls.push(`revoke ${leaseId}`);
    if (this.revokeError) throw this.revokeError;
  }
}

let store: FakeStore;
let leases: FakeLeases;

const definition: ProviderDefinition<Record<string, never>, CofferProviderData> = {
  typeName: 'coffer',
  schema: { version: 0, description: 'test', attributes: {} },
  configure: async () => ({ store, dynamicSecrets: leases }),
  resources: [],
  dataSources: [new UserSecretDataSource(), new UserSecretsDataSource(), new SecretCheckDataSource()],
  ephemeralResources: [new UserSecretEphemeral(), new DynamicSecretEphemeral()],
};

async function handlers() {
  const adapter = new ProviderRpcAdapter(definition, silentLogger);
  const h = adapter.handlers();
  await h.ConfigureProvider!({ config: dv(['object', {}], {}) });
  return h;
}

function typeOf(kind: 'data' | 'ephemeral', name: string): CtyType {
  const item =
    kind === 'data' ? definition.dataSources!.find((d) => d.typeName === name)! : definition.ephemeralResources!.find((e) => e.typeName === name)!;
  return objectType(item.schema.attributes);
}

beforeEach(() => {
  store = new FakeStore();
  leases = new FakeLeases();
});

describe('data sources', () => {
  test('coffer_user_secrets: a list of objects, prefix filter, unset fields null', async () => {
    const h = await handlers();
    const type = typeOf('data', 'coffer_user_secrets');
    const response = await h.ReadDataSource!({ type_name: 'coffer_user_secrets', config: dv(type, { user: null, name_prefix: 'ci-', id: null, secrets: null }) });
    expect(response.diagnostics).toEqual([]);
    expect(decode(type, response.state)).toEqual({
      user: null,
      name_prefix: 'ci-',
      id: 'me/ci-',
      secrets: [
        { id: 'id-ci-npm', name: 'ci-npm', description: null, env_name: null, file_path: '~/.npmrc', enabled: true },
        { id: 'id-ci-off', name: 'ci-off', description: null, env_name: null, file_path: null, enabled: false },
      ],
    });
    expect(store.calls).toEqual(['list']);
  });

  test('coffer_user_secret: metadata, and "Secret not found" on name', async () => {
    const h = await handlers();
    const type = typeOf('data', 'coffer_user_secret');
    const empty = { name: 'github-token', user: null, id: null, description: null, env_name: null, file_path: null, enabled: null, created_at: null, updated_at: null };
    const ok = await h.ReadDataSource!({ type_name: 'coffer_user_secret', config: dv(type, empty) });
    expect(decode(type, ok.state)).toMatchObject({ id: 'id-github-token', description: 'CI', env_name: 'GITHUB_TOKEN', file_path: null, enabled: true });
    const missing = await h.ReadDataSource!({ type_name: 'coffer_user_secret', config: dv(type, { ...empty, name: 'nope' }) });
    expect(missing.diagnostics).toEqual([expect.objectContaining({ severity: 1, summary: 'Secret not found', attribute: { steps: [{ attribute_name: 'name' }] } })]);
    expect(store.calls).not.toContain(expect.stringMatching(/readValue/));
  });

  test('coffer_secret_check: one error for everything missing or disabled, with the help message', async () => {
    const h = await handlers();
    const type = typeOf('data', 'coffer_secret_check');
    const config = { names: ['github-token', 'ci-off', 'a', 'b'], user: null, help_message: 'Ask #platform.', fail_on_missing: null, id: null, missing: null, disabled: null, ok: null };
    const failed = await h.ReadDataSource!({ type_name: 'coffer_secret_check', config: dv(type, config) });
    const diagnostics = failed.diagnostics as { severity: number; summary: string; detail: string }[];
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ severity: 1, summary: 'Required secrets are missing or disabled', attribute: { steps: [{ attribute_name: 'names' }] } });
    expect(diagnostics[0]!.detail).toMatch(/3 of the 4 secrets[\s\S]*a: missing[\s\S]*b: missing[\s\S]*ci-off: disabled[\s\S]*Ask #platform\./);

    const report = await h.ReadDataSource!({ type_name: 'coffer_secret_check', config: dv(type, { ...config, fail_on_missing: false }) });
    expect(report.diagnostics).toEqual([]);
    expect(decode(type, report.state)).toMatchObject({ ok: false, missing: ['a', 'b'], disabled: ['ci-off'] });
    expect(store.calls).toEqual(['list', 'list']);
  });

  test('coffer_secret_check validation: duplicates and bad names point at the list element', async () => {
    const h = await handlers();
    const type = typeOf('data', 'coffer_secret_check');
    const config = { names: ['a', 'a/b', 'a', ctyUnknown], user: null, help_message: null, fail_on_missing: null, id: null, missing: null, disabled: null, ok: null };
    const response = await h.ValidateDataResourceConfig!({ type_name: 'coffer_secret_check', config: dv(type, config) });
    expect(response.diagnostics).toEqual([
      expect.objectContaining({ summary: 'Invalid secret name', attribute: { steps: [{ attribute_name: 'names' }, { element_key_int: 1 }] } }),
      expect.objectContaining({ summary: 'Duplicate secret name', attribute: { steps: [{ attribute_name: 'names' }, { element_key_int: 2 }] } }),
    ]);
  });
});

describe('ephemeral resources on the wire', () => {
  const timestampMs = (ts: unknown) => {
    const { seconds, nanos } = ts as { seconds: number | bigint; nanos: number };
    return Number(seconds) * 1000 + nanos / 1e6;
  };

  test('coffer_user_secret: value, targets; a backend without values is a clear error', async () => {
    const h = await handlers();
    const type = typeOf('ephemeral', 'coffer_user_secret');
    const config = { name: 'github-token', user: null, value: null, env_name: null, file_path: null };
    const opened = await h.OpenEphemeralResource!({ type_name: 'coffer_user_secret', config: dv(type, config) });
    expect(opened.diagnostics).toEqual([]);
    expect(decode(type, opened.result)).toEqual({ name: 'github-token', user: null, value: 'value-of-github-token', env_name: 'GITHUB_TOKEN', file_path: null });
    expect(opened.renew_at).toBeUndefined();

    store.capabilities = { ...store.capabilities, readValue: false };
    const refused = await h.OpenEphemeralResource!({ type_name: 'coffer_user_secret', config: dv(type, config) });
    expect(refused.diagnostics).toEqual([expect.objectContaining({ severity: 1, summary: 'Secret values are not readable on this backend' })]);
  });

  test('coffer_dynamic_secret: open sets renew_at at 2/3 of the lease, private data has the lease id and no value', async () => {
    const h = await handlers();
    const type = typeOf('ephemeral', 'coffer_dynamic_secret');
    const config = { path: null, mount: 'database', role: 'app', ttl: null, revoke_on_close: null, data: null, lease_id: null, lease_duration: null, renewable: null };
    const before = Date.now();
    const opened = await h.OpenEphemeralResource!({ type_name: 'coffer_dynamic_secret', config: dv(type, config) });
    expect(opened.diagnostics).toEqual([]);
    expect(decode(type, opened.result)).toMatchObject({
      data: { username: 'v-app-1', password: 'pw-1' },
      lease_id: 'database/creds/app/L1',
      renewable: true,
    });
    expect(leases.calls).toEqual(['issue database/creds/app']);
    const renewAt = timestampMs(opened.renew_at);
    expect(renewAt).toBeGreaterThanOrEqual(before + 20_000 - 50);
    expect(renewAt).toBeLessThanOrEqual(Date.now() + 20_000 + 50);
    const privateText = (opened.private as Buffer).toString('utf8');
    expect(JSON.parse(privateText)).toMatchObject({ lease_id: 'database/creds/app/L1', increment: 30, revoke: true });
    expect(privateText).not.toContain('pw-1');
    expect(privateText).not.toContain('v-app-1');

    const renewed = await h.RenewEphemeralResource!({ type_name: 'coffer_dynamic_secret', private: opened.private });
    expect(renewed.diagnostics).toEqual([]);
    expect(leases.calls).toContain('renew database/creds/app/L1 30');
    expect(timestampMs(renewed.renew_at)).toBeGreaterThan(Date.now() + 15_000);
    expect(JSON.parse((renewed.private as Buffer).toString('utf8'))).toMatchObject({ lease_id: 'database/creds/app/L1' });

    const closed = await h.CloseEphemeralResource!({ type_name: 'coffer_dynamic_secret', private: renewed.private });
    expect(closed.diagnostics).toEqual([]);
    expect(leases.calls).toContain('revoke database/creds/app/L1');
  });

  test('coffer_dynamic_secret: renewal capped by the max TTL warns and stops renewing; failures keep the private data', async () => {
    const h = await handlers();
    const type = typeOf('ephemeral', 'coffer_dynamic_secret');
    const config = { path: 'database/creds/app', mount: null, role: null, ttl: '1m', revoke_on_close: false, data: null, lease_id: null, lease_duration: null, renewable: null };
    const opened = await h.OpenEphemeralResource!({ type_name: 'coffer_dynamic_secret', config: dv(type, config) });
    expect(JSON.parse((opened.private as Buffer).toString('utf8'))).toMatchObject({ increment: 60, revoke: false });

    leases.renewAnswer = { leaseId: 'database/creds/app/L1', leaseDuration: 12, renewable: true };
    const capped = await h.RenewEphemeralResource!({ type_name: 'coffer_dynamic_secret', private: opened.private });
    expect(capped.renew_at).toBeUndefined();
    expect(capped.diagnostics).toEqual([expect.objectContaining({ severity: 2, summary: 'Dynamic secret reaches its max TTL' })]);
    expect(capped.private).toBeDefined();

    leases.renewAnswer = new BackendUnavailableError('Vault answered 503');
    const retry = await h.RenewEphemeralResource!({ type_name: 'coffer_dynamic_secret', private: opened.private });
    expect(retry.diagnostics).toEqual([]);
    expect(retry.renew_at).toBeDefined();

    leases.renewAnswer = new SecretStoreError('not_found', 'Vault has no lease database/creds/app/L1 (expired or revoked)', { retryable: false });
    const gone = await h.RenewEphemeralResource!({ type_name: 'coffer_dynamic_secret', private: opened.private });
    expect(gone.diagnostics).toEqual([expect.objectContaining({ severity: 2, summary: 'Cannot renew dynamic secret' })]);
    expect(gone.private).toEqual(opened.private);

    // revoke_on_close = false: close does not revoke.
    await h.CloseEphemeralResource!({ type_name: 'coffer_dynamic_secret', private: opened.private });
    expect(leases.calls.filter((c) => c.startsWith('revoke'))).toEqual([]);
  });

  test('coffer_dynamic_secret: issue and revoke errors become diagnostics', async () => {
    const h = await handlers();
    const type = typeOf('ephemeral', 'coffer_dynamic_secret');
    const config = { path: null, mount: 'database', role: 'nope', ttl: null, revoke_on_close: null, data: null, lease_id: null, lease_duration: null, renewable: null };
    const failed = await h.OpenEphemeralResource!({ type_name: 'coffer_dynamic_secret', config: dv(type, config) });
    expect(failed.diagnostics).toEqual([expect.objectContaining({ summary: 'Cannot issue dynamic secret', attribute: { steps: [{ attribute_name: 'role' }] } })]);

    const opened = await h.OpenEphemeralResource!({ type_name: 'coffer_dynamic_secret', config: dv(type, { ...config, role: 'app' }) });
    leases.revokeError = new SecretStoreError('unauthorized', 'permission denied: PUT sys/leases/revoke', { retryable: false });
    const closed = await h.CloseEphemeralResource!({ type_name: 'coffer_dynamic_secret', private: opened.private });
    expect(closed.diagnostics).toEqual([expect.objectContaining({ severity: 1, summary: 'Cannot revoke dynamic secret' })]);
    leases.revokeError = new SecretStoreError('not_found', 'Vault has no lease', { retryable: false });
    expect((await h.CloseEphemeralResource!({ type_name: 'coffer_dynamic_secret', private: opened.private })).diagnostics).toEqual([]);
  });

  test('coffer_dynamic_secret validation: path xor mount+role, ttl format', async () => {
    const h = await handlers();
    const type = typeOf('ephemeral', 'coffer_dynamic_secret');
    const base = { path: null, mount: null, role: null, ttl: null, revoke_on_close: null, data: null, lease_id: null, lease_duration: null, renewable: null };
    const validate = async (over: Record<string, CtyValue>) =>
      ((await h.ValidateEphemeralResourceConfig!({ type_name: 'coffer_dynamic_secret', config: dv(type, { ...base, ...over }) })).diagnostics as { summary: string }[]).map((d) => d.summary);
    expect(await validate({ path: 'database/creds/app' })).toEqual([]);
    expect(await validate({ mount: 'database', role: 'app', ttl: '90m' })).toEqual([]);
    expect(await validate({ path: 'database/creds/app', mount: 'database' })).toEqual(['Conflicting credential path']);
    expect(await validate({ mount: 'database' })).toEqual(['Missing credential path']);
    expect(await validate({})).toEqual(['Missing credential path']);
    expect(await validate({ path: '/database/creds/app' })).toEqual(['Invalid path']);
    expect(await validate({ path: 'database/../sys' })).toEqual(['Invalid path']);
    expect(await validate({ path: 'database/creds/app', ttl: 'soon' })).toEqual(['Invalid ttl']);
    expect(await validate({ path: ctyUnknown, mount: 'database' })).toEqual([]);
  });

  test('the adapter rejects an ephemeral result with unknown values, and echoes private data on renew', async () => {
    const odd: EphemeralResource<{ v: ReturnType<typeof attribute.string> }, CofferProviderData> = {
      typeName: 'coffer_odd',
      schema: { version: 0, description: 'odd', attributes: { v: attribute.string({ description: 'v', computed: true }) } },
      open: async () => ({ result: { v: ctyUnknown as never } }),
      renew: async () => ({}),
    };
    const adapter = new ProviderRpcAdapter({ ...definition, ephemeralResources: [odd] }, silentLogger);
    const h = adapter.handlers();
    await h.ConfigureProvider!({ config: dv(['object', {}], {}) });
    const type: CtyType = ['object', { v: 'string' }];
    const opened = await h.OpenEphemeralResource!({ type_name: 'coffer_odd', config: dv(type, { v: null }) });
    expect(opened.diagnostics).toEqual([expect.objectContaining({ severity: 1, summary: 'Internal error in the coffer provider (OpenEphemeralResource)' })]);
    const privateData = Buffer.from('{"lease_id":"x"}');
    const renewed = await h.RenewEphemeralResource!({ type_name: 'coffer_odd', private: privateData });
    expect(renewed.private).toEqual(privateData);
  });
});

test('the coffer provider registers every type', async () => {
  const adapter = new ProviderRpcAdapter(cofferProvider(silentLogger, {}), silentLogger);
  const schema = await adapter.handlers().GetProviderSchema!({});
  expect(Object.keys(schema.data_source_schemas as object).sort()).toEqual(['coffer_secret_check', 'coffer_user_secret', 'coffer_user_secrets']);
  expect(Object.keys(schema.ephemeral_resource_schemas as object).sort()).toEqual(['coffer_dynamic_secret', 'coffer_user_secret']);
  const secrets = (schema.data_source_schemas as Record<string, { block: { attributes: { name: string; type: Buffer }[] } }>).coffer_user_secrets!;
  const type = JSON.parse(secrets.block.attributes.find((a) => a.name === 'secrets')!.type.toString('utf8')) as unknown;
  expect(type).toEqual(['list', ['object', { description: 'string', enabled: 'bool', env_name: 'string', file_path: 'string', id: 'string', name: 'string' }]]);
});

test('parseDurationSeconds', () => {
  expect(parseDurationSeconds('90')).toBe(90);
  expect(parseDurationSeconds('90s')).toBe(90);
  expect(parseDurationSeconds('15m')).toBe(900);
  expect(parseDurationSeconds('1h30m')).toBe(5400);
  expect(parseDurationSeconds('2d')).toBe(172800);
  expect(parseDurationSeconds('soon')).toBeUndefined();
  expect(parseDurationSeconds('')).toBeUndefined();
});
