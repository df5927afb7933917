/**
 * `SecretCheck`: declares the secrets a template requires its users to have (created by them
 * with `coffer secret create`, not by the template), so a plan fails early with the whole list
 * of what is missing instead of a workspace starting without them.
 *
 * It synthesizes the `coffer_secret_check` data source, which fails the plan listing every
 * missing or disabled secret. Only for a project whose older provider lacks that data source
 * (the `secret-check` feature turned off in the `@cofferhq/coffer:providerFeatures` context) it
 * synthesizes a manifest instead: a local named `coffer_required_secrets_<hash>` that pipelines
 * read before planning (`requiredSecrets(cdk.tf.json)` from src/lint, then `coffer secret check NAME...`).
 */
import { TerraformLocal, Token, type TerraformProvider } from 'cdktn';
import { Construct } from 'constructs';
import { DataCofferSecretCheck } from './.gen/providers/coffer/data-coffer-secret-check';
import { checkName, checkUser } from '../client/rules';
import { CofferFeature, providerFeatureEnabled } from './features';
import { ensureGuard } from './guard';
import type { IUserSecret } from './user-secret';
import { checkProp } from './validate';
import { REQUIRED_SECRETS_LOCAL_PREFIX } from '../lint/required';

export interface SecretCheckProps {
  /** The secrets the template requires: names, or `UserSecret`s declared elsewhere. At least one; no duplicates. */
  readonly secrets: ReadonlyArray<string | IUserSecret>;

  /**
   * Whose secrets: `me`, a username or a user ID (in a Coder template, the workspace owner).
   * @default "me"
   */
  readonly user?: string;

  /**
   * Fail the plan when a secret is missing or disabled. With `false`, read `missing` instead.
   * Applies to the data source only.
   * @default true
   */
  readonly failOnMissing?: boolean;

  /**
   * The `coffer` provider configuration to use (data source only).
   * @default - the stack's default `coffer` provider
   */
  readonly provider?: TerraformProvider;
}

/** How a `SecretCheck` was synthesized. */
export enum SecretCheckMode {
  /** The `coffer_secret_check` data source: the plan fails listing what is missing. */
  DATA_SOURCE = 'data-source',
  /**
   * A manifest local only, for a provider without the data source (feature `secret-check` turned
   * off); a pipeline runs `coffer secret check` on it before planning.
   */
  MANIFEST = 'manifest',
}

export class SecretCheck extends Construct {
  /** The required secret names, in the order given. */
  readonly names: readonly string[];
  readonly user: string;
  readonly mode: SecretCheckMode;
  /** The data source (mode `DATA_SOURCE`) or the manifest local (mode `MANIFEST`). */
  readonly resource: DataCofferSecretCheck | TerraformLocal;

  constructor(scope: Construct, id: string, props: SecretCheckProps) {
    super(scope, id);
    const what = `SecretCheck "${id}"`;
    const names = props.secrets.map((s) => (typeof s === 'string' ? s : s.secretName));
    if (names.length === 0) throw new Error(`${what}: secrets must name at least one secret`);
    names.forEach((name, i) => checkProp(name, checkName, `secrets[${i}]`, what));
    const literalNames = names.filter((n) => !Token.isUnresolved(n));
    const duplicate = literalNames.find((n, i) => literalNames.indexOf(n) !== i);
    if (duplicate !== undefined) throw new Error(`${what}: secrets lists "${duplicate}" twice`);
    checkProp(props.user, checkUser, 'user', what);
    ensureGuard(this);
    this.names = names;
    this.user = props.user ?? 'me';

    if (providerFeatureEnabled(this, CofferFeature.SECRET_CHECK)) {
      this.mode = SecretCheckMode.DATA_SOURCE;
      this.resource = new DataCofferSecretCheck(this, 'Resource', {
        names,
        ...(props.user !== undefined ? { user: props.user } : {}),
        ...(props.failOnMissing !== undefined ? { failOnMissing: props.failOnMissing } : {}),
        ...(props.provider !== undefined ? { provider: props.provider } : {}),
      });
    } else {
      this.mode = SecretCheckMode.MANIFEST;
      const local = new TerraformLocal(this, 'Resource', { user: this.user, names });
      local.overrideLogicalId(`${REQUIRED_SECRETS_LOCAL_PREFIX}${this.node.addr.slice(0, 10)}`);
      this.resource = local;
    }
  }
}
