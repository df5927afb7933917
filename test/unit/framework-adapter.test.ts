/**
 * The framework's RPC adapter with a fake resource: wire in, wire out. Checks the contract
 * rules it enforces for every resource (write-only null everywhere, planned values kept after
 * apply, errors as diagnostics with paths, exceptions never crossing the boundary).
 */
import { decodeMsgpack, encodeMsgpack } from '../../src/provider/protocol/cty/codec';
import { unknown as ctyUnknown, type CtyType, type CtyValue } from '../../src/provider/protocol/cty/types';
import { silentLogger } from '../../src/provider/protocol/logger';
import type { WireMessage } from '../../src/provider/protocol/proto';
import { attribute, type ManagedResource, type ProviderDefinition } from '../../src/provider/framework';
import { ProviderRpcAdapter } from '../../src/provider/framework/rpc-adapter';

const attributes = {
  id: attribute.string({ description: 'id', computed: true }),
  name: attribute.string({ description: 'name', required: true, validators: [(v: string) => (v.includes('!') ? 'name must not contain "!"' : undefined)] }),
  secret_wo: attribute.string({ description: 'write-only', optional: true, sensitive: true, writeOnly: true }),
  stamp: attribute.string({ description: 'stamp', computed: true, unknownOnUpdate: true }),
};

const TYPE: CtyType = ['object', { id: 'string', name: 'string', secret_wo: 'string', stamp: 'string' }];
const dv = (value: CtyValue): WireMessage => ({ msgpack: Buffer.from(encodeMsgpack(TYPE, value)) });
const read = (message: unknown): CtyValue => decodeMsgpack(TYPE, (message as { msgpack: Buffer }).msgpack);

const calls: string[] = [];
let failCreateWith: Error | undefined;

const fake: ManagedResource<typeof attributes, { tag: string }> = {
  typeName: 'fake_thing',
  schema: { version: 1, description: 'fake', attributes },
  async create({ config }, ctx) {
    calls.push(`create:${config.secret_wo ?? 'null'}:${ctx.provider.tag}`);
    if (failCreateWith) throw failCreateWith;
    if (config.name === 'conflict') {
      ctx.diagnostics.addError('Conflict', 'name is taken', ['name']);
      return undefined;
    }
    // A resource that wrongly echoes the write-only value and a different name must not leak either.
    return { state: { id: 'id-1', stamp: 't1', secret_wo: config.secret_wo, name: 'normalised' } };
  },
  async read({ state }) {
    return { state: { ...state, secret_wo: 'leak-attempt' } };
  },
  async update() {
    return { state: { stamp: 't2' } };
  },
  async delete() {
    calls.push('delete');
  },
  async importState(id) {
    return { id, name: id };
  },
};

const definition: ProviderDefinition<Record<string, never>, { tag: string }> = {
  typeName: 'fake',
  schema: { version: 0, description: 'fake provider', attributes: {} },
  configure: async () => ({ tag: 'configured' }),
  resources: [fake],
};

const EMPTY_PROVIDER: CtyType = ['object', {}];

async function configuredAdapter() {
  const adapter = new ProviderRpcAdapter(definition, silentLogger);
  const handlers = adapter.handlers();
  await handlers.ConfigureProvider!({ config: { msgpack: Buffer.from(encodeMsgpack(EMPTY_PROVIDER, {})) } });
  return handlers;
}

beforeEach(() => {
  calls.length = 0;
  failCreateWith = undefined;
});

test('schema: write-only and sensitive flags reach the wire, attributes sorted', async () => {
  const handlers = await configuredAdapter();
  const schema = await handlers.GetProviderSchema!({});
  const attrs = (schema.resource_schemas as Record<string, { block: { attributes: { name: string; write_only: boolean; computed: boolean }[] } }>).fake_thing!.block.attributes;
  expect(attrs.map((a) => a.name)).toEqual(['id', 'name', 'secret_wo', 'stamp']);
  expect(attrs.find((a) => a.name === 'secret_wo')).toMatchObject({ write_only: true });
});

