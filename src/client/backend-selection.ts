/**
 * Which backend to use: the one precedence the CLI and the provider share.
 *
 *   1. the front end's own setting: the CLI's `--backend`, the provider's `profile` then `backend`;
 *   2. the environment: `COFFER_PROFILE` (a profile name), then `COFFER_BACKEND` (a profile name
 *      or a backend kind);
 *   3. the config file's `current` profile;
 *   4. the embedded store (`local`).
 *
 * A value names a registered profile when one has that name; otherwise a backend kind (`local`,
 * `vault`, `coder`) means that kind configured from the environment alone (no profile). Errors
 * name where the value came from, so `COFFER_BACKEND=nope` is blamed on COFFER_BACKEND and a
 * global `--backend nope` on --backend.
 */
import { SecretStoreError } from './errors';
import { BACKEND_KINDS, BUILTIN_LOCAL, type BackendKind, type BackendProfile, type CofferConfig } from './profiles';

export type SelectionSource = 'flag' | 'env' | 'config' | 'default';

/** One explicit choice from a front end: a flag or an attribute. */
export interface BackendChoice {
  readonly value: string | undefined;
  /** How the user spells the setting, for messages: `--backend`, `the provider's "profile"`. */
  readonly from: string;
  /** True when the value must name a registered profile (a kind is not enough). */
  readonly profileOnly?: boolean;
}

export interface BackendSelection {
  /** The profile name; for a kind without a profile, the kind. */
  readonly name: string;
  readonly profile: BackendProfile;
  /** Where the choice came from (level of the precedence). */
  readonly source: SelectionSource;
  /** The setting that chose it, as the user spells it: `--backend`, `COFFER_BACKEND`, `current`, `default`. */
  readonly from: string;
  /** True for a backend kind used without a registered profile (settings from the environment). */
  readonly builtin: boolean;
}

const isKind = (value: string): value is BackendKind => (BACKEND_KINDS as readonly string[]).includes(value);

/**
 * Picks the backend without opening it. `choices` are the front end's settings, highest first
 * (a string is the CLI's `--backend`). Throws `not_found` naming the setting for an unknown name.
 */
export function selectBackend(
  choices: string | readonly BackendChoice[] | undefined,
  env: NodeJS.ProcessEnv,
  config: CofferConfig,
): BackendSelection {
  const explicit: readonly BackendChoice[] =
    typeof choices === 'string' ? [{ value: choices, from: '--backend' }] : (choices ?? []);
  const ordered: [BackendChoice, SelectionSource][] = [
    ...explicit.map((c): [BackendChoice, SelectionSource] => [c, 'flag']),
    [{ value: env.COFFER_PROFILE, from: 'COFFER_PROFILE', profileOnly: true }, 'env'],
    [{ value: env.COFFER_BACKEND, from: 'COFFER_BACKEND' }, 'env'],
    [{ value: config.current, from: 'current', profileOnly: true }, 'config'],
  ];
  for (const [choice, source] of ordered) {
    if (choice.value === undefined || choice.value === '') continue;
    return resolveChoice(choice.value, choice, source, config);
  }
  return { name: BUILTIN_LOCAL, profile: { kind: 'local' }, source: 'default', from: 'default', builtin: true };
}

function resolveChoice(name: string, choice: BackendChoice, source: SelectionSource, config: CofferConfig): BackendSelection {
  const profile = config.backends[name];
  if (profile !== undefined) return { name, profile, source, from: choice.from, builtin: false };
  if (name === BUILTIN_LOCAL || (!choice.profileOnly && isKind(name))) {
    return { name, profile: { kind: name as BackendKind }, source, from: choice.from, builtin: true };
  }
  const via = choice.from === 'current' ? 'the config\'s "current"' : choice.from;
  const expected = choice.profileOnly
    ? 'is not a registered profile'
    : `is neither a registered profile nor a backend kind (${BACKEND_KINDS.join(', ')})`;
  throw new SecretStoreError('not_found', `backend "${name}" (from ${via}) ${expected}: see "coffer backend list"`, {
    field: 'backend',
  });
}
