/**
 * Data sources over secret metadata (never values): `coffer_user_secret` (one secret by name)
 * and `coffer_user_secrets` (all of a user's secrets, optionally filtered by a name prefix).
 * They call only `get`/`list`, the metadata calls every backend answers without a value.
 */
import { SecretNotFoundError } from '../../client/errors';
import { checkName, checkUser, type RuleViolation } from '../../client/rules';
import type { SecretMetadata } from '../../client/secret-store';
import { attribute, type DataSource, type ObjectElement, type ResourceContext, type StateModel } from '../framework';
import type { CofferProviderData } from '../provider-data';
import { reportStoreError } from './store-errors';
import { createSecretHint, skippedInBuild } from './coder-build';

export const rule = (check: (value: string) => RuleViolation | undefined) => (value: string) => check(value)?.message;

/** Backends say "" for unset; data sources say null, so `!= null` tests read naturally. */
export function unsetAsNull(value: string): string | null {
  return value === '' ? null : value;
}

const ownerAttribute = attribute.string({
  description: 'Owner: `me` (the authenticated user, the default), a username or a user ID.',
  optional: true,
  validators: [rule(checkUser)],
});

const secretAttributes = {
  name: attribute.string({ description: 'Secret name.', required: true, validators: [rule(checkName)] }),
  user: ownerAttribute,
  id: attribute.string({ description: 'Identifier the backend gave the secret.', computed: true }),
  description: attribute.string({ description: 'Free-text description; null when unset.', computed: true }),
  env_name: attribute.string({ description: 'Environment variable the value is injected as; null when not injected.', computed: true }),
  file_path: attribute.string({ description: 'File the value is written to; null when not written.', computed: true }),
  enabled: attribute.bool({ description: 'Whether workspaces receive the secret.', computed: true }),
  created_at: attribute.string({ description: 'When the secret was created (RFC 3339).', computed: true }),
  updated_at: attribute.string({ description: 'When the secret last changed (RFC 3339).', computed: true }),
};

type SecretAttrs = typeof secretAttributes;

export class UserSecretDataSource implements DataSource<SecretAttrs, CofferProviderData> {
  readonly typeName = 'coffer_user_secret';
  readonly schema = {
    version: 0,
    description: 'Metadata of one user secret: description, delivery targets, enabled flag, timestamps. Never its value.',
    attributes: secretAttributes,
  };

  async read(config: StateModel<SecretAttrs>, ctx: ResourceContext<CofferProviderData>): Promise<Partial<StateModel<SecretAttrs>> | undefined> {
    const user = config.user ?? 'me';
    const name = config.name as string;
    let meta: SecretMetadata;
    try {
      meta = await ctx.provider.store.get(user, name);
    } catch (error) {
      if (error instanceof SecretNotFoundError) {
        ctx.diagnostics.addError(
          'Secret not found',
          `${error.message}. ${capitalise(createSecretHint(ctx.provider.store.kind, name))}, or check the name and user.`,
          ['name'],
        );
        return undefined;
      }
      if (skippedInBuild(ctx, error, `data "coffer_user_secret" "${name}"`, 'Its attributes are null in this build.')) return {};
      reportStoreError(ctx.diagnostics, 'Cannot read secret metadata', error);
      return undefined;
    }
    return {
      id: meta.id,
      description: unsetAsNull(meta.description),
      env_name: unsetAsNull(meta.envName),
      file_path: unsetAsNull(meta.filePath),
      enabled: meta.enabled,
      created_at: meta.createdAt,
      updated_at: meta.updatedAt,
    };
  }
}

/** The fields of each element of `coffer_user_secrets.secrets` (the shape the CDK bindings were generated for). */
const SECRET_FIELDS = {
  id: 'string',
  name: 'string',
  description: 'string',
  env_name: 'string',
  file_path: 'string',
  enabled: 'bool',
} as const;

const secretsAttributes = {
  user: ownerAttribute,
  name_prefix: attribute.string({ description: 'Only secrets whose name starts with this text (case-sensitive).', optional: true }),
  id: attribute.string({ description: 'The user, and the prefix when given (`me`, `alice/ci-`).', computed: true }),
  secrets: attribute.objectList(SECRET_FIELDS, {
    description: 'Metadata of every matching secret of the user, sorted by name (never values). Unset description/env_name/file_path are null.',
    computed: true,
  }),
};

type SecretsAttrs = typeof secretsAttributes;

export class UserSecretsDataSource implements DataSource<SecretsAttrs, CofferProviderData> {
  readonly typeName = 'coffer_user_secrets';
  readonly schema = {
    version: 0,
    description: 'Metadata of all secrets of a user, optionally those whose name starts with a prefix. Never values.',
    attributes: secretsAttributes,
  };

  async read(config: StateModel<SecretsAttrs>, ctx: ResourceContext<CofferProviderData>): Promise<Partial<StateModel<SecretsAttrs>> | undefined> {
    const user = config.user ?? 'me';
    const prefix = config.name_prefix ?? '';
    let all: SecretMetadata[];
    try {
      all = await ctx.provider.store.list(user);
    } catch (error) {
      if (skippedInBuild(ctx, error, 'data "coffer_user_secrets"', 'The list is empty in this build.')) return { id: user, secrets: [] };
      reportStoreError(ctx.diagnostics, 'Cannot list secrets', error);
      return undefined;
    }
    const secrets: ObjectElement[] = all
      .filter((meta) => meta.name.startsWith(prefix))
      .map((meta) => ({
        id: meta.id,
        name: meta.name,
        description: unsetAsNull(meta.description),
        env_name: unsetAsNull(meta.envName),
        file_path: unsetAsNull(meta.filePath),
        enabled: meta.enabled,
      }));
    return { id: prefix === '' ? user : `${user}/${prefix}`, secrets };
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
