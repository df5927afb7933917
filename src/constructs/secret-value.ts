/**
 * `SecretValue`: the only way to hand a secret to a Coffer construct. It records where the
 * value comes from (a sensitive variable, a provider attribute, an ephemeral resource, or — flagged
 * by the guard — plaintext) so constructs can refuse unsafe combinations early and the guard and
 * `SensitiveMetadata` know what derives from a secret.
 */
import {
  Fn,
  TerraformEphemeralResource,
  TerraformVariable,
  Token,
  type TerraformDataSource,
  type TerraformProvider,
  type TerraformResource,
} from 'cdktn';
import type { Construct, IConstruct } from 'constructs';
import { inspect } from 'node:util';
import { EphemeralCofferUserSecret } from './.gen/providers/coffer/ephemeral-coffer-user-secret';
import { checkName } from '../client/rules';
import {
  CofferFeature,
  describeTargets,
  EPHEMERAL_VARIABLES_MIN,
  requireProviderFeature,
  targetsAtLeast,
} from './features';
import { ensureGuard, UNSAFE_PLAINTEXT_METADATA } from './guard';
import { throwIfViolation } from './validate';

/** Where a construct puts a secret. */
export interface SecretSink {
  /** For messages: `UserSecret "npm" value (value_wo)`. */
  readonly description: string;
  /**
   * Whether the attribute takes ephemeral values: write-only attributes, ephemeral resources
   * and provider configuration do; ordinary attributes (stored in state) do not.
   */
  readonly acceptsEphemeral: boolean;
  /** Whether people see the attribute (plan output, dashboards): the value is then wrapped in `sensitive()`. */
  readonly displayed?: boolean;
}

const SECRET_VALUE_SYMBOL = Symbol.for('@cofferhq/coffer.SecretValue');

/** Props of `SecretValue.variable()`. */
export interface SecretVariableProps {
  /**
   * Description of the variable (shown by `tofu plan` when the value is missing).
   * @default - "Secret <id>, passed as TF_VAR_<name>"
   */
  readonly description?: string;
  /**
   * Declare the variable `ephemeral`, so the engine never writes it to plan or state.
   * `true` requires every engine the project targets to support ephemeral variables
   * (Terraform ≥ 1.10, OpenTofu ≥ 1.11) and every consumer to accept ephemeral values
   * (write-only attributes do; `coder_agent.env` and metadata do not).
   * @default - ephemeral when the targets allow it and every consumer accepts it
   */
  readonly ephemeral?: boolean;
}

/** Props of `SecretValue.fromCofferSecret()`. */
export interface CofferSecretReferenceProps {
  /** Name of the user secret to read. */
  readonly name: string;
  /**
   * Owner of the secret: `me`, a username or a user ID.
   * @default "me"
   */
  readonly user?: string;
  /**
   * The `coffer` provider configuration to read with, e.g. an alias on the platform team's
   * Vault/OpenBao store feeding a secret into the Coder backend (docs/coder.md).
   * @default - the stack's default `coffer` provider
   */
  readonly provider?: TerraformProvider;
}

/**
 * A secret for a Coffer construct. Build one with a static factory; pass it to a construct's
 * `value` prop. It cannot be turned into a string by accident (`String(secret)` and
 * `JSON.stringify(secret)` throw); `unsafeUnwrap()` gives the Terraform expression when you
 * must place it yourself.
 */
export abstract class SecretValue {
  /**
   * Declares a sensitive string variable (ephemeral where the engine and the consumers allow)
   * and returns its value. Supply it at run time: `TF_VAR_<id>=… tofu apply`.
   * Create it at stack level, not inside a reusable construct (HashiCorp's guidance).
   */
  static variable(scope: Construct, id: string, props: SecretVariableProps = {}): SecretValue {
    const variable = new SecretVariable(scope, id, props);
    return new VariableSecret(variable, variable);
  }

  /**
   * Uses a variable you declared. It must be `sensitive: true` (else this throws); declare it
   * `ephemeral` too (`variable.addOverride('ephemeral', true)`) when every consumer takes
   * ephemeral values.
   */
  static fromVariable(variable: TerraformVariable): SecretValue {
    if (variable.sensitive !== true) {
      throw new Error(
        `SecretValue.fromVariable: variable "${variable.node.id}" must be declared with sensitive: true (its value would be shown in plans and outputs)`,
      );
    }
    if (variable instanceof SecretVariable) return new VariableSecret(variable, variable);
    return new VariableSecret(variable, undefined);
  }