test('validation errors carry the attribute path and severity ERROR', async () => {
  const handlers = await configuredAdapter();
  const response = await handlers.ValidateResourceConfig!({
    type_name: 'fake_thing',
    config: dv({ id: null, name: 'bad!', secret_wo: 'x', stamp: null }),
    client_capabilities: { write_only_attributes_allowed: true },
  });
  expect(response.diagnostics).toEqual([
    { severity: 1, summary: 'Invalid name', detail: 'name must not contain "!"', attribute: { steps: [{ attribute_name: 'name' }] } },
  ]);
});

test('a write-only value on an engine without write-only support is refused on that attribute', async () => {
  const handlers = await configuredAdapter();
  const config = dv({ id: null, name: 'n', secret_wo: 'x', stamp: null });
  for (const capabilities of [undefined, { write_only_attributes_allowed: false }]) {
    const response = await handlers.ValidateResourceConfig!({ type_name: 'fake_thing', config, ...(capabilities ? { client_capabilities: capabilities } : {}) });
    expect(response.diagnostics).toEqual([
      expect.objectContaining({ severity: 1, summary: 'secret_wo needs write-only support', attribute: { steps: [{ attribute_name: 'secret_wo' }] } }),
    ]);
  }
  const without = await handlers.ValidateResourceConfig!({ type_name: 'fake_thing', config: dv({ id: null, name: 'n', secret_wo: null, stamp: null }) });
  expect(without.diagnostics).toEqual([]);
});

test('a computed-only attribute set in the configuration is refused, known or unknown', async () => {
  const handlers = await configuredAdapter();
  for (const id of ['x', ctyUnknown]) {
    const response = await handlers.ValidateResourceConfig!({ type_name: 'fake_thing', config: dv({ id, name: 'n', secret_wo: null, stamp: null }) });
    expect(response.diagnostics).toEqual([
      expect.objectContaining({ severity: 1, summary: 'id cannot be set', attribute: { steps: [{ attribute_name: 'id' }] } }),
    ]);
    expect(String((response.diagnostics as { detail: string }[])[0]!.detail)).toMatch(/read-only.*Remove id/);
  }
});

test('a required attribute set to null is refused naming it (not sent on to the backend)', async () => {
  const handlers = await configuredAdapter();
  const response = await handlers.ValidateResourceConfig!({ type_name: 'fake_thing', config: dv({ id: null, name: null, secret_wo: null, stamp: null }) });
  expect(response.diagnostics).toEqual([
    { severity: 1, summary: 'Missing name', detail: 'name is required and cannot be null.', attribute: { steps: [{ attribute_name: 'name' }] } },
  ]);
});

test('validation skips unknown values', async () => {
  const handlers = await configuredAdapter();
  const response = await handlers.ValidateResourceConfig!({ type_name: 'fake_thing', config: dv({ id: null, name: ctyUnknown, secret_wo: null, stamp: null }) });
  expect(response.diagnostics).toEqual([]);
});

test('create: plan nulls write-only, apply passes it to the resource, new state keeps planned values', async () => {
  const handlers = await configuredAdapter();
  const config = { id: null, name: 'n', secret_wo: 'S3CRET', stamp: null };
  const plan = await handlers.PlanResourceChange!({ type_name: 'fake_thing', prior_state: dv(null), proposed_new_state: dv(config), config: dv(config) });
  expect(read(plan.planned_state)).toEqual({ id: ctyUnknown, name: 'n', secret_wo: null, stamp: ctyUnknown });
  const apply = await handlers.ApplyResourceChange!({ type_name: 'fake_thing', prior_state: dv(null), planned_state: plan.planned_state, config: dv(config) });
  expect(apply.diagnostics).toEqual([]);
  expect(read(apply.new_state)).toEqual({ id: 'id-1', name: 'n', secret_wo: null, stamp: 't1' });
  expect(calls).toEqual(['create:S3CRET:configured']);
});

test('read never returns a write-only value', async () => {
  const handlers = await configuredAdapter();
  const response = await handlers.ReadResource!({ type_name: 'fake_thing', current_state: dv({ id: 'i', name: 'n', secret_wo: null, stamp: 't' }) });
  expect(read(response.new_state)).toEqual({ id: 'i', name: 'n', secret_wo: null, stamp: 't' });
});

