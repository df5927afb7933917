/**
 * Serves a `ProviderDefinition` over tfplugin6: decodes every request against the schema,
 * calls the resource, enforces the plan and apply contract, and encodes the answer. Resource
 * code never sees protobuf or msgpack, and never throws across this boundary: exceptions are
 * turned into diagnostics here.
 */
import { decodeJson, decodeMsgpack, encodeMsgpack } from '../protocol/cty/codec';
import type { CtyType } from '../protocol/cty/types';
import type { Logger } from '../protocol/logger';
import type { WireMessage } from '../protocol/proto';
import type { ProviderRpcHandlers } from '../protocol/server';
import {
  decodePrivate,
  diagnosticsToWire,
  encodePrivate,
  fromCty,
  objectType,
  schemaToWire,
  toCty,
} from './convert';
import { Diagnostics } from './diagnostics';
import { planResourceChange } from './planner';
import type { AnyDataSource, AnyEphemeralResource, AnyManagedResource, ProviderDefinition } from './provider';
import type { ResourceContext } from './resource';
import { assertValidSchema, attributeMode, type Attributes, type PlanModel, type Schema, type StateModel } from './schema';
import { isUnknown, isWhollyKnown, valuesEqual, type Value } from './values';

type Model = Record<string, Value>;

interface TypedSchema {
  readonly schema: Schema;
  readonly type: CtyType;
}

function typed(schema: Schema): TypedSchema {
  return { schema, type: objectType(schema.attributes) };
}

function lookup<T extends { typeName: string }>(items: readonly T[] | undefined): Map<string, T> {
  return new Map((items ?? []).map((item) => [item.typeName, item]));
}

export class ProviderRpcAdapter<P> {
  private readonly resources: Map<string, AnyManagedResource<P>>;
  private readonly dataSources: Map<string, AnyDataSource<P>>;
  private readonly ephemerals: Map<string, AnyEphemeralResource<P>>;
  private readonly types = new Map<Schema, TypedSchema>();
  private configured: P | undefined;
  private stopController = new AbortController();

  constructor(
    private readonly definition: ProviderDefinition<Attributes, P>,
    private readonly log: Logger,
  ) {
    this.resources = lookup(definition.resources);
    this.dataSources = lookup(definition.dataSources);
    this.ephemerals = lookup(definition.ephemeralResources);
    assertValidSchema(definition.typeName, definition.schema);
    for (const item of [...this.resources.values(), ...this.dataSources.values(), ...this.ephemerals.values()]) {
      assertValidSchema(item.typeName, item.schema);
    }
  }

  /** Called before exit. */
  async close(): Promise<void> {
    if (this.configured !== undefined) await this.definition.close?.(this.configured);
  }

  private typeOf(schema: Schema): TypedSchema {
    let entry = this.types.get(schema);
    if (entry === undefined) {
      entry = typed(schema);
      this.types.set(schema, entry);
    }
    return entry;
  }

  private decode(schema: Schema, dynamicValue: unknown): Model | null {
    const { type } = this.typeOf(schema);
    const message = (dynamicValue ?? {}) as { msgpack?: Buffer; json?: Buffer };
    let cty;
    if (message.msgpack && message.msgpack.length > 0) cty = decodeMsgpack(type, message.msgpack);
    else if (message.json && message.json.length > 0) cty = decodeJson(type, message.json, { lenient: true });
    else cty = null;
    return fromCty(cty) as Model | null;
  }

  private encode(schema: Schema, value: Model | null): WireMessage {
    return { msgpack: Buffer.from(encodeMsgpack(this.typeOf(schema).type, toCty(value))) };
  }

  private context(diagnostics: Diagnostics): ResourceContext<P> | undefined {
    if (this.configured === undefined) {
      diagnostics.addError('Provider not configured', 'The coffer provider was called before ConfigureProvider succeeded.');
      return undefined;
    }
    return { provider: this.configured, diagnostics, log: this.log, signal: this.stopController.signal };
  }

  /** Runs one RPC body; any exception becomes an error diagnostic instead of a crash. */
  private async guard(rpc: string, diagnostics: Diagnostics, body: () => Promise<WireMessage>, fallback: WireMessage): Promise<WireMessage> {
    try {
      return await body();
    } catch (error) {
      const name = error instanceof Error ? error.name : typeof error;
      this.log.error('unexpected error', { rpc, error: error instanceof Error ? `${error.name}: ${error.message}` : name });
      diagnostics.addError(`Internal error in the coffer provider (${rpc})`, `${name}. Run with TF_LOG=debug for details.`);
      return fallback;
    }
  }

