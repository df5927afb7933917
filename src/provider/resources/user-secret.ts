/**
 * `coffer_user_secret`: one user secret (value + delivery targets) in the configured backend.
 * The value is written from `value_wo` (write-only, never stored by the engine) or, for
 * engines older than 1.11, from the sensitive `value` (kept in state: the documented trade-off).
 * Refresh reads metadata only; a value changed out of band is detected by its version. A create
 * writes an owner claim and adopts an existing record only when it carries that claim.
 * Destroy and "already exists" follow `on_destroy` (secret-lifecycle.ts): a per-user secret that
 * several Coder workspaces declare is retained and adopted rather than deleted or refused.
 */
import { SecretNotFoundError, isSecretStoreError } from '../../client/errors';
import { checkEnabledHasTarget, checkEnvName, checkFilePath, checkName, checkUser, checkValue, type RuleViolation } from '../../client/rules';
import type { SecretMetadata, UpdateSecretInput } from '../../client/secret-store';
import { ownerClaim } from '../../client/ownership';
import { SecretText } from '../../client/secret-text';
import type { CofferProviderData } from '../provider-data';
import {
  attribute,
  isUnknown,
  type ManagedResource,
  type PlanModel,
  type PrivateData,
  type ResourceContext,
  type ResourceResult,
  type StateModel,
  type ValidateContext,
} from '../framework';
import { reportStoreError } from './store-errors';
import { skippedInBuild } from './coder-build';
import { adoptSharedSecret, destroySecret, onDestroyAttribute } from './secret-lifecycle';

const rule = (check: (value: string) => RuleViolation | undefined) => (value: string) => check(value)?.message;

const attributes = {
  id: attribute.string({ description: 'Identifier the backend gave the secret.', computed: true }),
  name: attribute.string({
    description: 'Secret name, unique per user. Not blank, no surrounding whitespace, no "/", "?" or "#", at most 255 characters. Changing it replaces the secret.',
    required: true,
    requiresReplace: true,
    validators: [rule(checkName)],
  }),
  user: attribute.string({
    description: 'Owner: `me` (the authenticated user), a username or a user ID. Changing it replaces the secret.',
    default: 'me',
    requiresReplace: true,
    validators: [rule(checkUser)],
  }),
  description: attribute.string({ description: 'Free-text description.', optional: true }),
  env_name: attribute.string({
    description: 'Environment variable the value is injected as in workspaces (POSIX name, not reserved).',
    optional: true,
    validators: [rule(checkEnvName)],
  }),
  file_path: attribute.string({
    description: 'File the value is written to in workspaces; starts with `~/` or `/`.',
    optional: true,
    validators: [rule(checkFilePath)],
  }),
  enabled: attribute.bool({ description: 'Whether workspaces receive the secret.', default: true }),
  value: attribute.string({
    description: 'Secret value, stored in state (sensitive). Use `value_wo` on OpenTofu/Terraform ≥ 1.11 instead.',
    optional: true,
    sensitive: true,
    validators: [rule(checkValue)],
  }),
  value_wo: attribute.string({
    description: 'Secret value, write-only: never stored in plan or state. Change `value_wo_version` to write a new value.',
    optional: true,
    sensitive: true,
    writeOnly: true,
    validators: [(v: string) => checkValue(v, 'value_wo')?.message],
  }),
  value_wo_version: attribute.string({
    description: 'Any string; changing it writes the current `value_wo` to the backend (rotation).',
    optional: true,
  }),
  on_destroy: onDestroyAttribute,
  created_at: attribute.string({ description: 'When the secret was created (RFC 3339).', computed: true }),
  updated_at: attribute.string({ description: 'When the secret last changed (RFC 3339).', computed: true, unknownOnUpdate: true }),
};

type Attrs = typeof attributes;
type State = StateModel<Attrs>;

/**
 * Private state: which backend object and value version this state last saw, and the owner
 * claim its create wrote (see client/ownership.ts; absent for imported secrets).
 */
