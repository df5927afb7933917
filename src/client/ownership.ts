/**
 * Ownership claims: which Terraform/OpenTofu resource instance a backend record belongs to.
 *
 * A create writes an owner claim (a short token) with the record. When a later create of the same
 * name finds the record already there, it may adopt it only if the record carries the claim this
 * same resource would write: the record it left behind when an apply was killed between the
 * backend write and the state save. Anything else belongs to someone else: "already exists —
 * import it".
 *
 * The claim cannot be random and kept in private state, because exactly in that case nothing was
 * saved. It is derived from what stays the same across the two attempts and differs between
 * configurations: the configuration's directory (the engine runs the provider there) and engine
 * workspace, plus the secret's user and name. Only a digest is stored, so the record does not
 * reveal the directory.
 *
 * Two resources of one configuration declaring the same user and name derive the same claim;
 * `ClaimRegistry` (one per provider process, that is per plan or apply run) lets only the first of
 * them create or adopt the record. Known limit: a resource added to the same configuration later,
 * naming a secret another resource of that configuration already manages, derives that claim too.
 *
 * Backends keep the claim in `SecretMetadata.ownerClaim` when `capabilities.ownerClaim` is true
 * (embedded store and Vault: a Coffer-owned metadata field). Coder's API has no field for it:
 * nothing is adopted there.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where a configuration runs: what makes its claims differ from another configuration's. */
export interface ClaimScope {
  /** The configuration's directory (the working directory of the engine and so of the provider). */
  readonly directory: string;
  /** The engine workspace (`default` unless selected). */
  readonly workspace: string;
}

/** The scope of the configuration this process runs for (the provider's working directory and workspace). */
export function claimScopeFromEnvironment(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): ClaimScope {
  let directory = cwd;
  try {
    directory = fs.realpathSync(cwd);
  } catch {
    // keep the path as given
  }
  return { directory, workspace: selectedWorkspace(env, directory) };
}

/** The engine's selected workspace: TF_WORKSPACE, else the data directory's `environment` file, else `default`. */
function selectedWorkspace(env: NodeJS.ProcessEnv, directory: string): string {
  if (env.TF_WORKSPACE !== undefined && env.TF_WORKSPACE !== '') return env.TF_WORKSPACE;
  const dataDir = env.TF_DATA_DIR !== undefined && env.TF_DATA_DIR !== '' ? path.resolve(directory, env.TF_DATA_DIR) : path.join(directory, '.terraform');
  try {
    const selected = fs.readFileSync(path.join(dataDir, 'environment'), 'utf8').trim();
    return selected === '' ? 'default' : selected;
  } catch {
    return 'default';
  }
}

/** The claim a resource in `scope` writes for USER/NAME (`user` as configured, e.g. `me`). */
export function ownerClaim(scope: ClaimScope, user: string, name: string): string {
  const digest = createHash('sha256').update(['coffer-owner-claim/v1', scope.directory, scope.workspace, user, name].join('\0')).digest('base64url');
  return `c1.${digest.slice(0, 32)}`;
}

/** A well-formed claim (what backends accept and store): `c1.` + 32 base64url characters. */
export function isOwnerClaim(value: unknown): value is string {
  return typeof value === 'string' && /^c1\.[A-Za-z0-9_-]{32}$/.test(value);
}

/** Claims taken in this process: a claim can be taken (created or adopted) once. */
export class ClaimRegistry {
  readonly #taken = new Set<string>();
  readonly #adopted = new Set<string>();

  /** True the first time `claim` is taken; false when another resource of this run already took it. */
  take(claim: string): boolean {
    if (this.#taken.has(claim)) return false;
    this.#taken.add(claim);
    return true;
  }

  /**
   * Records that this run adopted the backend record `id`. A replacement created before its
   * predecessor is destroyed (create_before_destroy, same name) adopts the predecessor's record;
   * the predecessor's delete must then leave it alone (`wasAdopted`).
   */
  noteAdopted(id: string): void {
    this.#adopted.add(id);
  }

  wasAdopted(id: string): boolean {
    return this.#adopted.has(id);
  }
}
