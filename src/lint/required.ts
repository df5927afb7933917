/**
 * The secrets a synthesized configuration requires (declared with `SecretCheck`), read from
 * `cdk.tf.json`: the `coffer_secret_check` data sources and, while the provider lacks that data
 * source, the `coffer_required_secrets_*` manifest locals. Pipelines run
 * `coffer secret check NAME...` on them before planning.
 */

export interface RequiredSecrets {
  readonly user: string;
  readonly names: readonly string[];
}

/** Prefix of the manifest locals `SecretCheck` writes. */
export const REQUIRED_SECRETS_LOCAL_PREFIX = 'coffer_required_secrets_';

function objects(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value))
    return value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null);
  return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function requiredSecrets(doc: unknown): RequiredSecrets[] {
  const out: RequiredSecrets[] = [];
  for (const root of objects(doc)) {
    for (const data of objects(root.data)) {
      for (const checks of objects(data.coffer_secret_check)) {
        for (const body of Object.values(checks).flatMap(objects)) {
          out.push({ user: typeof body.user === 'string' ? body.user : 'me', names: stringList(body.names) });
        }
      }
    }
    for (const locals of objects(root.locals)) {
      for (const [name, value] of Object.entries(locals)) {
        if (!name.startsWith(REQUIRED_SECRETS_LOCAL_PREFIX)) continue;
        const body = objects(value)[0];
        if (body) out.push({ user: typeof body.user === 'string' ? body.user : 'me', names: stringList(body.names) });
      }
    }
  }
  return out;
}
