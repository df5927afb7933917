/**
 * The lifecycle of `coffer_user_secret` where a secret is per user but the resource is per
 * workspace (a Coder template: every workspace of the owner declares the same secret):
 *
 * - `on_destroy`: `retain` leaves the secret in the backend when the resource is destroyed (a
 *   workspace stop or delete must not take a secret the owner's other workspaces use), `delete`
 *   removes it. Unset: `retain` inside a Coder workspace build, `delete` everywhere else.
 * - Adopt-or-leave: a create that meets the owner's existing secret adopts it — writes the
 *   configured value and metadata and takes it into state — when the resource retains on destroy
 *   (it shares the secret) and the existing secret carries this configuration's delivery metadata
 *   (the mark a workspace of the same template left). Anything else is left alone and stays an
 *   "already exists" error.
 */
import { describePhase, isNoBuildCredential } from '../../client/backends/coder/build-context';
import { isSecretStoreError } from '../../client/errors';
import type { SecretMetadata } from '../../client/secret-store';
import { SecretText } from '../../client/secret-text';
import { attribute, type ResourceContext } from '../framework';
import type { CofferProviderData } from '../provider-data';
import { reportStoreError } from './store-errors';

export const ON_DESTROY = ['retain', 'delete'] as const;
export type OnDestroy = (typeof ON_DESTROY)[number];

export const onDestroyAttribute = attribute.string({
  description:
    'What destroying this resource does to the secret: `retain` (leave it for the owner, e.g. when several Coder workspaces share it) or `delete`. Default: `retain` inside a Coder workspace build, `delete` elsewhere.',
  optional: true,
  validators: [(value: string) => (ON_DESTROY.includes(value as OnDestroy) ? undefined : `on_destroy must be one of: ${ON_DESTROY.join(', ')} (got "${value}")`)],
});

/** The fields of a `coffer_user_secret` state or configuration this module reads. */
export interface LifecycleFields {
  readonly name: string | null;
  readonly user: string | null;
  readonly description: string | null;
  readonly env_name: string | null;
  readonly file_path: string | null;
  readonly enabled: boolean | null;
  readonly on_destroy: string | null;
}

export function resolveOnDestroy(fields: Pick<LifecycleFields, 'on_destroy'>, provider: CofferProviderData): OnDestroy {
  if (fields.on_destroy === 'retain' || fields.on_destroy === 'delete') return fields.on_destroy;
  return provider.coderBuild !== undefined ? 'retain' : 'delete';
}

/**
 * Destroys the secret as `on_destroy` says. Returns without a backend call for `retain`; a build
 * without the owner's token cannot delete, so the secret is left with a warning saying how to
 * remove it, and the workspace is not stranded.
 */
export async function destroySecret(prior: LifecycleFields, ctx: ResourceContext<CofferProviderData>): Promise<void> {
  const user = prior.user ?? 'me';
  const name = prior.name as string;
  if (resolveOnDestroy(prior, ctx.provider) === 'retain') {
    ctx.log.info('secret retained on destroy (on_destroy = retain)', { secret: name });
    return;
  }
  try {
    await ctx.provider.store.delete(user, name);
  } catch (error) {
    if (isSecretStoreError(error) && error.code === 'not_found') return; // already gone: the goal is reached
    if (isNoBuildCredential(error)) {
      ctx.diagnostics.addWarning(
        `Secret "${name}" left in place`,
        `on_destroy = "delete", but this ${describePhase(error.phase)} carries no owner token, so Coffer cannot delete it. ` +
          `The owner removes it with: coder secret delete ${name} (or Account → Secrets).`,
      );
      return;
    }
    reportStoreError(ctx.diagnostics, 'Cannot delete secret', error);
  }
}

/** The existing secret is the one another workspace of this configuration wrote. */
export function carriesThisConfiguration(meta: SecretMetadata, config: LifecycleFields): boolean {
  return (
    meta.description === (config.description ?? '') &&
    meta.envName === (config.env_name ?? '') &&
    meta.filePath === (config.file_path ?? '')
  );
}

/**
 * On a create that found the name taken: adopt the owner's existing secret when this resource
 * shares it (retains on destroy) and the secret carries this configuration's metadata. Writes
 * the configured value and `enabled`, so the secret is exactly what this configuration says.
 * Returns undefined to leave it (the caller reports "already exists").
 */
export async function adoptSharedSecret(
  config: LifecycleFields,
  plaintext: string,
  ctx: ResourceContext<CofferProviderData>,
): Promise<SecretMetadata | undefined> {
  if (resolveOnDestroy(config, ctx.provider) !== 'retain') return undefined;
  const user = config.user ?? 'me';
  const name = config.name as string;
  let existing: SecretMetadata;
  try {
    existing = await ctx.provider.store.get(user, name);
  } catch (error) {
    if (isSecretStoreError(error)) return undefined;
    throw error;
  }
  if (!carriesThisConfiguration(existing, config)) return undefined;
  const adopted = await ctx.provider.store.update(user, name, { value: new SecretText(plaintext), enabled: config.enabled ?? true });
  ctx.log.info('adopted the owner\'s existing secret shared by this configuration', { secret: name });
  return adopted;
}
