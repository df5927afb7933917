import type { Operation, StoredSecret } from './records';

/** One user's secrets, indexed by every field that must be unique per user. */
interface UserSecrets {
  readonly byName: Map<string, StoredSecret>;
  /** env_name → name, for non-empty env names. */
  readonly byEnvName: Map<string, string>;
  /** file_path → name, for non-empty file paths. */
  readonly byFilePath: Map<string, string>;
}

/** Rough bytes a secret takes in a snapshot; only used to decide when compaction pays off. */
function footprint(secret: StoredSecret): number {
  return (
    300 +
    secret.value.data.length +
    secret.name.length +
    secret.user.length +
    secret.description.length +
    secret.envName.length +
    secret.filePath.length
  );
}

/** The decoded state of the store in memory: what the snapshot plus the journal add up to. */
export class SecretIndex {
  readonly #users = new Map<string, UserSecrets>();
  readonly #byId = new Map<string, StoredSecret>();
  #liveBytes = 0;

  constructor(secrets: readonly StoredSecret[] = []) {
    for (const secret of secrets) this.#put(secret);
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Estimated size of the live data, to compare with the journal's size. */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  apply(ops: readonly Operation[]): void {
    for (const op of ops) {
      if (op.op === 'put') this.#put(op.secret);
      else this.#delete(op.id);
    }
  }

  get(user: string, name: string): StoredSecret | undefined {
    return this.#users.get(user)?.byName.get(name);
  }

  /** Name of the user's secret injected as `envName`, if any. */
  nameByEnvName(user: string, envName: string): string | undefined {
    return this.#users.get(user)?.byEnvName.get(envName);
  }

  nameByFilePath(user: string, filePath: string): string | undefined {
    return this.#users.get(user)?.byFilePath.get(filePath);
  }

  list(user: string): StoredSecret[] {
    return [...(this.#users.get(user)?.byName.values() ?? [])];
  }

  /** The most recently updated secret, to check a key against; undefined when empty. */
  newest(): StoredSecret | undefined {
    let newest: StoredSecret | undefined;
    for (const secret of this.#byId.values()) if (newest === undefined || secret.updatedAt > newest.updatedAt) newest = secret;
    return newest;
  }

  all(): StoredSecret[] {
    return [...this.#byId.values()];
  }

  #put(secret: StoredSecret): void {
    this.#delete(secret.id);
    // Names are unique per user; a writer validated that, but never let the index disagree.
    const sameName = this.get(secret.user, secret.name);
    if (sameName !== undefined) this.#delete(sameName.id);
    let user = this.#users.get(secret.user);
    if (user === undefined) {
      user = { byName: new Map(), byEnvName: new Map(), byFilePath: new Map() };
      this.#users.set(secret.user, user);
    }
    user.byName.set(secret.name, secret);
    if (secret.envName !== '') user.byEnvName.set(secret.envName, secret.name);
    if (secret.filePath !== '') user.byFilePath.set(secret.filePath, secret.name);
    this.#byId.set(secret.id, secret);
    this.#liveBytes += footprint(secret);
  }

  #delete(id: string): void {
    const secret = this.#byId.get(id);
    if (secret === undefined) return;
    this.#byId.delete(id);
    this.#liveBytes -= footprint(secret);
    const user = this.#users.get(secret.user);
    if (user === undefined) return;
    user.byName.delete(secret.name);
    if (user.byEnvName.get(secret.envName) === secret.name) user.byEnvName.delete(secret.envName);
    if (user.byFilePath.get(secret.filePath) === secret.name) user.byFilePath.delete(secret.filePath);
    if (user.byName.size === 0) this.#users.delete(secret.user);
  }
}
