/** Which secrets `coffer run` and `coffer materialize` deliver: the defaults plus the named ones. */
import type { SecretMetadata } from '../client/secret-store';
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
  return [...chosen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
