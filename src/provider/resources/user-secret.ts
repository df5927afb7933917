/**
 * `coffer_user_secret`: one user secret (value + delivery targets) in the configured backend.
 * The value is written from `value_wo` (write-only, never stored by the engine) or, for
 * engines older than 1.11, from the sensitive `value` (kept in state: the documented trade-off).
 * Refresh reads metadata only; a value changed out of band is detected by its version.
 * Destroy and "already exists" follow `on_destroy` (secret-lifecycle.ts): a per-user secret that
 * several Coder workspaces declare is retained and adopted rather than deleted or refused.
 */
import { SecretNotFoundError, isSecretStoreError } from '../../client/errors';
import { checkEnabledHasTarget, checkEnvName, checkFilePath, checkName, checkUser, checkValue, type RuleViolation } from '../../client/rules';
import type { SecretMetadata, UpdateSecretInput } from '../../client/secret-store';
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

/** Private state: which backend object and value version this state last saw. */
interface Seen extends PrivateData {
  readonly id: string;
  readonly valueVersion: number | null;
}

function seen(meta: SecretMetadata): Seen {
  return { id: meta.id, valueVersion: meta.valueVersion ?? null };
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
    const { store } = ctx.provider;
    const plaintext = config.value ?? config.value_wo;
    if (plaintext === null) {
      ctx.diagnostics.addError('Missing secret value', 'Set value_wo or value.', ['value_wo']);
      return undefined;
    }
    try {
      const meta = await store.create(config.user ?? 'me', {
        name: config.name as string,
        value: new SecretText(plaintext),
        description: config.description ?? '',
        envName: config.env_name ?? '',
        filePath: config.file_path ?? '',
        enabled: config.enabled ?? true,
      });
      return { state: metadataState(meta, config), private: seen(meta) };
    } catch (error) {
      if (isSecretStoreError(error) && error.code === 'conflict' && error.field === 'name') {
        try {
          const shared = await adoptSharedSecret(config, plaintext, ctx);
          if (shared !== undefined) return { state: metadataState(shared, config), private: seen(shared) };
        } catch (adoptError) {
          reportStoreError(ctx.diagnostics, 'Cannot adopt the existing secret', adoptError, (field) => (field === 'value' ? valueAttribute(config) : field));
          return undefined;
        }
        const adopted = await this.adoptIdentical(config, plaintext, ctx);
        if (adopted !== undefined) return adopted;
        ctx.diagnostics.addError(
          'Secret already exists',
          `${error.message}. To manage it here, import it: an import block with id = "${config.user ?? 'me'}/${config.name}", or tofu import.`,
          ['name'],
        );
        return undefined;
      }
      reportStoreError(ctx.diagnostics, 'Cannot create secret', error, (field) => (field === 'value' ? valueAttribute(config) : field));
      return undefined;
    }
  }

  /**
   * After an apply that was killed between writing a secret and saving state, the next apply
   * finds the secret already there. When it is exactly what this configuration would create
   * (same metadata, same value) it is the one we wrote: adopt it so a re-apply converges.
   * Anything else is someone else's secret and stays an error.
   */
  private async adoptIdentical(config: State, plaintext: string, ctx: ResourceContext<CofferProviderData>): Promise<ResourceResult<Attrs> | undefined> {
    const { store } = ctx.provider;
    const user = config.user ?? 'me';
    const name = config.name as string;
    try {
      const meta = await store.get(user, name);
      const sameMetadata =
        meta.description === (config.description ?? '') &&
        meta.envName === (config.env_name ?? '') &&
        meta.filePath === (config.file_path ?? '') &&
        meta.enabled === (config.enabled ?? true);
      if (!sameMetadata) return undefined;
      const stored = await store.readValue(user, name);
      if (!stored.equals(new SecretText(plaintext))) return undefined;
      ctx.log.info('adopted an identical secret left by an interrupted apply', { secret: name });
      return { state: metadataState(meta, config), private: seen(meta) };
    } catch (error) {
      if (isSecretStoreError(error)) return undefined;
      throw error;
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
    { prior, config }: { prior: State; config: State },
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
      return { state: metadataState(meta, config), private: seen(meta) };
    } catch (error) {
      reportStoreError(ctx.diagnostics, 'Cannot update secret', error, (field) => (field === 'value' ? valueAttribute(config) : field));
      return undefined;
    }
  }

  async delete({ prior }: { prior: State }, ctx: ResourceContext<CofferProviderData>): Promise<void> {
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
