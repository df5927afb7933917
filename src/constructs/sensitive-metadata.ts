/**
 * `SensitiveMetadata`: a `coder_metadata` resource whose items are `sensitive = true`
 * automatically when their value derives from a secret (a `SecretValue`, a sensitive variable,
 * a sensitive provider attribute, or a local built from one).
 *
 * Honest note: `sensitive` hides the value in the Coder dashboard until someone clicks to reveal
 * it. It is NOT access control: everyone who can see the workspace can reveal it, and the API
 * returns it. Show that a secret is configured (a fingerprint, an expiry), not the secret.
 */
import { Lazy, Token } from 'cdktn';
import { Construct } from 'constructs';
import { Metadata } from './.gen/providers/coder/metadata';
import { ensureGuard } from './guard';
import { secretReasonOf } from './secret-analysis';
import { SecretValue } from './secret-value';

export interface SensitiveMetadataItem {
  /** The item's key (unique within the resource). */
  readonly key: string;
  /** The value: text (basic Markdown), a token, or a `SecretValue` (always sensitive). */
  readonly value: string | SecretValue;
  /**
   * Hide the value in the dashboard. `false` is refused for a value that derives from a secret.
   * @default - true when the value derives from a secret, else false
   */
  readonly sensitive?: boolean;
}

export interface SensitiveMetadataProps {
  /** The `id` of the resource the metadata is shown with (e.g. the workspace container's, or the agent's). */
  readonly resourceId: string;
  /** The items, at least one; keys must be unique. */
  readonly items: readonly SensitiveMetadataItem[];
  /**
   * Icon URL (or a built-in path such as `/icon/key.svg`).
   * @default - no icon
   */
  readonly icon?: string;
  /**
   * Hide the resource in the dashboard.
   * @default false
   */
  readonly hide?: boolean;
  /**
   * (Coder Enterprise) daily cost of the resource, in the smallest currency unit.
   * @default - no cost
   */
  readonly dailyCost?: number;
}

export class SensitiveMetadata extends Construct {
  /** The `coder_metadata` resource. */
  readonly resource: Metadata;

  constructor(scope: Construct, id: string, props: SensitiveMetadataProps) {
    super(scope, id);
    const what = `SensitiveMetadata "${id}"`;
    if (props.items.length === 0) throw new Error(`${what}: items must contain at least one item`);
    const keys = new Set<string>();
    props.items.forEach((item, i) => {
      if (!Token.isUnresolved(item.key)) {
        if (item.key.trim() === '') throw new Error(`${what}: items[${i}].key must not be blank`);
        if (keys.has(item.key))
          throw new Error(
            `${what}: items[${i}].key "${item.key}" is used twice (Coder rejects duplicate metadata keys)`,
          );
        keys.add(item.key);
      }
      if (SecretValue.isSecretValue(item.value) && item.sensitive === false) {
        throw new Error(
          `${what}: items[${i}] ("${item.key}") holds ${item.value.source}; sensitive: false would show it in the dashboard`,
        );
      }
    });
    ensureGuard(this);
    const items = props.items.map((item, i) => {
      if (SecretValue.isSecretValue(item.value)) {
        const value = item.value._bind(this, {
          description: `${what} items[${i}] ("${item.key}")`,
          acceptsEphemeral: false,
          displayed: true,
        });
        return { key: item.key, value, sensitive: true };
      }
      const value = item.value;
      if (item.sensitive !== undefined) {
        if (item.sensitive === false && Token.isUnresolved(value)) {
          // Refuse at synthesis, when the whole stack is known.
          this.node.addValidation({
            validate: () => {
              const why = secretReasonOf(this, value);
              return why === undefined
                ? []
                : [
                    `${what}: items[${i}] ("${item.key}") derives from ${why}; sensitive: false would show it in the dashboard`,
                  ];
            },
          });
        }
        return { key: item.key, value, sensitive: item.sensitive };
      }
      const sensitive = Token.isUnresolved(value)
        ? Lazy.anyValue({ produce: () => secretReasonOf(this, value) !== undefined })
        : false;
      return { key: item.key, value, sensitive };
    });
    this.resource = new Metadata(this, 'Resource', {
      resourceId: props.resourceId,
      item: items,
      ...(props.icon !== undefined ? { icon: props.icon } : {}),
      ...(props.hide !== undefined ? { hide: props.hide } : {}),
      ...(props.dailyCost !== undefined ? { dailyCost: props.dailyCost } : {}),
    });
  }
}
