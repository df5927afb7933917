/**
 * `coffer_secret_check`: a plan-time requirement that a user has the secrets a configuration
 * needs (e.g. a Coder template that expects its users to have created `github-token`). One
 * `list` call (metadata only); the plan fails with ONE error naming every missing or disabled
 * secret plus the author's help message, instead of one error per secret or a workspace that
 * starts without them.
 */
import { createHash } from 'node:crypto';
import { checkName, checkUser } from '../../client/rules';
import type { SecretMetadata } from '../../client/secret-store';
import { attribute, type DataSource, type PlanModel, type ResourceContext, type StateModel, type ValidateContext } from '../framework';
import type { CofferProviderData } from '../provider-data';
import { reportStoreError } from './store-errors';
import { rule } from './user-secret-data';
import { createSecretHint, enableSecretHint, skippedInBuild } from './coder-build';

const attributes = {
  names: attribute.stringList({ description: 'Names of the secrets the configuration requires.', required: true }),
  user: attribute.string({ description: 'Owner: `me`, a username or a user ID (default `me`).', optional: true, validators: [rule(checkUser)] }),
  help_message: attribute.string({
    description: 'Shown under the list of missing secrets, e.g. how to create them or where to ask.',
    optional: true,
  }),
  fail_on_missing: attribute.bool({
    description: 'Fail the plan with one diagnostic listing every missing or disabled secret (default true). With false, read `missing`/`disabled` instead.',
    optional: true,
  }),
  id: attribute.string({ description: 'A digest of the user and the required names.', computed: true }),
  missing: attribute.stringList({ description: 'Required secrets that do not exist.', computed: true }),
  disabled: attribute.stringList({ description: 'Required secrets that exist but are disabled.', computed: true }),
  ok: attribute.bool({ description: 'True when every required secret exists and is enabled.', computed: true }),
};

type Attrs = typeof attributes;

export class SecretCheckDataSource implements DataSource<Attrs, CofferProviderData> {
  readonly typeName = 'coffer_secret_check';
  readonly schema = {
    version: 0,
    description:
      'Checks at plan time that the secrets a configuration requires exist and are enabled; lists every missing one in one diagnostic. Reads metadata only, never values.',
    attributes,
  };

  validateConfig(config: PlanModel<Attrs>, { diagnostics }: ValidateContext): void {
    const names = config.names;
    if (!Array.isArray(names)) return;
    if (names.length === 0) diagnostics.addError('No secrets to check', 'names must list at least one secret name.', ['names']);
    const seen = new Set<string>();
    (names as readonly unknown[]).forEach((name, i) => {
      if (typeof name !== 'string') return; // unknown until apply
      const problem = checkName(name, 'names');
      if (problem !== undefined) diagnostics.addError('Invalid secret name', `${problem.message} (item ${i + 1}: "${name}").`, ['names', i]);
      else if (seen.has(name)) diagnostics.addError('Duplicate secret name', `"${name}" is listed twice.`, ['names', i]);
      seen.add(name);
    });
  }

  async read(config: StateModel<Attrs>, ctx: ResourceContext<CofferProviderData>): Promise<Partial<StateModel<Attrs>> | undefined> {
    const user = config.user ?? 'me';
    const names = [...(config.names ?? [])];
    let all: SecretMetadata[];
    try {
      all = await ctx.provider.store.list(user);
    } catch (error) {
      if (skippedInBuild(ctx, error, 'coffer_secret_check', 'The requirement is checked on the start build, which carries the owner\'s token; `ok` is null here.')) {
        return { id: digestOf(user, names), missing: [], disabled: [], ok: null };
      }
      reportStoreError(ctx.diagnostics, 'Cannot check secrets', error);
      return undefined;
    }
    const byName = new Map(all.map((meta) => [meta.name, meta]));
    const missing = names.filter((name) => !byName.has(name));
    const disabled = names.filter((name) => byName.get(name)?.enabled === false);
    const ok = missing.length === 0 && disabled.length === 0;
    ctx.log.debug('checked required secrets', { required: names.length, missing: missing.length, disabled: disabled.length });
    if (!ok && config.fail_on_missing !== false) {
      const kind = ctx.provider.store.kind;
      ctx.diagnostics.addError(summary(missing, disabled), detail(kind, user, names.length, missing, disabled, config.help_message), ['names']);
      return undefined;
    }
    return { id: digestOf(user, names), missing, disabled, ok };
  }
}

function digestOf(user: string, names: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify([user, names])).digest('hex').slice(0, 16);
}

function summary(missing: readonly string[], disabled: readonly string[]): string {
  if (disabled.length === 0) return missing.length === 1 ? 'A required secret is missing' : 'Required secrets are missing';
  if (missing.length === 0) return disabled.length === 1 ? 'A required secret is disabled' : 'Required secrets are disabled';
  return 'Required secrets are missing or disabled';
}

function detail(kind: string, user: string, required: number, missing: readonly string[], disabled: readonly string[], help: string | null): string {
  const owner = user === 'me' ? 'You (user "me") lack' : `User "${user}" lacks`;
  const lines = [`${owner} ${missing.length + disabled.length} of the ${required} secrets this configuration requires:`];
  for (const name of missing) lines.push(`  - ${name}: missing (${createSecretHint(kind, name)})`);
  for (const name of disabled) lines.push(`  - ${name}: disabled (${enableSecretHint(kind, name)})`);
  if (help !== null && help.trim() !== '') lines.push('', help.trim());
  return lines.join('\n');
}
