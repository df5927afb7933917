/**
 * Which expressions derive from a secret. A reference is secret when it names:
 * - a variable that is `sensitive`, `ephemeral`, or named like a secret;
 * - a local whose value derives from a secret (followed through other locals);
 * - an attribute a provider marks sensitive or write-only (the committed schemas, plus a short
 *   list for common providers we have no schema for), or an attribute named like a secret;
 * - anything of an ephemeral resource (`ephemeral.…`);
 * and any call of `sensitive(…)`. `nonsensitive(x)` does not launder `x`: it is the usual way a
 * secret is forced into an output.
 */
import type { Expr, TraversalExpr } from './expr';
import { walkExpr } from './expr';
import { isSecretName } from './detect';
import type { ModuleModel } from './model';
import { SCHEMA_SENSITIVE_ATTRIBUTES, SCHEMA_WRITE_ONLY_ATTRIBUTES } from './sensitive-attributes.generated';

type Kind = 'resource' | 'data' | 'ephemeral';

/** Sensitive attributes of popular providers whose schemas are not committed here. */
export const KNOWN_SENSITIVE_ATTRIBUTES: Readonly<Record<Kind, Readonly<Record<string, readonly string[]>>>> = {
  resource: {
    random_password: ['result', 'bcrypt_hash'],
    tls_private_key: ['private_key_pem', 'private_key_openssh', 'private_key_pem_pkcs8'],
    tls_self_signed_cert: ['private_key_pem'],
    vault_generic_secret: ['data', 'data_json'],
    vault_kv_secret_v2: ['data', 'data_json'],
    vault_kv_secret: ['data', 'data_json'],
    vault_token: ['client_token', 'wrapped_token'],
    vault_approle_auth_backend_role_secret_id: ['secret_id', 'wrapping_token'],
    vault_database_secret_backend_connection: ['data'],
    aws_iam_access_key: ['secret', 'ses_smtp_password_v4', 'encrypted_secret'],
    aws_db_instance: ['password'],
    aws_rds_cluster: ['master_password'],
    google_service_account_key: ['private_key'],
    kubernetes_secret: ['data', 'binary_data'],
    kubernetes_secret_v1: ['data', 'binary_data'],
    github_actions_secret: ['plaintext_value', 'encrypted_value'],
    azurerm_storage_account: [
      'primary_access_key',
      'secondary_access_key',
      'primary_connection_string',
      'secondary_connection_string',
    ],
  },
  data: {
    vault_generic_secret: ['data', 'data_json'],
    vault_kv_secret_v2: ['data', 'data_json'],
    vault_kv_secret: ['data', 'data_json'],
    vault_aws_access_credentials: ['secret_key', 'security_token'],
    aws_secretsmanager_secret_version: ['secret_string', 'secret_binary'],
    aws_ssm_parameter: ['value'],
    google_secret_manager_secret_version: ['secret_data'],
    azurerm_key_vault_secret: ['value'],
    kubernetes_secret: ['data', 'binary_data'],
    kubernetes_secret_v1: ['data', 'binary_data'],
  },
  ephemeral: {},
};

/** Readable sensitive attributes (write-only ones always read as null, so they derive nothing). */
function sensitiveAttributes(kind: Kind, type: string): readonly string[] {
  return [...(SCHEMA_SENSITIVE_ATTRIBUTES[kind][type] ?? []), ...(KNOWN_SENSITIVE_ATTRIBUTES[kind][type] ?? [])];
}

const NOT_RESOURCES = new Set([
  'var',
  'local',
  'data',
  'ephemeral',
  'module',
  'count',
  'each',
  'self',
  'path',
  'terraform',
]);

export class SecretSources {
  private readonly variables = new Map<string, { sensitive: boolean; ephemeral: boolean }>();
  private readonly locals = new Map<string, Expr>();
  private readonly localVerdicts = new Map<string, string | null>();