interface Seen extends PrivateData {
  readonly id: string;
  readonly valueVersion: number | null;
  readonly ownerClaim: string | null;
}

function seen(meta: SecretMetadata, claim: string | undefined = meta.ownerClaim): Seen {
  return { id: meta.id, valueVersion: meta.valueVersion ?? null, ownerClaim: claim ?? null };
}

/**
 * After an update that wrote no value: the new metadata, but still the value version this state
 * last wrote or saw. The backend's current value version may be one written out of band between
 * plan and apply; adopting it would hide that drift from every later plan.
 */
function keptValueVersion(meta: SecretMetadata, priorPrivate: PrivateData): Seen {
  const known = priorPrivate as Partial<Seen>;
  if (known.id !== meta.id || known.valueVersion === undefined) return seen(meta);
  return { ...seen(meta), valueVersion: known.valueVersion };
}

/** Backends say "" for unset; state says null, unless the user configured "" explicitly. */
function fromBackend(value: string, prior: string | null): string | null {
  return value === '' && prior !== '' ? null : value;
}

function metadataState(meta: SecretMetadata, prior: State | null): Partial<State> {
  return {
    id: meta.id,
    description: fromBackend(meta.description, prior?.description ?? null),
    env_name: fromBackend(meta.envName, prior?.env_name ?? null),
    file_path: fromBackend(meta.filePath, prior?.file_path ?? null),
    enabled: meta.enabled,
    created_at: meta.createdAt,
    updated_at: meta.updatedAt,
  };
}

/** The attribute that carries the value in this configuration, for error paths. */
function valueAttribute(config: { value: string | null }): 'value' | 'value_wo' {
  return config.value !== null ? 'value' : 'value_wo';
}

export class UserSecretResource implements ManagedResource<Attrs, CofferProviderData> {
  readonly typeName = 'coffer_user_secret';
  readonly schema = {
    version: 0,
    description: 'A user secret: a value plus where workspaces receive it (environment variable and/or file).',
    attributes,
  };

  validateConfig(config: PlanModel<Attrs>, { diagnostics }: ValidateContext): void {
    const hasValue = config.value !== null;
    const hasWriteOnly = config.value_wo !== null;
    if (hasValue && hasWriteOnly) {
      diagnostics.addError('Conflicting value attributes', 'Set exactly one of value_wo (recommended) or value, not both.', ['value_wo']);
    } else if (!hasValue && !hasWriteOnly) {
      diagnostics.addError(
        'Missing secret value',
        'Set exactly one of value_wo (write-only, OpenTofu/Terraform ≥ 1.11) or value (stored in state).',
        ['value_wo'],
      );
    }
    if (config.value_wo_version !== null && hasValue && !hasWriteOnly) {
      diagnostics.addError('value_wo_version without value_wo', 'value_wo_version only applies to value_wo; remove it or switch to value_wo.', ['value_wo_version']);
    }
    const { enabled, env_name: envName, file_path: filePath } = config;
    if (!isUnknown(enabled) && !isUnknown(envName) && !isUnknown(filePath)) {
      const problem = checkEnabledHasTarget(enabled ?? true, envName ?? '', filePath ?? '');
      if (problem) diagnostics.addError('Secret has no delivery target', problem.message, [problem.field]);
    }
  }

