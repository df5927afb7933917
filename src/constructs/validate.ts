/** Early validation helpers shared by the constructs: messages name the construct and the prop. */
import { Token } from 'cdktn';
import type { RuleViolation } from '../client/rules';

/** Throws `<what>: <rule message>` when `violation` is set. */
export function throwIfViolation(violation: RuleViolation | undefined, what: string): void {
  if (violation !== undefined) throw new Error(`${what}: ${violation.message}`);
}

/** Runs a shared rule on a prop unless the value is a token (known only at plan time). */
export function checkProp(
  value: string | undefined,
  check: (value: string, field: string) => RuleViolation | undefined,
  prop: string,
  what: string,
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  throwIfViolation(check(value, prop), what);
}