test('a resource diagnostic fails the create with a null new state and its path', async () => {
  const handlers = await configuredAdapter();
  const config = { id: null, name: 'conflict', secret_wo: 'x', stamp: null };
  const apply = await handlers.ApplyResourceChange!({ type_name: 'fake_thing', prior_state: dv(null), planned_state: dv({ ...config, id: ctyUnknown, stamp: ctyUnknown, secret_wo: null }), config: dv(config) });
  expect(read(apply.new_state)).toBeNull();
  expect(apply.diagnostics).toEqual([expect.objectContaining({ severity: 1, summary: 'Conflict', attribute: { steps: [{ attribute_name: 'name' }] } })]);
});

test('an exception becomes an internal-error diagnostic without its message', async () => {
  const handlers = await configuredAdapter();
  failCreateWith = new Error('boom with SECRET-DETAIL');
  const config = { id: null, name: 'n', secret_wo: 'x', stamp: null };
  const apply = await handlers.ApplyResourceChange!({ type_name: 'fake_thing', prior_state: dv(null), planned_state: dv({ ...config, id: ctyUnknown, stamp: ctyUnknown, secret_wo: null }), config: dv(config) });
  expect(apply.diagnostics).toEqual([expect.objectContaining({ severity: 1, summary: 'Internal error in the coffer provider (ApplyResourceChange)' })]);
  expect(JSON.stringify(apply.diagnostics)).not.toContain('SECRET-DETAIL');
});

test('delete returns a null state; an update fills only the unknown computed values', async () => {
  const handlers = await configuredAdapter();
  const prior = { id: 'i', name: 'n', secret_wo: null, stamp: 't1' };
  const del = await handlers.ApplyResourceChange!({ type_name: 'fake_thing', prior_state: dv(prior), planned_state: dv(null), config: dv(null) });
  expect(read(del.new_state)).toBeNull();
  expect(calls).toEqual(['delete']);
  const config = { id: null, name: 'm', secret_wo: null, stamp: null };
  const plan = await handlers.PlanResourceChange!({ type_name: 'fake_thing', prior_state: dv(prior), proposed_new_state: dv({ ...config, id: 'i', stamp: 't1' }), config: dv(config) });
  expect(read(plan.planned_state)).toEqual({ id: 'i', name: 'm', secret_wo: null, stamp: ctyUnknown });
  const apply = await handlers.ApplyResourceChange!({ type_name: 'fake_thing', prior_state: dv(prior), planned_state: plan.planned_state, config: dv(config) });
  expect(read(apply.new_state)).toEqual({ id: 'i', name: 'm', secret_wo: null, stamp: 't2' });
});

test('upgrade decodes old JSON state leniently and nulls write-only values', async () => {
  const handlers = await configuredAdapter();
  const json = Buffer.from(JSON.stringify({ id: 'i', name: 'n', removed_attribute: 1, secret_wo: 'old' }));
  const response = await handlers.UpgradeResourceState!({ type_name: 'fake_thing', version: 0, raw_state: { json } });
  expect(read(response.upgraded_state)).toEqual({ id: 'i', name: 'n', secret_wo: null, stamp: null });
});

test('import returns a stub of the requested type', async () => {
  const handlers = await configuredAdapter();
  const response = await handlers.ImportResourceState!({ type_name: 'fake_thing', id: 'abc' });
  const imported = (response.imported_resources as { type_name: string; state: unknown }[])[0]!;
  expect(imported.type_name).toBe('fake_thing');
  expect(read(imported.state)).toEqual({ id: 'abc', name: 'abc', secret_wo: null, stamp: null });
});

test('calls before ConfigureProvider fail with a diagnostic, not a crash', async () => {
  const handlers = new ProviderRpcAdapter(definition, silentLogger).handlers();
  const response = await handlers.ReadResource!({ type_name: 'fake_thing', current_state: dv({ id: 'i', name: 'n', secret_wo: null, stamp: 't' }) });
  expect(response.diagnostics).toEqual([expect.objectContaining({ severity: 1, summary: 'Provider not configured' })]);
});