  async create({ config }: { config: State }, ctx: ResourceContext<CofferProviderData>): Promise<ResourceResult<Attrs> | undefined> {
    const { store, claims } = ctx.provider;
    const plaintext = config.value ?? config.value_wo;
    if (plaintext === null) {
      ctx.diagnostics.addError('Missing secret value', 'Set value_wo or value.', ['value_wo']);
      return undefined;
    }
    const user = config.user ?? 'me';
    const name = config.name as string;
    const claim = claims !== undefined ? ownerClaim(claims.scope, user, name) : undefined;
    if (claims !== undefined && claim !== undefined && !claims.registry.take(claim)) {
      ctx.diagnostics.addError(
        'Secret declared twice',
        `Another coffer_user_secret of this configuration already creates secret "${name}" of user "${user}". A secret has one owner: remove one of the two resources.`,
        ['name'],
      );
      return undefined;
    }
    const wanted = {
      value: new SecretText(plaintext),
      description: config.description ?? '',
      envName: config.env_name ?? '',
      filePath: config.file_path ?? '',
      enabled: config.enabled ?? true,
    };
    const mapField = (field: string) => (field === 'value' ? valueAttribute(config) : field);
    try {
      const meta = await store.create(user, { name, ...wanted, ...(claim !== undefined ? { ownerClaim: claim } : {}) });
      return { state: metadataState(meta, config), private: seen(meta, claim) };
    } catch (error) {
      if (!(isSecretStoreError(error) && error.code === 'conflict' && error.field === 'name')) {
        reportStoreError(ctx.diagnostics, 'Cannot create secret', error, mapField);
        return undefined;
      }
      try {
        const shared = await adoptSharedSecret(config, plaintext, ctx);
        if (shared !== undefined) return { state: metadataState(shared, config), private: seen(shared, claim) };
      } catch (adoptError) {
        reportStoreError(ctx.diagnostics, 'Cannot adopt the existing secret', adoptError, mapField);
        return undefined;
      }
      const existing = await store.get(user, name).catch((readError: unknown) => {
        if (isSecretStoreError(readError)) return undefined;
        throw readError;
      });
      if (store.capabilities.ownerClaim === true && existing !== undefined && claim !== undefined && existing.ownerClaim === claim) {
        return this.adoptOwnLeftover(user, name, claim, wanted, config, ctx, mapField);
      }
      const why = !store.capabilities.ownerClaim
        ? `The ${store.kind} backend cannot record which configuration created a secret, so Coffer never adopts an existing one.`
        : 'It was not created by this resource of this configuration.';
      ctx.diagnostics.addError(
        'Secret already exists',
        `${error.message}. ${why} To manage it here, import it: an import block with id = "${user}/${name}", or tofu import.`,
        ['name'],
      );
      return undefined;
    }
  }

  /**
   * An apply killed between writing a secret and saving state leaves a record the next apply's
   * create finds. It carries this resource's owner claim, so it is ours: adopt it, and bring it to
   * the configuration (an unchanged value writes nothing). See client/ownership.ts.
   */
  private async adoptOwnLeftover(
    user: string,
    name: string,
    claim: string,
    wanted: Required<Pick<UpdateSecretInput, 'value' | 'description' | 'envName' | 'filePath' | 'enabled'>>,
    config: State,
    ctx: ResourceContext<CofferProviderData>,
    mapField: (field: string) => string,
  ): Promise<ResourceResult<Attrs> | undefined> {
    try {
      const meta = await ctx.provider.store.update(user, name, wanted);
      ctx.provider.claims?.registry.noteAdopted(meta.id);
      ctx.log.info('adopted the secret this resource wrote in an interrupted apply', { secret: name });
      return { state: metadataState(meta, config), private: seen(meta, claim) };
    } catch (error) {
      reportStoreError(ctx.diagnostics, 'Cannot adopt secret', error, mapField);
      return undefined;
    }
  }

