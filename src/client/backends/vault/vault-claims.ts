/**
 * Per-user uniqueness of env_name and file_path without a shared document: one small KV entry per
 * claimed target, `<prefix>/<user>/.coffer/env/<ENV_NAME>` and `.coffer/file/<sha256(path)>`,
 * holding the name of the secret that owns it. KV v2 has no multi-key transaction, but `cas=0` on
 * a key is an atomic "create if absent", so of two writers claiming the same target exactly one
 * wins; writers of different secrets touch different keys and never contend.
 *
 * Ordering keeps every crash on the safe side (a claim may outlive its secret, never the reverse):
 *
 * - create: claim the targets, then write the secret; a failed write releases the new claims;
 * - retarget: claim the new target, write the secret, then release the old target;
 * - delete: delete the secret, then release its claims.
 *
 * A claim whose secret is gone or no longer uses the target (a crash between the two steps) is
 * repaired by the next writer that wants the target: once the claim is older than `graceMs` (a
 * younger one may belong to a writer still at work) the holder is read, and if it does not hold
 * the target the claim is taken over with `cas=<claim version>`. A writer that took a claim over
 * checks it again after its secret write, so a late release by the crashed or slow writer cannot
 * leave its secret unclaimed. A secret whose claim is missing (a claim deleted by hand) gets it
 * back at its next update (`ensure`). Plan and refresh never look at claims.
 *
 * The former one-document index (`.coffer/index`) is migrated on a store's first write for a
 * user: a claim for every secret's real targets, then the document is deleted (a crash in between
 * leaves the document, so the next writer migrates again; claims are idempotent).
 */
import { createHash } from 'node:crypto';
import { BackendUnavailableError, SecretConflictError, type SecretStoreError } from '../../errors';
import { objectField } from './vault-auth';
import type { VaultRequest, VaultResponse } from './vault-http';
import { vaultErrors } from './vault-http';
import type { KvLayout } from './vault-paths';

export type ClaimField = 'env_name' | 'file_path';

export interface Target {
  readonly field: ClaimField;
  readonly value: string;
}

/** What a secret holds, as far as uniqueness is concerned. */
export interface Targets {
  readonly envName: string;
  readonly filePath: string;
}

/** `new`: this call created it; `held`: it already named this secret; `taken-over`: repaired from a stale holder. */
export type ClaimOutcome = 'new' | 'held' | 'taken-over';

export interface ClaimDeps {
  readonly layout: KvLayout;
  readonly graceMs: number;
  call(req: Omit<VaultRequest, 'token'>): Promise<VaultResponse>;
  failure(response: VaultResponse, method: string, path: string): SecretStoreError;
  /** The targets secret `name` holds now; undefined when it does not exist. */
  holder(owner: string, name: string): Promise<Targets | undefined>;
}

const CAS_MISMATCH = /check-and-set parameter did not match/i;
const CLAIM_SCHEMA = 1;
const ATTEMPTS = 8;

export function targetsOf(t: Targets): Target[] {
  const out: Target[] = [];
  if (t.envName !== '') out.push({ field: 'env_name', value: t.envName });
  if (t.filePath !== '') out.push({ field: 'file_path', value: t.filePath });
  return out;
}

function holds(t: Targets, target: Target): boolean {
  return (target.field === 'env_name' ? t.envName : t.filePath) === target.value;
}

/** Env names are `[A-Za-z_][A-Za-z0-9_]*` (rules.ts), safe as a key; paths may hold `/` and run to 4 KiB, so they are hashed. */
function keyOf(target: Target): { kind: 'env' | 'file'; key: string } {
  return target.field === 'env_name'
    ? { kind: 'env', key: target.value }
    : { kind: 'file', key: createHash('sha256').update(target.value, 'utf8').digest('hex') };
}

type ClaimState =
  | { readonly state: 'free'; readonly version: number }
  | { readonly state: 'held'; readonly secret: string; readonly at: number; readonly version: number };

export function conflictError(target: Target, holder: string, prefix = ''): SecretConflictError {
  return new SecretConflictError(
    `${prefix}${target.field} "${target.value}" is already used by secret "${holder}"`,
    target.field,
  );
}

export class TargetClaims {
  readonly #deps: ClaimDeps;

  constructor(deps: ClaimDeps) {
    this.#deps = deps;
  }