  /**
   * A secret attribute of a provider's resource or data source (Coder's documented pattern:
   * `data.coder_external_auth.github.access_token`). Where it is shown, the value is wrapped
   * in `sensitive()` even if the provider forgot to mark the attribute sensitive.
   */
  static fromAttribute(element: TerraformResource | TerraformDataSource, attribute: string): SecretValue {
    if (attribute === '' || Token.isUnresolved(attribute))
      throw new Error('SecretValue.fromAttribute: attribute must be a literal attribute name');
    return new AttributeSecret(
      element.getStringAttribute(attribute),
      `${element.terraformResourceType}.${element.friendlyUniqueId}.${attribute}`,
      false,
    );
  }

  /** An attribute of an ephemeral resource: only write-only attributes and other ephemeral blocks accept it. */
  static fromEphemeralAttribute(resource: TerraformEphemeralResource, attribute: string): SecretValue {
    if (attribute === '' || Token.isUnresolved(attribute))
      throw new Error('SecretValue.fromEphemeralAttribute: attribute must be a literal attribute name');
    return new AttributeSecret(
      resource.getStringAttribute(attribute),
      `ephemeral.${resource.terraformResourceType}.${resource.friendlyUniqueId}.${attribute}`,
      true,
    );
  }

  /**
   * A user secret's value read from Coffer for the duration of one run, through the
   * `coffer_user_secret` ephemeral resource: never in plan or state. Uses the provider feature
   * `ephemeral-user-secret` (on unless the project turns it off, see `CofferFeature`).
   */
  static fromCofferSecret(scope: Construct, id: string, props: CofferSecretReferenceProps): SecretValue {
    requireProviderFeature(scope, CofferFeature.EPHEMERAL_USER_SECRET, 'SecretValue.fromCofferSecret');
    if (!Token.isUnresolved(props.name)) throwIfViolation(checkName(props.name), 'SecretValue.fromCofferSecret');
    const resource = new EphemeralCofferUserSecret(scope, id, {
      name: props.name,
      ...(props.user !== undefined ? { user: props.user } : {}),
      ...(props.provider !== undefined ? { provider: props.provider } : {}),
    });
    return new AttributeSecret(resource.value, `ephemeral.coffer_user_secret.${resource.friendlyUniqueId}.value`, true);
  }

  /**
   * A plaintext secret, written verbatim into the synthesized configuration (cdk.tf.json) and
   * whatever stores it. The secret guard reports every use as an error unless its rule
   * `unsafe-plaintext` is lowered for the app; use only for throw-away test values.
   */
  static unsafePlainText(text: string): SecretValue {
    return new PlainTextSecret(text);
  }

  /**
   * A value from an expression another Coffer construct built (e.g. a field of a dynamic secret).
   * @internal
   */
  static _fromExpression(expression: string, source: string, ephemeral: boolean): SecretValue {
    return new AttributeSecret(expression, source, ephemeral);
  }

  static isSecretValue(x: unknown): x is SecretValue {
    return typeof x === 'object' && x !== null && SECRET_VALUE_SYMBOL in x;
  }

  /** What the value is, for messages (never the value): `variable npm_token`. */
  abstract readonly source: string;

  /** True for a value from `unsafePlainText()`. */
  readonly isPlainText: boolean = false;

  constructor() {
    Object.defineProperty(this, SECRET_VALUE_SYMBOL, { value: true });
  }

  /** Whether the value is ephemeral (never stored): then only ephemeral-capable sinks take it. */
  abstract get ephemeral(): boolean;

  /**
   * Gives the value to `consumer` for `sink`; returns what to put in the attribute.
   * Throws when the sink cannot take the value.
   * @internal
   */
  _bind(consumer: IConstruct, sink: SecretSink): string {
    ensureGuard(consumer);
    if (!sink.acceptsEphemeral) this.requireStorable(sink);
    return this.render(consumer, sink);
  }

  /** The Terraform expression (or the plaintext), for places no construct covers. You handle its sensitivity. */
  unsafeUnwrap(): string {
    return this.render(undefined, { description: 'unsafeUnwrap()', acceptsEphemeral: true });
  }

  toString(): string {
    throw new Error(
      `${this.source}: a SecretValue cannot be converted to a string; pass it to a Coffer construct, or call unsafeUnwrap()`,
    );
  }

  toJSON(): never {
    throw new Error(`${this.source}: a SecretValue cannot be serialized`);
  }

  [inspect.custom](): string {
    return `SecretValue(${this.source})`;
  }

