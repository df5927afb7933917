/**
 * `VaultSecretStore`: Coffer's user secrets in a HashiCorp Vault or OpenBao KV v2 mount.
 * See README.md in this folder for the layout and the concurrency design.
 */
import { throwIfViolated } from '../../validation';
import { checkBatchDuplicates } from '../../batch-rules';
import { randomUUID } from 'node:crypto';
import {
  BackendUnavailableError,
  isSecretStoreError,
  SecretConflictError,
  SecretNotFoundError,
  SecretStoreError,
  SecretValidationError,
} from '../../errors';
import { checkEnabledHasTarget, checkName, checkUser } from '../../rules';
import type { SecretStore } from '../../secret-store';
import { SecretText } from '../../secret-text';
import { objectField, stringField, VaultAuthenticator } from './vault-auth';
import {
  configError,
  resolveVaultConfig,
  type ResolvedVaultConfig,
  type VaultSecretStoreOptions,
} from './vault-config';
import { vaultErrors, VaultHttpClient, type VaultRequest, type VaultResponse } from './vault-http';
import { TargetClaims, targetsOf, type ClaimOutcome, type Target } from './vault-claims';
import { mapLimit } from './vault-map-limit';
import { fromDataDocMeta, packMirror, toDataDocMeta, revision, unpackMirror, type StoredMeta } from './vault-metadata';
import { VaultDynamicSecrets } from './vault-leases';
import { checkKvV2Mount } from './vault-mount';
import { encodeConfiguredPath, KvLayout, nameForKey } from './vault-paths';
import {
  alreadyExists,
  checkMirrorFits,
  foreignMeta,
  identityFromToken,
  malformed,
  parseKvMetadata,
  toMetadata,
  validateCreate,
  validatePatch,
  withRollbackReport,
  type Current,
  type KvMetadata,
  type NewFields,
  type SecretStoreCapabilities,
  type VaultCreateSecretInput,
  type VaultSecretMetadata,
  type VaultUpdateSecretInput,
} from './vault-store-model';
import { compareCodePoints } from '../../ordering';

export {
  identityFromToken,
  type SecretStoreCapabilities,
  type VaultCreateSecretInput,
  type VaultSecretMetadata,
  type VaultUpdateSecretInput,
};

/**
 * How a stale mirror is handled. `repair` (write paths): read the data document of that exact
 * version and rewrite the mirror. `metadata-only` (get/list, so plan and refresh): no value-bearing
 * read and no write; report the last mirrored metadata as unverified.
 */
type StaleMirror = 'repair' | 'metadata-only';

type Reading =
  | { readonly state: 'absent' }
  /** The current version is soft-deleted or destroyed (outside Coffer): absent for Coffer, but a write needs `cas = version`. */
  | { readonly state: 'deleted'; readonly version: number }
  | { readonly state: 'present'; readonly current: Current };


const ME = 'me';
const CAS_MISMATCH = /check-and-set parameter did not match/i;
const MERGE_PATCH = 'application/merge-patch+json';

/**
 * Secrets of many users in one KV v2 mount; see README.md for the layout, what is stored where,
 * and how concurrent writers are kept from losing each other's updates.
 */
export class VaultSecretStore implements SecretStore {
  readonly kind = 'vault';
  readonly capabilities: SecretStoreCapabilities = {
    fileOwnerAndMode: true,
    defaults: true,
    valueVersion: true,
    readValue: true,
    ownerClaim: true,
  };
  /** Server origin, for messages. */
  readonly address: string;

  readonly #config: ResolvedVaultConfig;
  readonly #http: VaultHttpClient;
  readonly #auth: VaultAuthenticator;
  readonly #layout: KvLayout;
  readonly #concurrency: number;
  readonly #claims: TargetClaims;
  /** Per user: the one check (and migration) of the former index document in this store's life. */
  readonly #migrations = new Map<string, Promise<void>>();
  readonly #beforeDataWrite: VaultSecretStoreOptions['beforeDataWrite'];
  #identity: Promise<string> | undefined;
  /** The one check that the mount is a KV v2 mount (see `#checkMount`). */
  #mountChecked: Promise<void> | undefined;
  /** Whether the server offers OpenBao's `detailed-metadata` listing (learned on first list). */
  #detailedList: boolean | undefined;
  #closed = false;

