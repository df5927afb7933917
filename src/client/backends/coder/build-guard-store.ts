import type { CreateSecretInput, SecretMetadata, SecretStore, StoreCapabilities, UpdateSecretInput } from '../../secret-store';
import type { SecretText } from '../../secret-text';
import { NoBuildCredentialError, PLACEHOLDER_OWNER, isPlaceholderOwner, type CoderBuildContext } from './build-context';

const CODER_CAPABILITIES: StoreCapabilities = Object.freeze({
  fileOwnerAndMode: false,
  defaults: false,
  valueVersion: false,
  readValue: false,
});

/**
 * The Coder backend inside a workspace build. Calls that cannot be made in this build fail with
 * `NoBuildCredentialError` before anything is sent:
 * - every call, when the build carries no owner token (template import, preview, stop, delete);
 * - calls for the placeholder owner `default` of a build that has no owner.
 * Everything else goes to `inner` unchanged.
 */
export class CoderBuildGuardStore implements SecretStore {
  readonly kind = 'coder';

  constructor(
    private readonly build: CoderBuildContext,
    /** The store on the owner's token; undefined when the build has no token. */
    private readonly inner: SecretStore | undefined,
  ) {}

  get capabilities(): StoreCapabilities {
    return this.inner?.capabilities ?? CODER_CAPABILITIES;
  }

  #target(user: string): SecretStore {
    if (this.inner === undefined) {
      throw new NoBuildCredentialError(this.build.phase, 'Coder gives terraform no owner session token in this build');
    }
    if (isPlaceholderOwner(user, this.build)) {
      throw new NoBuildCredentialError(
        this.build.phase,
        `the owner "${PLACEHOLDER_OWNER}" is the coder provider's placeholder: this build has no workspace owner`,
      );
    }
    return this.inner;
  }

  create(user: string, input: CreateSecretInput): Promise<SecretMetadata> {
    return this.#call(user, (s) => s.create(user, input));
  }

  update(user: string, name: string, patch: UpdateSecretInput): Promise<SecretMetadata> {
    return this.#call(user, (s) => s.update(user, name, patch));
  }

  get(user: string, name: string): Promise<SecretMetadata> {
    return this.#call(user, (s) => s.get(user, name));
  }

  list(user: string): Promise<SecretMetadata[]> {
    return this.#call(user, (s) => s.list(user));
  }

  delete(user: string, name: string): Promise<void> {
    return this.#call(user, (s) => s.delete(user, name));
  }

  readValue(user: string, name: string): Promise<SecretText> {
    return this.#call(user, (s) => s.readValue(user, name));
  }

  importBatch(user: string, inputs: readonly CreateSecretInput[]): Promise<SecretMetadata[]> {
    return this.#call(user, (s) => s.importBatch(user, inputs));
  }

  async close(): Promise<void> {
    await this.inner?.close();
  }

  async #call<T>(user: string, operation: (store: SecretStore) => Promise<T>): Promise<T> {
    return operation(this.#target(user));
  }
}
