/**
 * Stored backend credentials (`coffer backend register … --store-credential KEY`), kept encrypted
 * in the embedded store under the reserved owner `@coffer-credentials`.
 *
 * This is the only way to them. Every secret API (the `SecretStore` of each backend, the
 * provider, the CLI's `--user`, the constructs) refuses users starting with "@" through the
 * shared `checkUser` rule, so a template or a `coffer secret` command cannot name this owner;
 * only this class opens a local store that accepts it, and it never hands that store out.
 */
import { AuditedSecretStore, auditSinkFromEnv, defaultActor, type AuditSink } from './audit';
import { LocalSecretStore } from './backends/local';
import { SecretNotFoundError } from './errors';
import { CREDENTIALS_USER, credentialSecretName } from './profiles';
import type { SecretStore } from './secret-store';
import type { SecretText } from './secret-text';

export class CredentialStore {
  readonly #store: SecretStore;

  /** The embedded store in the default Coffer home (from `env`), audited like any other store. */
  constructor(env: NodeJS.ProcessEnv = process.env, sink?: AuditSink) {
    const local = new LocalSecretStore({ env, internalOwner: CREDENTIALS_USER });
    this.#store = new AuditedSecretStore(local, sink ?? auditSinkFromEnv(local.home, env), defaultActor(env));
  }

  /** Whether a credential is stored; reads no value (so no `read_value` audit line). */
  async has(profileName: string, key: string): Promise<boolean> {
    try {
      await this.#store.get(CREDENTIALS_USER, credentialSecretName(profileName, key));
      return true;
    } catch (error) {
      if (error instanceof SecretNotFoundError) return false;
      throw error;
    }
  }

  /** The stored credential, or undefined when none is stored. */
  async read(profileName: string, key: string): Promise<SecretText | undefined> {
    // A metadata look-up first, so an absent credential leaves no failed read in the audit log.
    if (!(await this.has(profileName, key))) return undefined;
    return this.#store.readValue(CREDENTIALS_USER, credentialSecretName(profileName, key));
  }

  /** Stores or replaces a credential. It is kept disabled: it is never delivered to a workspace. */
  async write(profileName: string, key: string, value: SecretText): Promise<void> {
    const name = credentialSecretName(profileName, key);
    if (await this.has(profileName, key)) {
      await this.#store.update(CREDENTIALS_USER, name, { value });
      return;
    }
    await this.#store.create(CREDENTIALS_USER, {
      name,
      value,
      description: `credential "${key}" of backend profile "${profileName}"`,
      enabled: false,
    });
  }

  /** Deletes a stored credential; false when there was none. */
  async remove(profileName: string, key: string): Promise<boolean> {
    if (!(await this.has(profileName, key))) return false;
    await this.#store.delete(CREDENTIALS_USER, credentialSecretName(profileName, key));
    return true;
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
