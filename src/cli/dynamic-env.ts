/**
 * `coffer run --dynamic PATH:VAR=field[,VAR=field…]`: a credential minted for this run by the
 * Vault/OpenBao backend (e.g. `database/creds/app:PGUSER=username,PGPASSWORD=password`), its
 * lease renewed while the command runs and revoked when it ends. Never printed; field names and
 * lease ids may be.
 */
import { checkLeasePath, dynamicSecretsFor, type DynamicCredential, type DynamicSecrets } from '../client/dynamic-secrets';
import { checkEnvName } from '../client/rules';
import type { SecretStore } from '../client/secret-store';
import type { SecretText } from '../client/secret-text';
import { CliError, EXIT, UsageError } from './errors';
import { warn } from './io';

export interface DynamicEnvSpec {
  readonly path: string;
  /** Environment variable → credential field. */
  readonly fields: readonly { readonly envName: string; readonly field: string }[];
}

export const DYNAMIC_HELP = `  --dynamic PATH:VAR=FIELD[,VAR=FIELD...]
                      Mint a credential at PATH for this run (vault backend: database/creds/app)
                      and put its fields in VARs; the lease is renewed while CMD runs and
                      revoked when it ends (repeatable)`;

/** Parses one `--dynamic` value; the message names the flag and the rule, never a value. */
export function parseDynamicSpec(raw: string, command: string): DynamicEnvSpec {
  const colon = raw.indexOf(':');
  if (colon === -1) throw new UsageError('--dynamic takes PATH:VAR=FIELD[,VAR=FIELD...]', command);
  const path = raw.slice(0, colon);
  const pathProblem = checkLeasePath(path);
  if (pathProblem !== undefined) throw new CliError(EXIT.invalid, `--dynamic ${pathProblem}`);
  const fields = raw
    .slice(colon + 1)
    .split(',')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq <= 0 || eq === pair.length - 1)
        throw new UsageError('--dynamic takes PATH:VAR=FIELD[,VAR=FIELD...] (each pair VAR=FIELD)', command);
      const envName = pair.slice(0, eq);
      const problem = checkEnvName(envName, '--dynamic VAR');
      if (problem !== undefined) throw new CliError(EXIT.invalid, problem.message);
      return { envName, field: pair.slice(eq + 1) };
    });
  return { path, fields };
}

/** Credentials issued for a run: their variables, and the leases to renew and revoke. */
export class DynamicLeases {
  readonly #dynamic: DynamicSecrets;
  readonly #issued: DynamicCredential[] = [];
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(store: SecretStore) {
    this.#dynamic = dynamicSecretsFor(store);
  }

  /** Issues every spec; on any failure the ones already issued are revoked. */
  async issue(specs: readonly DynamicEnvSpec[]): Promise<[string, SecretText][]> {
    const values: [string, SecretText][] = [];
    try {
      for (const spec of specs) {
        const credential = await this.#dynamic.issue(spec.path);
        this.#issued.push(credential);
        for (const { envName, field } of spec.fields) {
          const value = credential.data[field];
          if (value === undefined) {
            throw new CliError(
              EXIT.invalid,
              `--dynamic ${spec.path} has no field "${field}" (fields: ${Object.keys(credential.data).join(', ')})`,
            );
          }
          values.push([envName, value]);
        }
      }
    } catch (error) {
      await this.revokeAll();
      throw error;
    }
    for (const credential of this.#issued) this.#scheduleRenewal(credential.leaseId, credential.leaseDuration, credential.renewable);
    return values;
  }

  #scheduleRenewal(leaseId: string, seconds: number, renewable: boolean): void {
    if (leaseId === '' || !renewable || seconds <= 0) return;
    const timer = setTimeout(() => {
      this.#dynamic.renew(leaseId, seconds).then(
        (info) => this.#scheduleRenewal(leaseId, info.leaseDuration, info.renewable),
        () => warn(`could not renew lease ${leaseId}; the credential expires with its TTL`),
      );
    }, Math.max(1000, (seconds * 1000 * 2) / 3));
    timer.unref();
    this.#timers.push(timer);
  }

  /** Stops renewing and revokes every lease (a failure is a warning: the TTL still ends it). */
  async revokeAll(): Promise<void> {
    for (const timer of this.#timers.splice(0)) clearTimeout(timer);
    for (const credential of this.#issued.splice(0)) {
      if (credential.leaseId === '') continue;
      await this.#dynamic
        .revoke(credential.leaseId)
        .catch(() => warn(`could not revoke lease ${credential.leaseId}; it ends with its TTL`));
    }
  }
}