  constructor(model: ModuleModel) {
    for (const v of model.variables) this.variables.set(v.name, { sensitive: v.sensitive, ephemeral: v.ephemeral });
    for (const l of model.locals) this.locals.set(l.name, l.value);
  }

  /** Why `expr` derives from a secret (e.g. `var.github_token (sensitive)`), or undefined. */
  secretReason(expr: Expr): string | undefined {
    let reason: string | undefined;
    walkExpr(expr, (e) => {
      if (reason !== undefined) return;
      if (e.kind === 'call' && e.name === 'sensitive') reason = 'a value wrapped in sensitive()';
      else if (e.kind === 'traversal') reason = this.traversalReason(e);
    });
    return reason;
  }

  /** True when `expr` contains `nonsensitive(…)` around a secret. */
  declassifies(expr: Expr): boolean {
    let found = false;
    walkExpr(expr, (e) => {
      if (
        !found &&
        e.kind === 'call' &&
        e.name === 'nonsensitive' &&
        e.args.some((a) => this.secretReason(a) !== undefined)
      )
        found = true;
    });
    return found;
  }

  private traversalReason(t: TraversalExpr): string | undefined {
    const attrs = t.steps.map((s) => ('attr' in s ? s.attr : undefined));
    const name = attrs[0];
    if (t.root === 'var' && name !== undefined) {
      const v = this.variables.get(name);
      if (v?.sensitive) return `var.${name} (sensitive)`;
      if (v?.ephemeral) return `var.${name} (ephemeral)`;
      if (isSecretName(name)) return `var.${name} (named like a secret)`;
      return undefined;
    }
    if (t.root === 'local' && name !== undefined) {
      const why = this.localReason(name);
      return why === undefined ? undefined : `local.${name} (from ${why})`;
    }
    if (t.root === 'ephemeral' && attrs[0] !== undefined && attrs[1] !== undefined) {
      return `ephemeral.${attrs[0]}.${attrs[1]} (ephemeral resource)`;
    }
    if (t.root === 'data' && attrs[0] !== undefined && attrs[1] !== undefined) {
      return this.attributeReason('data', attrs[0], attrs.slice(2), `data.${attrs[0]}.${attrs[1]}`);
    }
    if (!NOT_RESOURCES.has(t.root) && name !== undefined) {
      return this.attributeReason('resource', t.root, attrs.slice(1), `${t.root}.${name}`);
    }
    return undefined;
  }

  private attributeReason(
    kind: Kind,
    type: string,
    rest: readonly (string | undefined)[],
    address: string,
  ): string | undefined {
    const path = rest.filter((a): a is string => a !== undefined);
    const known = sensitiveAttributes(kind, type);
    // A whole-object reference (`for s in [coffer_user_secret.a] : s.name`) is not judged here:
    // which attributes it reaches is not known, and the engine itself refuses outputs that show
    // attributes its schema marks sensitive.
    if (path.length === 0) return undefined;
    const dotted = path.join('.');
    const hit = known.find((k) => dotted === k || dotted.startsWith(`${k}.`));
    if (hit !== undefined) return `${address}.${hit} (sensitive attribute)`;
    const named = path.find((p) => isSecretName(p));
    if (named !== undefined) return `${address}.${dotted} (named like a secret)`;
    return undefined;
  }

  private localReason(name: string): string | undefined {
    if (this.localVerdicts.has(name)) return this.localVerdicts.get(name) ?? undefined;
    this.localVerdicts.set(name, null); // cycle guard
    const value = this.locals.get(name);
    const why = value === undefined ? undefined : this.secretReason(value);
    this.localVerdicts.set(name, why ?? null);
    return why;
  }
}

/** Whether `attribute` (top-level or `block.attr`) of a block type is sensitive or write-only per schema. */
export function isSensitiveAttribute(kind: Kind, type: string, attributePath: string): boolean {
  return (
    sensitiveAttributes(kind, type).includes(attributePath) ||
    (SCHEMA_WRITE_ONLY_ATTRIBUTES[kind][type] ?? []).includes(attributePath)
  );
}