  protected requireStorable(sink: SecretSink): void {
    if (this.ephemeral) {
      throw new Error(
        `${sink.description} cannot take ${this.source}: it is ephemeral, and this attribute is stored in state. ` +
          'Ephemeral values only go into write-only attributes, ephemeral resources and provider configuration',
      );
    }
  }

  protected abstract render(consumer: IConstruct | undefined, sink: SecretSink): string;
}

/**
 * A sensitive string variable whose `ephemeral` flag is decided at synthesis: ephemeral when
 * the project's targets allow it and every consumer accepts ephemeral values.
 */
export class SecretVariable extends TerraformVariable {
  private readonly requested: boolean | undefined;
  private readonly storedBy: string[] = [];

  constructor(scope: Construct, id: string, props: SecretVariableProps = {}) {
    super(scope, id, {
      type: 'string',
      sensitive: true,
      nullable: false,
      description: props.description ?? `Secret ${id}, passed as TF_VAR_${id}`,
    });
    this.requested = props.ephemeral;
    if (props.ephemeral === true && !targetsAtLeast(this, EPHEMERAL_VARIABLES_MIN)) {
      throw new Error(
        `SecretValue.variable("${id}"): ephemeral: true needs terraform >= 1.10 and opentofu >= 1.11, but the project targets ${describeTargets(this)} (cdktf.json targetVersions)`,
      );
    }
  }

  /** True when the variable is synthesized with `ephemeral = true`. */
  get ephemeral(): boolean {
    if (this.requested === false || this.storedBy.length > 0) return false;
    return this.requested === true || targetsAtLeast(this, EPHEMERAL_VARIABLES_MIN);
  }

  /** @internal */
  _consumedBy(sink: SecretSink): void {
    if (sink.acceptsEphemeral) return;
    if (this.requested === true) {
      throw new Error(
        `${sink.description} cannot take variable ${this.node.id}: it was declared ephemeral (ephemeral: true), and this attribute is stored in state. ` +
          'Declare the variable with ephemeral: false, or use it only in write-only attributes',
      );
    }
    this.storedBy.push(sink.description);
  }

  override synthesizeAttributes(): { [key: string]: unknown } {
    return { ...super.synthesizeAttributes(), ...(this.ephemeral ? { ephemeral: true } : {}) };
  }

  override synthesizeHclAttributes(): { [key: string]: unknown } {
    return {
      ...super.synthesizeHclAttributes(),
      ...(this.ephemeral
        ? { ephemeral: { value: true, isBlock: false, type: 'simple', storageClassType: 'boolean' } }
        : {}),
    };
  }
}

class VariableSecret extends SecretValue {
  readonly source: string;

  constructor(
    private readonly variable: TerraformVariable,
    private readonly managed: SecretVariable | undefined,
  ) {
    super();
    this.source = `variable ${variable.node.id}`;
  }

  get ephemeral(): boolean {
    if (this.managed) return this.managed.ephemeral;
    const synthesized = (this.variable.toTerraform() as { variable: Record<string, { ephemeral?: unknown }> }).variable[
      this.variable.friendlyUniqueId
    ];
    return synthesized?.ephemeral === true;
  }

  override _bind(consumer: IConstruct, sink: SecretSink): string {
    ensureGuard(consumer);
    if (this.managed) this.managed._consumedBy(sink);
    else if (!sink.acceptsEphemeral) this.requireStorable(sink);
    return this.render();
  }

  protected render(): string {
    return this.variable.stringValue;
  }
}

class AttributeSecret extends SecretValue {
  constructor(
    private readonly expression: string,
    readonly source: string,
    private readonly isEphemeral: boolean,
  ) {
    super();
  }

  get ephemeral(): boolean {
    return this.isEphemeral;
  }

  protected render(_consumer: IConstruct | undefined, sink: SecretSink): string {
    return sink.displayed ? Fn.sensitive(this.expression) : this.expression;
  }
}

class PlainTextSecret extends SecretValue {
  readonly source = 'SecretValue.unsafePlainText()';
  override readonly isPlainText = true;

  constructor(private readonly text: string) {
    super();
    if (typeof text !== 'string' || text === '')
      throw new Error('SecretValue.unsafePlainText: text must be a non-empty string');
  }

  get ephemeral(): boolean {
    return false;
  }

  protected render(consumer: IConstruct | undefined, sink: SecretSink): string {
    consumer?.node.addMetadata(UNSAFE_PLAINTEXT_METADATA, sink.description);
    return this.text;
  }
}
