import { timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret value in memory. It prints, logs, serialises and inspects as `[redacted]`, so a value
 * can only leave the process through an explicit `reveal()` at the one place that needs it
 * (encrypting it, sending it to a backend, writing it into a workspace).
 */
export class SecretText {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The plaintext. Call only where the value is really needed. */
  reveal(): string {
    return this.#value;
  }

  /** Size of the UTF-8 encoding, for limit checks that must not reveal the value. */
  get byteLength(): number {
    return Buffer.byteLength(this.#value, 'utf8');
  }

  /** Constant-time comparison, so callers never need the plaintext to compare. */
  equals(other: SecretText): boolean {
    const a = Buffer.from(this.#value, 'utf8');
    const b = Buffer.from(other.#value, 'utf8');
    if (a.length !== b.length) return false;
    return timingSafeEqual(a, b);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