  private withDiagnostics(response: WireMessage, diagnostics: Diagnostics, field = 'diagnostics'): WireMessage {
    return { ...response, [field]: diagnosticsToWire(diagnostics.all) };
  }

  /** Runs schema validators on every known, non-null configured attribute. */
  private validateAttributes(schema: Schema, config: Model, diagnostics: Diagnostics): void {
    for (const [name, spec] of Object.entries(schema.attributes)) {
      const value = config[name];
      if (value === null || value === undefined || !isWhollyKnown(value)) continue;
      for (const validator of spec.validators ?? []) {
        const problem = (validator as (v: Value) => string | undefined)(value);
        if (problem !== undefined) diagnostics.addError(`Invalid ${name}`, problem, [name]);
      }
    }
  }

  handlers(): ProviderRpcHandlers {
    return {
      GetMetadata: async () => ({
        server_capabilities: this.capabilities(),
        diagnostics: [],
        resources: [...this.resources.keys()].map((type_name) => ({ type_name })),
        data_sources: [...this.dataSources.keys()].map((type_name) => ({ type_name })),
        ephemeral_resources: [...this.ephemerals.keys()].map((type_name) => ({ type_name })),
        functions: (this.definition.functions ?? []).map((f) => ({ name: f.name })),
      }),
      GetProviderSchema: async () => this.getProviderSchema(),
      GetResourceIdentitySchemas: async () => ({ identity_schemas: {}, diagnostics: [] }),
      GetFunctions: async () => ({ functions: this.functionsToWire(), diagnostics: [] }),
      ValidateProviderConfig: (req) => this.validateProviderConfig(req),
      ConfigureProvider: (req) => this.configureProvider(req),
      ValidateResourceConfig: (req) => this.validateConfig(this.resources, req),
      ValidateDataResourceConfig: (req) => this.validateConfig(this.dataSources, req),
      ValidateEphemeralResourceConfig: (req) => this.validateConfig(this.ephemerals, req),
      UpgradeResourceState: (req) => this.upgradeResourceState(req),
      ReadResource: (req) => this.readResource(req),
      PlanResourceChange: (req) => this.planResourceChange(req),
      ApplyResourceChange: (req) => this.applyResourceChange(req),
      ImportResourceState: (req) => this.importResourceState(req),
      ReadDataSource: (req) => this.readDataSource(req),
      OpenEphemeralResource: (req) => this.openEphemeral(req),
      RenewEphemeralResource: (req) => this.renewEphemeral(req),
      CloseEphemeralResource: (req) => this.closeEphemeral(req),
      CallFunction: (req) => this.callFunction(req),
      StopProvider: async () => {
        // Cancel in-flight work; a fresh controller serves any calls that still follow.
        this.stopController.abort();
        this.stopController = new AbortController();
        return { Error: '' };
      },
    };
  }

  private capabilities(): WireMessage {
    return { plan_destroy: true, get_provider_schema_optional: true, move_resource_state: false };
  }

  private getProviderSchema(): WireMessage {
    const map = <T extends { typeName: string; schema: Schema }>(items: Map<string, T>) =>
      Object.fromEntries([...items.values()].map((item) => [item.typeName, schemaToWire(item.schema)]));
    return {
      provider: schemaToWire(this.definition.schema),
      resource_schemas: map(this.resources),
      data_source_schemas: map(this.dataSources),
      ephemeral_resource_schemas: map(this.ephemerals),
      functions: this.functionsToWire(),
      server_capabilities: this.capabilities(),
      diagnostics: [],
    };
  }

  private functionsToWire(): WireMessage {
    const typeJson = (kind: string) => Buffer.from(JSON.stringify(kind));
    return Object.fromEntries(
      (this.definition.functions ?? []).map((fn) => [
        fn.name,
        {
          parameters: fn.parameters.map((p) => ({
            name: p.name,
            type: typeJson(p.kind),
            description: p.description,
            allow_null_value: false,
            allow_unknown_values: false,
          })),
          return: { type: typeJson(fn.returns) },
          summary: fn.summary,
          description: fn.description,
        },
      ]),
    );
  }