  /**
   * Claims `target` for secret `name`: one `cas=0` write when it is free (the common case).
   * Throws a conflict naming the field when another secret holds it.
   */
  async claim(owner: string, name: string, target: Target, prefix = ''): Promise<ClaimOutcome> {
    const { kind, key } = keyOf(target);
    const path = this.#deps.layout.claimData(owner, kind, key);
    let cas = 0;
    let outcome: ClaimOutcome = 'new';
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const body = { options: { cas }, data: { coffer_claim: CLAIM_SCHEMA, secret: name, target: target.value, at: Date.now() } };
      const response = await this.#deps.call({ method: 'POST', path, body });
      if (response.status === 200) return outcome;
      if (!(response.status === 400 && CAS_MISMATCH.test(vaultErrors(response.body)))) {
        throw this.#deps.failure(response, 'POST', path);
      }
      const current = await this.#read(path);
      if (current.state === 'free') {
        cas = current.version;
        continue;
      }
      // Ours already: a retried write whose answer was lost, or a leftover of this secret's own crashed write.
      if (current.secret === name) return 'held';
      if (Date.now() - current.at < this.#deps.graceMs) throw conflictError(target, current.secret, prefix);
      const holder = current.secret === '' ? undefined : await this.#deps.holder(owner, current.secret);
      if (holder !== undefined && holds(holder, target)) throw conflictError(target, current.secret, prefix);
      cas = current.version;
      outcome = 'taken-over';
    }
    throw new BackendUnavailableError(`${prefix}${target.field} "${target.value}" is being claimed by too many writers at once; retry`);
  }

  /**
   * Makes sure `target`'s claim names `name` (one read when it does). Best effort and silent:
   * repairs a missing claim, leaves a conflicting one (that duplicate predates this write).
   */
  async ensure(owner: string, name: string, target: Target): Promise<void> {
    const { kind, key } = keyOf(target);
    try {
      const current = await this.#read(this.#deps.layout.claimData(owner, kind, key));
      if (current.state === 'held' && current.secret === name) return;
      await this.claim(owner, name, target);
    } catch {
      // A conflict or an unreachable server: the secret itself is written; the claim is repaired later.
    }
  }

  /** Frees `target` (no CAS exists for deletes; see the ordering above). Best effort. */
  async release(owner: string, target: Target): Promise<void> {
    const { kind, key } = keyOf(target);
    await this.#deps.call({ method: 'DELETE', path: this.#deps.layout.claimMetadata(owner, kind, key) }).catch(() => undefined);
  }

  /**
   * Replaces the former index document by claims, once: true when there was one to migrate.
   * `secrets` lists every present secret with its real targets (only called when the document exists).
   */
  async migrateIndex(
    owner: string,
    secrets: () => Promise<[string, Targets][]>,
    forEach: <T>(items: readonly T[], fn: (item: T) => Promise<void>) => Promise<void>,
  ): Promise<boolean> {
    const path = this.#deps.layout.indexData(owner);
    const response = await this.#deps.call({ method: 'GET', path });
    const version = objectField(objectField(response.body, 'data'), 'metadata')?.version;
    if (response.status === 404 && typeof version !== 'number') return false;
    if (response.status !== 200 && response.status !== 404) throw this.#deps.failure(response, 'GET', path);
    const claims = (await secrets()).flatMap(([name, t]) => targetsOf(t).map((target) => ({ name, target })));
    await forEach(claims, ({ name, target }) => this.#migrateOne(owner, name, target));
    const metadata = this.#deps.layout.indexMetadata(owner);
    const removed = await this.#deps.call({ method: 'DELETE', path: metadata });
    if (removed.status !== 204 && removed.status !== 200 && removed.status !== 404) {
      throw this.#deps.failure(removed, 'DELETE', metadata);
    }
    return true;
  }

  /** Unlike `ensure`, a failure to reach the server stops the migration (the document stays). */
  async #migrateOne(owner: string, name: string, target: Target): Promise<void> {
    try {
      await this.claim(owner, name, target);
    } catch (error) {
      if (!(error instanceof SecretConflictError)) throw error;
    }
  }

  async #read(path: string): Promise<ClaimState> {
    const response = await this.#deps.call({ method: 'GET', path });
    const data = objectField(response.body, 'data');
    const version = objectField(data, 'metadata')?.version;
    if (response.status === 404) return { state: 'free', version: typeof version === 'number' ? version : 0 };
    if (response.status !== 200 || typeof version !== 'number') throw this.#deps.failure(response, 'GET', path);
    const doc = objectField(data, 'data');
    const secret = typeof doc?.secret === 'string' ? doc.secret : '';
    const at = typeof doc?.at === 'number' ? doc.at : 0;
    // Not a claim of ours (written by hand): a holder that holds nothing, replaceable at once.
    return { state: 'held', secret, at: secret === '' ? 0 : at, version };
  }
}
