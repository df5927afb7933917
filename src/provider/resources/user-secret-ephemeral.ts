/**
 * Ephemeral `coffer_user_secret`: a stored secret's value for the duration of one run, to feed
 * other providers' write-only arguments or provider configuration without it ever reaching
 * plan or state. The only provider path that calls `readValue` (audited as `read_value`), and
 * only when a configuration declares this resource.
 */
import { SecretNotFoundError } from '../../client/errors';
import { checkName, checkUser } from '../../client/rules';
import { attribute, type EphemeralOpenResult, type EphemeralResource, type ResourceContext, type StateModel } from '../framework';
import type { CofferProviderData } from '../provider-data';
import { reportStoreError } from './store-errors';
import { rule, unsetAsNull } from './user-secret-data';

const attributes = {
  name: attribute.string({ description: 'Secret name.', required: true, validators: [rule(checkName)] }),
  user: attribute.string({ description: 'Owner (default `me`).', optional: true, validators: [rule(checkUser)] }),
  value: attribute.string({ description: 'The secret value; never stored in plan or state.', computed: true, sensitive: true }),
  env_name: attribute.string({ description: 'Environment variable the value is injected as; null when not injected.', computed: true }),
  file_path: attribute.string({ description: 'File the value is written to; null when not written.', computed: true }),
};

type Attrs = typeof attributes;

export class UserSecretEphemeral implements EphemeralResource<Attrs, CofferProviderData> {
  readonly typeName = 'coffer_user_secret';
  readonly schema = {
    version: 0,
    description:
      "Reads a user secret's value for the duration of a run (ephemeral: never in plan or state), e.g. for other providers' write-only arguments. Needs the local or vault backend: Coder's API never returns values.",
    attributes,
  };

  async open(config: StateModel<Attrs>, ctx: ResourceContext<CofferProviderData>): Promise<EphemeralOpenResult<Attrs> | undefined> {
    const { store } = ctx.provider;
    const user = config.user ?? 'me';
    const name = config.name as string;
    if (!store.capabilities.readValue) {
      ctx.diagnostics.addError(
        'Secret values are not readable on this backend',
        `The ${store.kind} backend never returns secret values (Coder's API has no endpoint for them), so ephemeral "coffer_user_secret" cannot read "${name}". ` +
          'Use the local or vault backend for values a configuration consumes, or let workspaces receive the secret through env_name/file_path.',
        ['name'],
      );
      return undefined;
    }
    try {
      const meta = await store.get(user, name);
      const value = await store.readValue(user, name);
      if (!meta.enabled) ctx.log.info('ephemeral read of a disabled secret', { secret: name });
      return {
        result: { value: value.reveal(), env_name: unsetAsNull(meta.envName), file_path: unsetAsNull(meta.filePath) },
      };
    } catch (error) {
      if (error instanceof SecretNotFoundError) {
        ctx.diagnostics.addError('Secret not found', `${error.message}. Create it (coffer secret create ${name}) or check the name and user.`, ['name']);
        return undefined;
      }
      reportStoreError(ctx.diagnostics, 'Cannot read secret value', error);
      return undefined;
    }
  }
}
