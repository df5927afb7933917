/**
 * Turning shared rule violations into the client's typed errors, the same way in every backend.
 */
import { SecretValidationError } from './errors';
import { checkValue, type RuleViolation } from './rules';
import { SecretText } from './secret-text';

/** Throws a `SecretValidationError` on the violation's field; `prefix` locates it (e.g. a batch item). */
export function throwIfViolated(violation: RuleViolation | undefined, prefix = ''): void {
  if (violation !== undefined) throw new SecretValidationError(violation.field, `${prefix}${violation.message}`);
}

/**
 * A value handed to a backend must be a `SecretText` (so it cannot be printed by accident) and
 * follow the value rules. Nothing here quotes the value.
 */
export function assertSecretValue(value: unknown, prefix = ''): asserts value is SecretText {
  if (!(value instanceof SecretText)) throw new SecretValidationError('value', `${prefix}value must be a SecretText`);
  throwIfViolated(checkValue(value.reveal()), prefix);
}
