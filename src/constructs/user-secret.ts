/**
 * `UserSecret`: one `coffer_user_secret` — a secret value plus where workspaces receive it (an
 * environment variable and/or a file). The value goes into the write-only `value_wo`: never
 * stored in plan or state. Bump `valueVersion` to write a new value (rotation).
 */
import { Token, type TerraformProvider } from 'cdktn';
import { Construct, type IConstruct } from 'constructs';
import { UserSecret as CofferUserSecret } from './.gen/providers/coffer/user-secret';
import { checkEnabledHasTarget, checkEnvName, checkFilePath, checkName, checkUser } from '../client/rules';
import { describeTargets, targetsAtLeast, WRITE_ONLY_MIN } from './features';
import type { SecretValue } from './secret-value';
import { checkProp, throwIfViolation } from './validate';

/** A user secret another construct can refer to (e.g. `SecretCheck`). */
export interface IUserSecret extends IConstruct {
  /** The secret's name in the store. */
  readonly secretName: string;
  /** The owner (`me`, a username or a user ID). */
  readonly user: string;
}

export interface UserSecretProps {
  /**
   * Name of the secret, unique per user: not blank, no surrounding whitespace, no `/`, `?` or
   * `#`, at most 255 characters. Changing it replaces the secret.
   */
  readonly name: string;

  /** The value. Written write-only (`value_wo`): never in plan or state. */
  readonly value: SecretValue;

  /**
   * Any string; change it to write the current value again (rotation). The engine never
   * stores `value`, so a changed value alone is not detected.
   * @default "1"
   */
  readonly valueVersion?: string;

  /**
   * Environment variable workspaces receive the value in (POSIX name; not `PATH`, `HOME`, …,
   * nor starting with `CODER_`, `GIT_`, `LC_`, `LD_`, `DYLD_`).
   * @default - not delivered as an environment variable
   */
  readonly envName?: string;

  /**
   * File workspaces receive the value in; starts with `~/` or `/`.
   * @default - not delivered as a file
   */
  readonly filePath?: string;

  /**
   * Free-text description.
   * @default - no description
   */
  readonly description?: string;

  /**
   * Whether workspaces receive the secret. An enabled secret needs `envName` or `filePath`.
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * Owner: `me` (whoever the provider authenticates as), a username or a user ID. Changing it
   * replaces the secret.
   * @default "me"
   */
  readonly user?: string;

  /**
   * The `coffer` provider configuration to use.
   * @default - the stack's default `coffer` provider
   */
  readonly provider?: TerraformProvider;

  /**
   * What destroying the resource does to the secret: `retain` leaves it for the owner (a per-user
   * secret that several Coder workspaces share), `delete` removes it (docs/coder.md).
   * @default - `retain` inside a Coder workspace build, `delete` elsewhere
   */
  readonly onDestroy?: 'retain' | 'delete';
}

/** A user secret with its delivery targets. */
export class UserSecret extends Construct implements IUserSecret {
  readonly secretName: string;
  readonly user: string;
  /** The `coffer_user_secret` resource. */
  readonly resource: CofferUserSecret;

  constructor(scope: Construct, id: string, props: UserSecretProps) {
    super(scope, id);
    const what = `UserSecret "${id}"`;
    checkProp(props.name, checkName, 'name', what);
    checkProp(props.user, checkUser, 'user', what);
    checkProp(props.envName, checkEnvName, 'envName', what);
    checkProp(props.filePath, checkFilePath, 'filePath', what);
    if (
      props.valueVersion !== undefined &&
      !Token.isUnresolved(props.valueVersion) &&
      props.valueVersion.trim() === ''
    ) {
      throw new Error(`${what}: valueVersion must not be blank (use any string, e.g. a date or a counter)`);
    }
    const enabled = props.enabled ?? true;
    const targetsKnown = ![props.envName, props.filePath].some((v) => v !== undefined && Token.isUnresolved(v));
    if (targetsKnown) {
      const problem = checkEnabledHasTarget(enabled, props.envName ?? '', props.filePath ?? '');
      if (problem)
        throwIfViolation(
          {
            field: 'envName',
            message:
              'an enabled secret needs envName or filePath (set enabled: false to keep it without delivering it)',
          },
          what,
        );
    }
    if (!targetsAtLeast(this, WRITE_ONLY_MIN)) {
      throw new Error(
        `${what}: the value is written write-only (value_wo), which needs terraform >= 1.11 and opentofu >= 1.11, but the project targets ${describeTargets(this)}; raise targetVersions in cdktf.json`,
      );
    }
    this.secretName = props.name;
    this.user = props.user ?? 'me';
    const valueWo = props.value._bind(this, { description: `${what} value (value_wo)`, acceptsEphemeral: true });
    this.resource = new CofferUserSecret(this, 'Resource', {
      name: props.name,
      valueWo,
      valueWoVersion: props.valueVersion ?? '1',
      ...(props.user !== undefined ? { user: props.user } : {}),
      ...(props.envName !== undefined ? { envName: props.envName } : {}),
      ...(props.filePath !== undefined ? { filePath: props.filePath } : {}),
      ...(props.description !== undefined ? { description: props.description } : {}),
      ...(props.enabled !== undefined ? { enabled: props.enabled } : {}),
      ...(props.provider !== undefined ? { provider: props.provider } : {}),
      ...(props.onDestroy !== undefined ? { onDestroy: props.onDestroy } : {}),
    });
  }

  /** The backend's ID of the secret (known after apply). */
  get secretId(): string {
    return this.resource.id;
  }
}