  async read({ state, private: privateData }: { state: State; private: PrivateData }, ctx: ResourceContext<CofferProviderData>): Promise<ResourceResult<Attrs> | null> {
    let meta: SecretMetadata;
    try {
      meta = await ctx.provider.store.get(state.user ?? 'me', state.name as string);
    } catch (error) {
      if (error instanceof SecretNotFoundError) return null;
      if (skippedInBuild(ctx, error, `coffer_user_secret "${state.name}"`, 'Its state is kept as it was.')) return { state: {}, private: privateData };
      reportStoreError(ctx.diagnostics, 'Cannot read secret', error);
      return null;
    }
    const next: Partial<State> = metadataState(meta, state);
    if (meta.metadataUnverified === true) {
      ctx.diagnostics.addWarning(
        `Secret "${meta.name}" could not be fully verified`,
        'An earlier write to the backend was interrupted, and reading it back would need a value-returning call, which plan and refresh never make. ' +
          'The last confirmed metadata is shown and the value is treated as possibly changed; the next apply writes it again and repairs the record.',
      );
    }
    const known = privateData as Partial<Seen>;
    const replacedOutOfBand = known.id !== undefined && known.id !== meta.id;
    const valueChanged = known.valueVersion != null && meta.valueVersion !== undefined && known.valueVersion !== meta.valueVersion;
    if (replacedOutOfBand || valueChanged) {
      // We cannot (and must not) read the value: forget which value we wrote, so the next plan writes the configured one again.
      next.value = null;
      next.value_wo_version = null;
    }
    return { state: next, private: seen(meta) };
  }

  async update(
    { prior, config, priorPrivate }: { prior: State; config: State; priorPrivate: PrivateData },
    ctx: ResourceContext<CofferProviderData>,
  ): Promise<ResourceResult<Attrs> | undefined> {
    const { store } = ctx.provider;
    const patch: { -readonly [K in keyof UpdateSecretInput]: UpdateSecretInput[K] } = {};
    if ((prior.description ?? '') !== (config.description ?? '')) patch.description = config.description ?? '';
    if ((prior.env_name ?? '') !== (config.env_name ?? '')) patch.envName = config.env_name ?? '';
    if ((prior.file_path ?? '') !== (config.file_path ?? '')) patch.filePath = config.file_path ?? '';
    if ((prior.enabled ?? true) !== (config.enabled ?? true)) patch.enabled = config.enabled ?? true;
    const writeValue =
      config.value !== null
        ? config.value !== prior.value
        : config.value_wo !== null && (config.value_wo_version !== prior.value_wo_version || prior.value !== null);
    const plaintext = config.value ?? config.value_wo;
    if (writeValue && plaintext !== null) patch.value = new SecretText(plaintext);

    const user = prior.user ?? 'me';
    const name = prior.name as string;
    try {
      const meta = Object.keys(patch).length > 0 ? await store.update(user, name, patch) : await store.get(user, name);
      return { state: metadataState(meta, config), private: patch.value !== undefined ? seen(meta) : keptValueVersion(meta, priorPrivate) };
    } catch (error) {
      reportStoreError(ctx.diagnostics, 'Cannot update secret', error, (field) => (field === 'value' ? valueAttribute(config) : field));
      return undefined;
    }
  }

  async delete({ prior }: { prior: State }, ctx: ResourceContext<CofferProviderData>): Promise<void> {
    const name = prior.name as string;
    if (prior.id !== null && ctx.provider.claims?.registry.wasAdopted(prior.id) === true) {
      ctx.log.info('kept the secret: its replacement adopted it in this run', { secret: name });
      return;
    }
    await destroySecret(prior, ctx);
  }

  async importState(id: string, ctx: ResourceContext<CofferProviderData>): Promise<Partial<State> | undefined> {
    // Names cannot contain "/", so USER/NAME splits unambiguously.
    const slash = id.indexOf('/');
    const user = slash >= 0 ? id.slice(0, slash) : 'me';
    const name = slash >= 0 ? id.slice(slash + 1) : id;
    const problem = checkUser(user, 'user') ?? checkName(name, 'name');
    if (problem) {
      ctx.diagnostics.addError('Invalid import ID', `Use NAME or USER/NAME: ${problem.message}.`);
      return undefined;
    }
    try {
      const meta = await ctx.provider.store.get(user, name);
      return { ...metadataState(meta, null), name, user };
    } catch (error) {
      if (error instanceof SecretNotFoundError) {
        ctx.diagnostics.addError('Cannot import secret', `${error.message}.`);
        return undefined;
      }
      reportStoreError(ctx.diagnostics, 'Cannot import secret', error);
      return undefined;
    }
  }
}