  private async validateProviderConfig(req: WireMessage): Promise<WireMessage> {
    const diagnostics = new Diagnostics();
    const response = await this.guard('ValidateProviderConfig', diagnostics, async () => {
      const config = this.decode(this.definition.schema, req.config);
      if (config !== null) {
        this.validateAttributes(this.definition.schema, config, diagnostics);
        this.definition.validateConfig?.(config as PlanModel<Attributes>, diagnostics);
      }
      return {};
    }, {});
    return this.withDiagnostics(response, diagnostics);
  }

  private async configureProvider(req: WireMessage): Promise<WireMessage> {
    const diagnostics = new Diagnostics();
    const response = await this.guard('ConfigureProvider', diagnostics, async () => {
      const raw = this.decode(this.definition.schema, req.config) ?? {};
      // Unknown provider settings (from resources not yet created) fall back to env/defaults.
      const config = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, isUnknown(v) ? null : v]));
      for (const name of Object.keys(this.definition.schema.attributes)) if (!(name in config)) config[name] = null;
      this.validateAttributes(this.definition.schema, config, diagnostics);
      if (diagnostics.hasErrors) return {};
      const data = await this.definition.configure(config as StateModel<Attributes>, diagnostics, {
        terraformVersion: String(req.terraform_version ?? ''),
      });
      if (data !== undefined && !diagnostics.hasErrors) this.configured = data;
      return {};
    }, {});
    return this.withDiagnostics(response, diagnostics);
  }

  private async validateConfig(
    registry: Map<string, { typeName: string; schema: Schema; validateConfig?(config: PlanModel<Attributes>, ctx: { diagnostics: Diagnostics }): void }>,
    req: WireMessage,
  ): Promise<WireMessage> {
    const diagnostics = new Diagnostics();
    const response = await this.guard('Validate', diagnostics, async () => {
      const item = registry.get(String(req.type_name));
      if (item === undefined) {
        diagnostics.addError('Unknown type', `The coffer provider has no type "${String(req.type_name)}".`);
        return {};
      }
      const config = this.decode(item.schema, req.config);
      if (config !== null) {
        this.checkSettable(item.schema, config, diagnostics);
        this.validateAttributes(item.schema, config, diagnostics);
        if ((registry as unknown) === this.resources) this.checkWriteOnlySupported(item.schema, config, req, diagnostics);
        item.validateConfig?.(config as PlanModel<Attributes>, { diagnostics });
      }
      return {};
    }, {});
    return this.withDiagnostics(response, diagnostics);
  }

  /**
   * What the engine leaves to providers: a computed-only attribute (e.g. `id`) set in the
   * configuration would otherwise be a perpetual diff, and a required attribute set to an
   * explicit `null` would reach the backend as a missing value.
   */
  private checkSettable(schema: Schema, config: Model, diagnostics: Diagnostics): void {
    for (const [name, spec] of Object.entries(schema.attributes)) {
      const value = config[name];
      const mode = attributeMode(spec);
      if (mode === 'computed' && value !== null && value !== undefined) {
        diagnostics.addError(
          `${name} cannot be set`,
          `${name} is read-only: the provider sets it. Remove ${name} from the configuration.`,
          [name],
        );
      } else if (mode === 'required' && value === null) {
        diagnostics.addError(`Missing ${name}`, `${name} is required and cannot be null.`, [name]);
      }
    }
  }

  /**
   * An engine without write-only support (OpenTofu/Terraform < 1.11) does not know the flag and
   * would store the value in plan and state like any attribute: refuse, naming the alternative.
   */
  private checkWriteOnlySupported(schema: Schema, config: Model, req: WireMessage, diagnostics: Diagnostics): void {
    const capabilities = req.client_capabilities as { write_only_attributes_allowed?: boolean } | null | undefined;
    if (capabilities?.write_only_attributes_allowed === true) return;
    for (const [name, spec] of Object.entries(schema.attributes)) {
      if (!spec.writeOnly || config[name] === null || config[name] === undefined) continue;
      diagnostics.addError(
        `${name} needs write-only support`,
        `${name} is write-only, which this engine does not support (OpenTofu and Terraform support it from 1.11): ` +
          'it would store the value in plan and state. Upgrade the engine, or use the sensitive, state-stored alternative the attribute documents.',
        [name],
      );
    }
  }

  private managed(typeName: unknown, diagnostics: Diagnostics): AnyManagedResource<P> | undefined {
    const resource = this.resources.get(String(typeName));
    if (resource === undefined) diagnostics.addError('Unknown resource type', `The coffer provider has no resource "${String(typeName)}".`);
    return resource;
  }

  /** Write-only attributes are null in everything the engine stores. */
  private withoutWriteOnly(schema: Schema, model: Model): Model {
    const out: Model = { ...model };
    for (const [name, spec] of Object.entries(schema.attributes)) if (spec.writeOnly) out[name] = null;
    return out;
  }

  /** Every schema attribute present, nothing else. */
  private complete(schema: Schema, partial: Record<string, Value | undefined>): Model {
    const out: Model = {};
    for (const name of Object.keys(schema.attributes)) out[name] = partial[name] ?? null;
    return out;
  }

  private async upgradeResourceState(req: WireMessage): Promise<WireMessage> {
    const diagnostics = new Diagnostics();
    const response = await this.guard('UpgradeResourceState', diagnostics, async () => {
      const resource = this.managed(req.type_name, diagnostics);
      if (resource === undefined) return {};
      const raw = (req.raw_state ?? {}) as { json?: Buffer };
      const { type } = this.typeOf(resource.schema);
      // Stored JSON may come from an older schema: unknown attributes dropped, missing ones null.
      let state = fromCty(decodeJson(type, raw.json ?? Buffer.alloc(0), { lenient: true })) as Model | null;
      if (state === null) return { upgraded_state: this.encode(resource.schema, null) };
      state = this.complete(resource.schema, state);
      const version = Number(req.version ?? 0);
      if (version < resource.schema.version && resource.upgradeState) {
        state = resource.upgradeState(version, state as StateModel<Attributes>) as Model;
      }
      return { upgraded_state: this.encode(resource.schema, this.withoutWriteOnly(resource.schema, state)) };
    }, {});
    return this.withDiagnostics(response, diagnostics);
  }

  private async readResource(req: WireMessage): Promise<WireMessage> {
    const diagnostics = new Diagnostics();
    const fallback = { new_state: req.current_state, private: req.private };
    const response = await this.guard('ReadResource', diagnostics, async () => {
      const resource = this.managed(req.type_name, diagnostics);
      const ctx = this.context(diagnostics);
      if (resource === undefined || ctx === undefined) return fallback;
      const state = this.decode(resource.schema, req.current_state);
      if (state === null) return { new_state: this.encode(resource.schema, null) };
      const result = await resource.read({ state: state as StateModel<Attributes>, private: decodePrivate(req.private) }, ctx);
      if (diagnostics.hasErrors) return fallback;
      if (result === null) return { new_state: this.encode(resource.schema, null), private: Buffer.alloc(0) };
      const next = this.withoutWriteOnly(resource.schema, { ...state, ...(result.state as Model) });
      if (!isWhollyKnown(next)) throw new Error(`read of ${resource.typeName} left unknown values`);
      return { new_state: this.encode(resource.schema, next), private: encodePrivate(result.private ?? decodePrivate(req.private)) };
    }, fallback);
    return this.withDiagnostics(response, diagnostics);
  }

  private async planResourceChange(req: WireMessage): Promise<WireMessage> {
    const diagnostics = new Diagnostics();
    const response = await this.guard('PlanResourceChange', diagnostics, async () => {
      const resource = this.managed(req.type_name, diagnostics);
      if (resource === undefined) return {};
      const schema = resource.schema;
      const prior = this.decode(schema, req.prior_state);
      const proposed = this.decode(schema, req.proposed_new_state);
      const config = this.decode(schema, req.config);
      const priorPrivate = decodePrivate(req.prior_private);
      const plan = planResourceChange(
        resource,
        {
          prior: prior as StateModel<Attributes> | null,
          proposed: proposed as PlanModel<Attributes> | null,
          config: config as PlanModel<Attributes> | null,
          priorPrivate,
        },
        diagnostics,
      );
      return {
        planned_state: this.encode(schema, plan.planned as Model | null),
        requires_replace: plan.requiresReplace.map((name) => ({ steps: [{ attribute_name: name }] })),
        planned_private: encodePrivate(priorPrivate),
        legacy_type_system: false,
      };
    }, {});
    return this.withDiagnostics(response, diagnostics);
  }

  private async applyResourceChange(req: WireMessage): Promise<WireMessage> {
    const diagnostics = new Diagnostics();
    const fallback = { new_state: req.prior_state, private: req.planned_private };
    const response = await this.guard('ApplyResourceChange', diagnostics, async () => {
      const resource = this.managed(req.type_name, diagnostics);
      const ctx = this.context(diagnostics);
      if (resource === undefined || ctx === undefined) return fallback;
      const schema = resource.schema;
      const prior = this.decode(schema, req.prior_state);
      const planned = this.decode(schema, req.planned_state);
      const config = this.decode(schema, req.config);
      const priorPrivate = decodePrivate(req.planned_private);

      if (planned === null) {
        if (prior !== null) await resource.delete({ prior: prior as StateModel<Attributes> }, ctx);
        // A failed delete keeps the object in state so the next apply tries again.
        return diagnostics.hasErrors ? fallback : { new_state: this.encode(schema, null), private: Buffer.alloc(0) };
      }
      if (config === null || !isWhollyKnown(config)) throw new Error('apply received an incomplete configuration');
      const request = { planned: planned as PlanModel<Attributes>, config: config as StateModel<Attributes> };
      const result =
        prior === null
          ? await resource.create(request, ctx)
          : await resource.update({ ...request, prior: prior as StateModel<Attributes>, priorPrivate }, ctx);
      if (diagnostics.hasErrors || result === undefined) {
        // Nothing was written (backend writes are atomic): keep what was there before.
        return prior === null ? { new_state: this.encode(schema, null) } : fallback;
      }
      const next = this.settle(schema, planned, result.state as Record<string, Value | undefined>, resource.typeName);
      return { new_state: this.encode(schema, next), private: encodePrivate(result.private ?? priorPrivate) };
    }, fallback);
    return this.withDiagnostics(response, diagnostics);
  }

  /**
   * The applied state: every value known in the plan kept exactly as planned (the engine
   * rejects any other), unknowns filled from what the resource returned.
   */
  private settle(schema: Schema, planned: Model, returned: Record<string, Value | undefined>, typeName: string): Model {
    const out: Model = {};
    for (const [name, spec] of Object.entries(schema.attributes)) {
      if (spec.writeOnly) {
        out[name] = null;
        continue;
      }
      const plannedValue = planned[name] ?? null;
      const value = returned[name];
      if (isWhollyKnown(plannedValue)) {
        if (value !== undefined && !valuesEqual(value, plannedValue)) {
          this.log.warn('resource returned a value that differs from the plan; keeping the planned value', { type: typeName, attribute: name });
        }
        out[name] = plannedValue;
      } else {
        if (value === undefined || !isWhollyKnown(value)) throw new Error(`${typeName}: no value for computed attribute ${name} after apply`);
        out[name] = value;
      }
    }
    return out;
  }

  private async importResourceState(req: WireMessage): Promise<WireMessage> {
    const diagnostics = new Diagnostics();
    const response = await this.guard('ImportResourceState', diagnostics, async () => {
      const resource = this.managed(req.type_name, diagnostics);
      const ctx = this.context(diagnostics);
      if (resource === undefined || ctx === undefined) return {};
      if (resource.importState === undefined) {
        diagnostics.addError('Import not supported', `${resource.typeName} cannot be imported.`);
        return {};
      }
      const partial = await resource.importState(String(req.id ?? ''), ctx);
      if (partial === undefined || diagnostics.hasErrors) return {};
      const state = this.withoutWriteOnly(resource.schema, this.complete(resource.schema, partial as Record<string, Value>));
      return { imported_resources: [{ type_name: resource.typeName, state: this.encode(resource.schema, state), private: Buffer.alloc(0) }] };
    }, {});
    return this.withDiagnostics(response, diagnostics);
  }

  private async readDataSource(req: WireMessage): Promise<WireMessage> {
    const diagnostics = new Diagnostics();
    const response = await this.guard('ReadDataSource', diagnostics, async () => {
      const source = this.dataSources.get(String(req.type_name));
      const ctx = this.context(diagnostics);
      if (source === undefined) diagnostics.addError('Unknown data source', `The coffer provider has no data source "${String(req.type_name)}".`);
      if (source === undefined || ctx === undefined) return {};
      const config = this.decode(source.schema, req.config) ?? {};
      const result = await source.read(config as StateModel<Attributes>, ctx);
      if (result === undefined || diagnostics.hasErrors) return {};
      const state = this.complete(source.schema, { ...config, ...(result as Model) });
      if (!isWhollyKnown(state)) throw new Error(`${source.typeName}: data source left unknown values`);
      return { state: this.encode(source.schema, state) };
    }, {});
    return this.withDiagnostics(response, diagnostics);
  }

  private ephemeral(typeName: unknown, diagnostics: Diagnostics): AnyEphemeralResource<P> | undefined {
    const item = this.ephemerals.get(String(typeName));
    if (item === undefined) diagnostics.addError('Unknown ephemeral resource', `The coffer provider has no ephemeral resource "${String(typeName)}".`);
    return item;
  }

  private async openEphemeral(req: WireMessage): Promise<WireMessage> {
    const diagnostics = new Diagnostics();
    const response = await this.guard('OpenEphemeralResource', diagnostics, async () => {
      const item = this.ephemeral(req.type_name, diagnostics);
      const ctx = this.context(diagnostics);
      if (item === undefined || ctx === undefined) return {};
      const config = this.decode(item.schema, req.config) ?? {};
      const opened = await item.open(config as StateModel<Attributes>, ctx);
      if (opened === undefined || diagnostics.hasErrors) return {};
      const result = this.complete(item.schema, { ...config, ...(opened.result as Model) });
      // The engine rejects a result that is not wholly known (and would then have to close it).
      if (!isWhollyKnown(result)) throw new Error(`${item.typeName}: open left unknown values`);
      return {
        result: this.encode(item.schema, result),
        ...(opened.renewAt ? { renew_at: timestamp(opened.renewAt) } : {}),
        ...(opened.private ? { private: encodePrivate(opened.private) } : {}),
      };
    }, {});
    return this.withDiagnostics(response, diagnostics);
  }

  private async renewEphemeral(req: WireMessage): Promise<WireMessage> {
    const diagnostics = new Diagnostics();
    const response = await this.guard('RenewEphemeralResource', diagnostics, async () => {
      const item = this.ephemeral(req.type_name, diagnostics);
      const ctx = this.context(diagnostics);
      // The engine replaces its private data with the response's: echo it unless the resource gives new data.
      const echo = Buffer.isBuffer(req.private) ? { private: req.private } : {};
      if (item === undefined || ctx === undefined || item.renew === undefined) return echo;
      const renewed = await item.renew(decodePrivate(req.private), ctx);
      if (renewed === undefined) return echo;
      return {
        ...(renewed.renewAt ? { renew_at: timestamp(renewed.renewAt) } : {}),
        ...(renewed.private ? { private: encodePrivate(renewed.private) } : echo),
      };
    }, Buffer.isBuffer(req.private) ? { private: req.private } : {});
    return this.withDiagnostics(response, diagnostics);
  }

  private async closeEphemeral(req: WireMessage): Promise<WireMessage> {
    const diagnostics = new Diagnostics();
    const response = await this.guard('CloseEphemeralResource', diagnostics, async () => {
      const item = this.ephemeral(req.type_name, diagnostics);
      const ctx = this.context(diagnostics);
      if (item === undefined || ctx === undefined || item.close === undefined) return {};
      await item.close(decodePrivate(req.private), ctx);
      return {};
    }, {});
    return this.withDiagnostics(response, diagnostics);
  }

  private async callFunction(req: WireMessage): Promise<WireMessage> {
    const fn = (this.definition.functions ?? []).find((f) => f.name === req.name);
    if (fn === undefined) return { error: { text: `unknown function "${String(req.name)}"` } };
    const args = ((req.arguments ?? []) as WireMessage[]).map((arg, i) => {
      const kind = fn.parameters[i]?.kind ?? 'string';
      const bytes = (arg as { msgpack?: Buffer }).msgpack;
      return bytes && bytes.length > 0 ? (fromCty(decodeMsgpack(kind, bytes)) as string | number | boolean | null) : null;
    });
    const outcome = fn.call(args);
    if ('error' in outcome) {
      return { error: { text: outcome.error, ...(outcome.argument !== undefined ? { function_argument: outcome.argument } : {}) } };
    }
    return { result: { msgpack: Buffer.from(encodeMsgpack(fn.returns, toCty(outcome.result))) } };
  }
}

function timestamp(date: Date): WireMessage {
  const ms = date.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