  constructor(options: VaultSecretStoreOptions = {}) {
    this.#config = resolveVaultConfig(options);
    const names = this.#config.settingNames;
    for (const [field, value, label] of [
      ['mount', this.#config.mount, names.mount],
      ['path_prefix', this.#config.pathPrefix, 'the path prefix'],
    ] as const) {
      try {
        encodeConfiguredPath(value, label);
      } catch (error) {
        throw configError(field, error instanceof Error ? error.message : `invalid ${label}`);
      }
    }
    this.#layout = new KvLayout(this.#config.mount, this.#config.pathPrefix);
    this.#http = new VaultHttpClient({
      address: this.#config.address,
      namespace: this.#config.namespace,
      ca: this.#config.ca,
      tlsSkipVerify: this.#config.tlsSkipVerify,
      tlsServerName: this.#config.tlsServerName,
      clientCert: this.#config.clientCert,
      clientKey: this.#config.clientKey,
      settingNames: this.#config.settingNames,
      timeoutMs: options.timeoutMs,
      maxAttempts: options.maxAttempts,
      maxRetryTimeMs: options.maxRetryTimeMs,
      retryBaseMs: options.retryBaseMs,
      onRequest: options.onRequest,
    });
    this.address = this.#http.address;
    this.#auth = new VaultAuthenticator(this.#http, this.#config.auth, {
      renewFraction: options.renewFraction ?? 2 / 3,
      revokeOnClose: options.revokeOnClose ?? true,
    });
    this.#concurrency = Math.max(1, options.concurrency ?? 16);
    this.#claims = new TargetClaims({
      layout: this.#layout,
      graceMs: options.claimGraceMs ?? 120_000,
      call: (req) => this.#call(req),
      failure: (response, method, path) => this.#failure(response, method, path),
      holder: async (owner, name) => {
        const reading = await this.#read(owner, name);
        return reading.state === 'present' ? reading.current.meta : undefined;
      },
    });
    this.#beforeDataWrite = options.beforeDataWrite;
  }

  // ---------------------------------------------------------------------------------------------
  // SecretStore

  async create(user: string, input: VaultCreateSecretInput): Promise<VaultSecretMetadata> {
    return this.#run(async () => {
      const fields = validateCreate(input, '');
      const owner = await this.#resolveUser(user);
      await this.#migrated(owner);
      // No existence read first: the `cas=0` data write is the check (a conflict costs one read then).
      const claimed = await this.#claimAll(owner, fields.name, targetsOf(fields), '');
      let created: VaultSecretMetadata;
      try {
        created = await this.#writeNew(owner, fields, { state: 'absent' }, '');
      } catch (error) {
        await this.#releaseNew(owner, claimed);
        throw error;
      }
      await this.#recheckTakenOver(owner, fields.name, claimed);
      return created;
    });
  }

  async update(user: string, name: string, patch: VaultUpdateSecretInput): Promise<VaultSecretMetadata> {
    return this.#run(async () => {
      throwIfViolated(checkName(name));
      validatePatch(patch);
      const owner = await this.#resolveUser(user);
      await this.#migrated(owner);
      const reading = await this.#read(owner, name);
      if (reading.state !== 'present') throw new SecretNotFoundError(owner, name);
      const current = reading.current;
      const old = current.meta;
      const next = {
        description: patch.description ?? old.description,
        envName: patch.envName ?? old.envName,
        filePath: patch.filePath ?? old.filePath,
        enabled: patch.enabled ?? old.enabled,
        fileOwner: patch.fileOwner ?? old.fileOwner,
        fileMode: patch.fileMode === null ? undefined : (patch.fileMode ?? old.fileMode),
        isDefault: patch.isDefault ?? old.isDefault,
      };
      throwIfViolated(checkEnabledHasTarget(next.enabled, next.envName, next.filePath));
      // Writing the value a secret already holds is not a value change (no new valueVersion).
      const valueChanged =
        patch.value !== undefined && !(await this.#holdsValue(owner, name, current.version, patch.value));
      const metaChanged =
        next.description !== old.description ||
        next.envName !== old.envName ||
        next.filePath !== old.filePath ||
        next.enabled !== old.enabled ||
        next.fileOwner !== old.fileOwner ||
        next.fileMode !== old.fileMode ||
        next.isDefault !== old.isDefault;
      if (!valueChanged && !metaChanged) return toMetadata(owner, name, current);

      const meta: StoredMeta = {
        ...old,
        ...next,
        valueVersion: valueChanged ? current.version + 1 : old.valueVersion,
      };
      checkMirrorFits(meta, '');
      // Retarget: claim the new target, write, then release the old one (a crash leaves an extra claim, never a missing one).
      const oldTargets = targetsOf(old);
      const newTargets = targetsOf(next);
      const isOld = (t: Target): boolean => oldTargets.some((o) => o.field === t.field && o.value === t.value);
      const isNew = (t: Target): boolean => newTargets.some((n) => n.field === t.field && n.value === t.value);
      const claimed = await this.#claimAll(owner, name, newTargets.filter((t) => !isOld(t)), '');
      let written: Current;
      try {
        written = await this.#writeVersion(owner, name, current, meta, valueChanged ? patch.value : undefined);
      } catch (error) {
        await this.#releaseNew(owner, claimed);
        throw error;
      }
      await Promise.all([
        ...oldTargets.filter((t) => !isNew(t)).map((t) => this.#claims.release(owner, t)),
        // A kept target whose claim went missing (deleted by hand, or a half-done migration) gets it back.
        ...newTargets.filter(isOld).map((t) => this.#claims.ensure(owner, name, t)),
      ]);
      await this.#recheckTakenOver(owner, name, claimed);
      return toMetadata(owner, name, written);
    });
  }

  async get(user: string, name: string): Promise<VaultSecretMetadata> {
    return this.#run(async () => {
      throwIfViolated(checkName(name));
      const owner = await this.#resolveUser(user);
      const reading = await this.#read(owner, name, 'metadata-only');
      if (reading.state !== 'present') throw new SecretNotFoundError(owner, name);
      return toMetadata(owner, name, reading.current);
    });
  }

  async list(user: string): Promise<VaultSecretMetadata[]> {
    return this.#run(async () => {
      const owner = await this.#resolveUser(user);
      const secrets = await this.#listPresent(owner, 'metadata-only');
      return secrets
        .map(([name, current]) => toMetadata(owner, name, current))
        .sort((a, b) => compareCodePoints(a.name, b.name));
    });
  }

  async delete(user: string, name: string): Promise<void> {
    return this.#run(async () => {
      throwIfViolated(checkName(name));
      const owner = await this.#resolveUser(user);
      await this.#migrated(owner);
      const reading = await this.#read(owner, name);
      if (reading.state !== 'present') throw new SecretNotFoundError(owner, name);
      // Metadata and every version; no undelete. (A soft delete would keep the name taken.)
      const path = this.#layout.metadata(owner, name);
      const response = await this.#call({ method: 'DELETE', path });
      if (response.status !== 204 && response.status !== 200 && response.status !== 404) {
        throw this.#failure(response, 'DELETE', path);
      }
      // Secret first, claims after: a crash in between leaves a claim without a secret, which heals.
      await Promise.all(targetsOf(reading.current.meta).map((t) => this.#claims.release(owner, t)));
    });
  }

  async readValue(user: string, name: string): Promise<SecretText> {
    return this.#run(async () => {
      throwIfViolated(checkName(name));
      const owner = await this.#resolveUser(user);
      const path = this.#layout.data(owner, name);
      const response = await this.#call({ method: 'GET', path });
      if (response.status === 404) throw new SecretNotFoundError(owner, name);
      if (response.status !== 200) throw this.#failure(response, 'GET', path);
      const value = objectField(objectField(response.body, 'data'), 'data')?.value;
      if (typeof value !== 'string') {
        throw new SecretStoreError(
          'unsupported',
          `the KV entry of secret "${name}" of user "${owner}" has no string "value" field`,
          {
            retryable: false,
          },
        );
      }
      return new SecretText(value);
    });
  }

  async importBatch(user: string, inputs: readonly VaultCreateSecretInput[]): Promise<VaultSecretMetadata[]> {
    return this.#run(async () => {
      const batch = inputs.map((input, i) => validateCreate(input, `import item ${i + 1}: `));
      checkBatchDuplicates(batch);
      const owner = await this.#resolveUser(user);
      if (batch.length === 0) return [];
      await this.#migrated(owner);
      // One LIST tells which names are taken; only those need a metadata read (present or soft-deleted?).
      const taken = await this.#listNames(owner);
      const readings = await mapLimit(batch, this.#concurrency, (fields) =>
        taken.has(fields.name) ? this.#read(owner, fields.name) : Promise.resolve<Reading>({ state: 'absent' }),
      );
      readings.forEach((reading, i) => {
        if (reading.state === 'present') throw alreadyExists(owner, batch[i]!.name, `import item ${i + 1}: `);
      });
      const claims = await mapLimit(batch, this.#concurrency, (fields, i) =>
        this.#claimAll(owner, fields.name, targetsOf(fields), `import item ${i + 1}: `).then(
          (claimed) => ({ ok: true as const, claimed }),
          (error: unknown) => ({ ok: false as const, error }),
        ),
      );
      const claimed = claims.flatMap((c) => (c.ok ? c.claimed : []));
      const refused = claims.find((c): c is { ok: false; error: unknown } => !c.ok);
      if (refused !== undefined) {
        await this.#releaseNew(owner, claimed);
        throw refused.error;
      }
      // Vault has no multi-key transaction: write one by one, and undo what was written if any fails.
      const results = await mapLimit(batch, this.#concurrency, async (fields, i) => {
        try {
          return {
            ok: true as const,
            meta: await this.#writeNew(owner, fields, readings[i]!, `import item ${i + 1}: `),
          };
        } catch (error) {
          return { ok: false as const, error, index: i };
        }
      });
      const failed = results.find((r): r is { ok: false; error: unknown; index: number } => !r.ok);
      if (failed === undefined) {
        await Promise.all(batch.map((f) => this.#recheckTakenOver(owner, f.name, claimed)));
        return results.map((r) => (r as { meta: VaultSecretMetadata }).meta);
      }

      const created = batch.filter((_, i) => results[i]!.ok).map((f) => f.name);
      const leftovers: string[] = [];
      await mapLimit(created, this.#concurrency, async (name) => {
        const path = this.#layout.metadata(owner, name);
        const response = await this.#call({ method: 'DELETE', path }).catch(() => undefined);
        if (response === undefined || (response.status !== 204 && response.status !== 200 && response.status !== 404)) {
          leftovers.push(name);
        }
      });
      await this.#releaseNew(owner, claimed);
      throw withRollbackReport(failed.error, owner, leftovers);
    });
  }

  /** Dynamic secrets (leases) on the same connection and login; see vault-leases.ts. */
  dynamicSecrets(): VaultDynamicSecrets {
    return new VaultDynamicSecrets((request) => this.#run(() => this.#call(request)), this.address);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#auth.close();
    } finally {
      this.#http.close();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Identity

  /** Validates `user` and resolves `me`. Every secret operation starts here, so the mount is checked here, once. */
  async #resolveUser(user: string): Promise<string> {
    throwIfViolated(checkUser(user));
    this.#mountChecked ??= this.#checkMount();
    await this.#mountChecked.catch((error: unknown) => {
      if (!(isSecretStoreError(error) && !error.retryable)) this.#mountChecked = undefined; // a network error is not cached
      throw error;
    });
    if (user !== ME) return user;
    this.#identity ??= this.#findIdentity();
    // A failed lookup is not cached: the next call tries again.
    return this.#identity.catch((error: unknown) => {
      this.#identity = undefined;
      throw error;
    });
  }

  /** Before the first read or write: is the mount a KV version 2 mount? See vault-mount.ts. */
  async #checkMount(): Promise<void> {
    await checkKvV2Mount((req) => this.#call(req), this.#layout, this.address, this.#config.settingNames.mount);
  }

  async #findIdentity(): Promise<string> {
    let identity: string | undefined = this.#config.identity;
    if (identity === undefined && this.#auth.loginBased) {
      identity = identityFromToken(await this.#auth.lookupSelf(), this.#auth.authMount ?? '');
      if (identity === undefined) {
        throw new SecretStoreError(
          'validation',
          'cannot tell who "me" is from the Vault token; set the identity option',
          {
            field: 'identity',
            retryable: false,
          },
        );
      }
    }
    identity ??= this.#config.fallbackIdentity();
    throwIfViolated(checkUser(identity, 'identity'));
    return identity;
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  /** One secret's state from its metadata (value-free unless the mirror is stale and `stale` is `repair`). */
  async #read(owner: string, name: string, stale: StaleMirror = 'repair'): Promise<Reading> {
    const path = this.#layout.metadata(owner, name);
    const response = await this.#call({ method: 'GET', path });
    if (response.status === 404) return { state: 'absent' };
    if (response.status !== 200) throw this.#failure(response, 'GET', path);
    const md = parseKvMetadata(objectField(response.body, 'data'));
    if (md === undefined) throw malformed(path);
    return this.#interpret(owner, name, md, stale);
  }

  async #interpret(owner: string, name: string, md: KvMetadata, stale: StaleMirror): Promise<Reading> {
    const version = md.currentVersion;
    if (version === 0) return { state: 'absent' };
    const info = md.versions[String(version)];
    const versionTime = typeof info?.created_time === 'string' ? info.created_time : md.createdTime;
    const deletion = typeof info?.deletion_time === 'string' ? info.deletion_time : '';
    if (info === undefined || info.destroyed === true || (deletion !== '' && Date.parse(deletion) <= Date.now())) {
      return { state: 'deleted', version };
    }
    const rev = revision(version, versionTime);
    const mirror = unpackMirror(md.customMetadata);
    const current = (meta: StoredMeta): Reading => ({
      state: 'present',
      current: { meta, version, createdTime: md.createdTime, versionTime },
    });
    if (mirror.kind === 'coffer' && mirror.rev === rev) return current(mirror.meta);
    if (stale === 'metadata-only') {
      // The value may have changed as late as the current version: report that as its version, so
      // a caller tracking value versions sees a possible change rather than missing one.
      const last = mirror.kind === 'coffer' ? mirror.meta : foreignMeta(this.#layout.data(owner, name), md);
      return { state: 'present', current: { meta: { ...last, valueVersion: version }, version, createdTime: md.createdTime, versionTime, unverified: true } };
    }

    // The mirror is stale, damaged or missing: the data document of this exact version decides.
    const path = this.#layout.data(owner, name);
    const response = await this.#call({ method: 'GET', path, query: { version: String(version) } });
    if (response.status === 404) return { state: 'absent' };
    if (response.status === 403 && mirror.kind === 'coffer') return current(mirror.meta); // best effort
    if (response.status === 403) return current(foreignMeta(path, md));
    if (response.status !== 200) throw this.#failure(response, 'GET', path);
    const doc = objectField(objectField(response.body, 'data'), 'data');
    const fromDoc = fromDataDocMeta(doc?.coffer);
    if (fromDoc === undefined) return current(foreignMeta(path, md));
    const meta: StoredMeta = { ...fromDoc };
    await this.#writeMirror(owner, name, meta, rev);
    return current(meta);
  }

  /** Every present secret of `owner`, unsorted. */
  async #listPresent(owner: string, stale: StaleMirror = 'repair'): Promise<[string, Current][]> {
    const out: [string, Current][] = [];
    if (this.#detailedList !== false) {
      const path = this.#layout.detailedUserFolder(owner);
      const response = await this.#call({ method: 'LIST', path });
      if (response.status === 200) {
        this.#detailedList = true;
        const data = objectField(response.body, 'data');
        const keyInfo = objectField(data, 'key_info') ?? {};
        const entries = Object.entries(keyInfo).flatMap(([key, raw]) => {
          const name = nameForKey(key);
          const md = parseKvMetadata(raw);
          return name === undefined || md === undefined ? [] : [{ name, md }];
        });
        const readings = await mapLimit(entries, this.#concurrency, (e) => this.#interpret(owner, e.name, e.md, stale));
        readings.forEach((r, i) => r.state === 'present' && out.push([entries[i]!.name, r.current]));
        return out;
      }
      if (response.status === 404 && vaultErrors(response.body) === '') return out; // an empty folder
      if (this.#detailedList === true && response.status !== 404 && response.status !== 405) {
        throw this.#failure(response, 'LIST', path);
      }
      // Vault ("unsupported path"), or a policy without detailed-metadata: the portable way.
      this.#detailedList = false;
    }
    const names = [...(await this.#listNames(owner))];
    const readings = await mapLimit(names, this.#concurrency, (name) => this.#read(owner, name, stale));
    readings.forEach((r, i) => r.state === 'present' && out.push([names[i]!, r.current]));
    return out;
  }

  /** The names of the keys in `owner`'s folder (present, soft-deleted or foreign alike). */
  async #listNames(owner: string): Promise<Set<string>> {
    const path = this.#layout.userFolder(owner);
    const response = await this.#call({ method: 'LIST', path });
    if (response.status === 404) return new Set(); // LIST of an empty or missing folder is a 404
    if (response.status !== 200) throw this.#failure(response, 'LIST', path);
    const keys = objectField(response.body, 'data')?.keys;
    return new Set(
      (Array.isArray(keys) ? keys : [])
        .filter((k): k is string => typeof k === 'string')
        .map(nameForKey)
        .filter((n): n is string => n !== undefined),
    );
  }

  /** Constant-time check whether version `version` holds `value`; false when it cannot be read. */
  async #holdsValue(owner: string, name: string, version: number, value: SecretText): Promise<boolean> {
    const path = this.#layout.data(owner, name);
    const response = await this.#call({ method: 'GET', path, query: { version: String(version) } });
    if (response.status !== 200) return false;
    const current = objectField(objectField(response.body, 'data'), 'data')?.value;
    return typeof current === 'string' && new SecretText(current).equals(value);
  }

  // ---------------------------------------------------------------------------------------------
  // Writing

  /** Creates a secret with `cas=0` (or over a soft-deleted leftover with `cas=<its version>`). */
  async #writeNew(owner: string, fields: NewFields, before: Reading, prefix: string): Promise<VaultSecretMetadata> {
    const cas = before.state === 'deleted' ? before.version : 0;
    const meta: StoredMeta = {
      id: randomUUID(),
      description: fields.description,
      envName: fields.envName,
      filePath: fields.filePath,
      enabled: fields.enabled,
      fileOwner: fields.fileOwner,
      fileMode: fields.fileMode,
      isDefault: fields.isDefault,
      valueVersion: cas + 1,
      ...(fields.ownerClaim !== undefined ? { ownerClaim: fields.ownerClaim } : {}),
    };
    await this.#beforeDataWrite?.({ op: 'create', user: owner, name: fields.name, cas });
    const result = await this.#casWrite(owner, fields.name, cas, meta, fields.value);
    if (result === 'conflict') {
      // Present, or a leftover soft-deleted by hand (absent for Coffer: write over it with its version).
      const now = await this.#read(owner, fields.name);
      if (now.state === 'deleted' && (before.state !== 'deleted' || now.version !== before.version)) {
        return this.#writeNew(owner, fields, now, prefix);
      }
      throw alreadyExists(owner, fields.name, prefix);
    }
    const createdTime =
      cas === 0 ? result.createdTime : await this.#createdTime(owner, fields.name, result.createdTime);
    return toMetadata(owner, fields.name, {
      meta,
      version: result.version,
      createdTime,
      versionTime: result.createdTime,
    });
  }

  /** A new version of an existing secret: a value change, or a metadata-only change with the value kept. */
  async #writeVersion(
    owner: string,
    name: string,
    current: Current,
    meta: StoredMeta,
    value: SecretText | undefined,
  ): Promise<Current> {
    await this.#beforeDataWrite?.({ op: 'update', user: owner, name, cas: current.version });
    const result = await this.#casWrite(owner, name, current.version, meta, value);
    if (result === 'conflict') {
      throw new SecretConflictError(
        `secret "${name}" of user "${owner}" was changed concurrently; retry`,
        value !== undefined ? 'value' : 'name',
      );
    }
    return { meta, version: result.version, createdTime: current.createdTime, versionTime: result.createdTime };
  }

  /**
   * The one write primitive for secrets: a check-and-set data write of version `cas + 1`, then
   * the value-free mirror. Without a value, a merge-patch keeps the stored value untouched (and
   * falls back to read + write when the token lacks the `patch` capability).
   */
  async #casWrite(
    owner: string,
    name: string,
    cas: number,
    meta: StoredMeta,
    value: SecretText | undefined,
  ): Promise<{ version: number; createdTime: string } | 'conflict'> {
    const path = this.#layout.data(owner, name);
    const writeId = randomUUID();
    const coffer = toDataDocMeta(meta, writeId);
    let response: VaultResponse;
    if (value !== undefined) {
      response = await this.#call({
        method: 'POST',
        path,
        body: { options: { cas }, data: { value: value.reveal(), coffer } },
      });
    } else {
      response = await this.#call({
        method: 'PATCH',
        path,
        contentType: MERGE_PATCH,
        body: { options: { cas }, data: { coffer } },
      });
      if (response.status === 403 || response.status === 405) {
        const read = await this.#call({ method: 'GET', path, query: { version: String(cas) } });
        if (read.status === 404) return 'conflict';
        if (read.status !== 200) throw this.#failure(read, 'GET', path);
        const stored = objectField(objectField(read.body, 'data'), 'data')?.value;
        if (typeof stored !== 'string') throw malformed(path);
        response = await this.#call({
          method: 'POST',
          path,
          body: { options: { cas }, data: { value: stored, coffer } },
        });
      }
    }
    if (response.status === 400 && CAS_MISMATCH.test(vaultErrors(response.body))) {
      // After a retry, the "mismatch" may be our own earlier attempt that landed.
      const landed = response.ambiguous ? await this.#landedSecret(path, cas + 1, writeId) : undefined;
      if (landed === undefined) return 'conflict';
      response = { status: 200, body: { data: landed }, attempt: response.attempt, ambiguous: true };
    }
    // PATCH of a key that vanished meanwhile.
    if (response.status === 404 && value === undefined) return 'conflict';
    if (response.status !== 200)
      throw this.#failure(response, value !== undefined ? 'POST' : 'PATCH', path, 'value', value);
    const data = objectField(response.body, 'data');
    const version = typeof data?.version === 'number' ? data.version : cas + 1;
    const createdTime = stringField(data, 'created_time') ?? new Date().toISOString();
    await this.#writeMirror(owner, name, meta, revision(version, createdTime));
    return { version, createdTime };
  }

  /** The `created_time` of version `version`'s data if it carries `writeId`. */
  async #landedSecret(path: string, version: number, writeId: string): Promise<Record<string, unknown> | undefined> {
    const response = await this.#call({ method: 'GET', path, query: { version: String(version) } });
    if (response.status !== 200) return undefined;
    const data = objectField(response.body, 'data');
    const doc = objectField(data, 'data');
    const coffer = objectField(doc, 'coffer');
    if (coffer?.write_id !== writeId) return undefined;
    return objectField(data, 'metadata');
  }

  async #createdTime(owner: string, name: string, fallback: string): Promise<string> {
    const path = this.#layout.metadata(owner, name);
    const response = await this.#call({ method: 'GET', path }).catch(() => undefined);
    const md = response?.status === 200 ? parseKvMetadata(objectField(response.body, 'data')) : undefined;
    return md?.createdTime ?? fallback;
  }

  /**
   * Best effort: a missing or stale mirror is detected by every reader (its `coffer_rev` does not
   * match the current version) and read from the data document instead, so a failure here (a
   * policy without metadata write, a network error) costs speed, never correctness.
   */
  async #writeMirror(owner: string, name: string, meta: StoredMeta, rev: string): Promise<void> {
    let customMetadata: Record<string, string>;
    try {
      customMetadata = packMirror(meta, rev);
    } catch {
      return;
    }
    const path = this.#layout.metadata(owner, name);
    await this.#call({ method: 'POST', path, body: { custom_metadata: customMetadata } }).catch(() => undefined);
  }

  // ---------------------------------------------------------------------------------------------
  // Uniqueness claims (see vault-claims.ts)

  /** Checks the former index document once per user and store, and migrates it to claims. */
  async #migrated(owner: string): Promise<void> {
    let migration = this.#migrations.get(owner);
    if (migration === undefined) {
      migration = this.#claims
        .migrateIndex(
          owner,
          async () => (await this.#listPresent(owner)).map(([name, current]) => [name, current.meta]),
          async (items, fn) => void (await mapLimit(items, this.#concurrency, fn)),
        )
        .then(() => undefined);
      this.#migrations.set(owner, migration);
    }
    await migration.catch((error: unknown) => {
      this.#migrations.delete(owner);
      throw error;
    });
  }

  /** Claims every target of one secret; on a conflict, releases what this call claimed and rethrows. */
  async #claimAll(owner: string, name: string, targets: readonly Target[], prefix: string): Promise<ClaimedTarget[]> {
    const settled = await Promise.allSettled(targets.map((t) => this.#claims.claim(owner, name, t, prefix)));
    const claimed = settled.flatMap((r, i) => (r.status === 'fulfilled' ? [{ name, target: targets[i]!, outcome: r.value }] : []));
    const refused = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused !== undefined) {
      await this.#releaseNew(owner, claimed);
      throw refused.reason;
    }
    return claimed;
  }

  /** Undoes the claims a failed write made (not those that already named the secret). */
  async #releaseNew(owner: string, claimed: readonly ClaimedTarget[]): Promise<void> {
    await Promise.all(claimed.filter((c) => c.outcome !== 'held').map((c) => this.#claims.release(owner, c.target)));
  }

  /** A claim taken over from a stale holder is checked once more after the write: a late release by that holder is undone. */
  async #recheckTakenOver(owner: string, name: string, claimed: readonly ClaimedTarget[]): Promise<void> {
    await Promise.all(
      claimed.filter((c) => c.name === name && c.outcome === 'taken-over').map((c) => this.#claims.ensure(owner, name, c.target)),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP

  /** One API call with the current token; on 403 a login-based store logs in again once and retries. */
  async #call(req: Omit<VaultRequest, 'token'>): Promise<VaultResponse> {
    const token = await this.#auth.token();
    const response = await this.#http.request({ ...req, token });
    if (response.status === 403 && this.#auth.loginBased && (await this.#auth.refreshAfterForbidden(token))) {
      return this.#http.request({ ...req, token: await this.#auth.token() });
    }
    return response;
  }

  /** The error for an unexpected answer. Never quotes a value or a token. */
  #failure(
    response: VaultResponse,
    method: string,
    path: string,
    field = 'request',
    value?: SecretText,
  ): SecretStoreError {
    let detail = vaultErrors(response.body);
    if (value !== undefined) {
      const plain = value.reveal();
      if (plain !== '') detail = detail.split(plain).join('[redacted]');
    }
    const where = `${method} ${path}`;
    const suffix = detail === '' ? '' : `: ${detail}`;
    const status = response.status;
    if (status === 400) return new SecretValidationError(field, `Vault rejected ${where}${suffix}`);
    if (status === 401 || status === 403) {
      return new SecretStoreError('unauthorized', `permission denied: ${where} (check the token's policy)`, {
        retryable: false,
      });
    }
    if (status === 404) return new SecretStoreError('not_found', `Vault has no ${path}`, { retryable: false });
    if (status === 413)
      return new SecretStoreError('limit', `Vault refused ${where} as too large${suffix}`, { retryable: false });
    if (status === 429 || status >= 500)
      return new BackendUnavailableError(`Vault answered ${status} to ${where}${suffix}`);
    return new SecretStoreError('unavailable', `Vault answered ${status} to ${where}${suffix}`, { retryable: false });
  }

  async #run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#closed)
      throw new SecretStoreError('unavailable', 'the Vault secret store is closed', { retryable: false });
    try {
      return await operation();
    } catch (error) {
      if (error instanceof SecretStoreError) throw error;
      const code =
        typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'internal error';
      throw new BackendUnavailableError(`the Vault backend at ${this.address} failed (${code})`, error);
    }
  }
}

interface ClaimedTarget {
  readonly name: string;
  readonly target: Target;
  readonly outcome: ClaimOutcome;
}

export { mapLimit };
