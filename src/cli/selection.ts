/** Which secrets `coffer run` and `coffer materialize` deliver: the defaults plus the named ones. */
import { checkBatchDuplicates } from '../client/batch-rules';
import {
  checkEnvName,
  checkFileMode,
  checkFileOwner,
  checkFilePath,
  checkName,
  checkValue,
  type RuleViolation,
} from '../client/rules';
import type { SecretMetadata } from '../client/secret-store';
import type { SecretText } from '../client/secret-text';
import { CliError, EXIT } from './errors';

export interface DeliverySelection {
  /** `--secret NAME`, repeatable. */
  readonly named: readonly string[];
  /** False with `--no-defaults`. */
  readonly defaults: boolean;
  /** The target the command delivers to. */
  readonly target: 'env' | 'file';
}

/**
 * Enabled default secrets that have the target, plus every named secret. A named secret that is
 * missing, disabled or lacks the target is an error (all such names in one message).
 */
export function selectForDelivery(all: readonly SecretMetadata[], selection: DeliverySelection): SecretMetadata[] {
  const hasTarget = (s: SecretMetadata): boolean => (selection.target === 'env' ? s.envName !== '' : s.filePath !== '');
  const byName = new Map(all.map((s) => [s.name, s]));
  const chosen = new Map<string, SecretMetadata>();
  if (selection.defaults) for (const s of all) if (s.isDefault && s.enabled && hasTarget(s)) chosen.set(s.name, s);
  const missing: string[] = [];
  const disabled: string[] = [];
  const untargeted: string[] = [];
  for (const name of selection.named) {
    const s = byName.get(name);
    if (s === undefined) missing.push(name);
    else if (!s.enabled) disabled.push(name);
    else if (!hasTarget(s)) untargeted.push(name);
    else chosen.set(name, s);
  }
  if (missing.length > 0)
    throw new CliError(EXIT.notFound, `no such secret${missing.length === 1 ? '' : 's'}: ${missing.join(', ')}`);
  if (disabled.length > 0) {
    throw new CliError(
      EXIT.invalid,
      `disabled secret${disabled.length === 1 ? '' : 's'} not delivered: ${disabled.join(', ')} (enable with "coffer secret update NAME --enabled")`,
    );
  }
  if (untargeted.length > 0) {
    throw new CliError(
      EXIT.invalid,
      selection.target === 'env'
        ? `secret${untargeted.length === 1 ? '' : 's'} without an env name cannot be injected by "coffer run": ${untargeted.join(', ')} (set one with "coffer secret update NAME --env VAR"; file secrets are written by "coffer materialize")`
        : `secret${untargeted.length === 1 ? '' : 's'} without a file path cannot be written by "coffer materialize": ${untargeted.join(', ')} (set one with "coffer secret update NAME --file PATH")`,
    );
  }
  const sorted = [...chosen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  checkDeliverable(sorted, selection.target);
  return sorted;
}

/**
 * Re-checks what the backend returned with the rules `create` applies. A backend edited behind
 * Coffer's back (Vault metadata, Coder's API, a re-checksummed journal line) could otherwise
 * deliver `LD_PRELOAD`, `PATH` or a path with `..`: the whole delivery is refused, naming the
 * secret, before any value is read or any file written.
 */
export function checkDeliverable(secrets: readonly SecretMetadata[], target: 'env' | 'file'): void {
  for (const s of secrets) {
    const problem: RuleViolation | undefined =
      checkName(s.name) ??
      (target === 'env'
        ? checkEnvName(s.envName)
        : (checkFilePath(s.filePath) ??
          checkFileOwner(s.fileOwner ?? '') ??
          (s.fileMode === undefined ? undefined : checkFileMode(s.fileMode))));
    if (problem !== undefined) refuse(s.name, problem);
  }
  try {
    checkBatchDuplicates(
      secrets.map((s) => ({ name: s.name, envName: target === 'env' ? s.envName : '', filePath: target === 'file' ? s.filePath : '' })),
      (_i, name) => `secret "${name}": `,
    );
  } catch (error) {
    throw new CliError(EXIT.invalid, `${(error as Error).message} in the backend; nothing was delivered`);
  }
}

/** A value read for delivery follows the value rules too (a NUL byte cannot go into an environment). */
export function checkDeliverableValue(name: string, value: SecretText): void {
  const problem = checkValue(value.reveal());
  if (problem !== undefined) refuse(name, problem);
}

function refuse(name: string, problem: RuleViolation): never {
  throw new CliError(
    EXIT.invalid,
    `secret "${name}" as stored in the backend breaks a rule, so nothing was delivered: ${problem.message} ` +
      `(fix it with "coffer secret update" or delete it)`,
  );
}
