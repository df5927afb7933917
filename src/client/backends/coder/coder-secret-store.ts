import {
  BackendUnavailableError,
  isSecretStoreError,
  SecretConflictError,
  SecretNotFoundError,
  SecretStoreError,
  SecretValidationError,
} from '../../errors';
import { assertSecretValue, throwIfViolated } from '../../validation';
import { checkBatchDuplicates } from '../../batch-rules';
import {
  checkEnabledHasTarget,
  checkEnvName,
  checkFilePath,
  checkName,
  checkUser,
  type RuleViolation,
} from '../../rules';
import type { CreateSecretInput, SecretMetadata, SecretStore, UpdateSecretInput } from '../../secret-store';
import { SecretText } from '../../secret-text';
import { CoderHttp, type CoderRequestLogEntry } from './http';
import { compareNames, parseSecret, parseSecretList, type ParsedSecret } from './wire';

/** Coder's per-user limits (coder-secrets-api.md §2); the server is authoritative. */
export const CODER_LIMITS = Object.freeze({
  secretsPerUser: 50,
  /** Total value bytes per user (stored bytes: with dbcrypt the server counts ~1.33× more). */
  totalValueBytes: 200 * 1024,
  /** Combined value bytes of enabled env-injected secrets per user. */
  envInjectedBytes: 24 * 1024,
});

export interface CoderSecretStoreOptions {
  /**
   * Deployment URL. Default `$CODER_URL`, else `$CODER_AGENT_URL` (Coder's access URL, which its
   * provisioner sets for terraform). Without a scheme: http for localhost, else https.
   */
  readonly url?: string;
  /**
   * Session or API token, sent as `Coder-Session-Token`. Default `$CODER_WORKSPACE_OWNER_SESSION_TOKEN`
   * (the workspace owner's token on start builds), else `$CODER_SESSION_TOKEN`. Empty counts as unset.
   */
  readonly token?: string;
  /** Where the URL and token variables are read from. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Extra attempts for GET and DELETE after a network error, 429 or 5xx. @default 3 */
  readonly retries?: number;
  /** First backoff delay; doubles each attempt, with jitter. @default 250 */
  readonly retryBaseDelayMs?: number;
  /** @default 5000 */
  readonly retryMaxDelayMs?: number;
  /** Per-request timeout. @default 30000 */
  readonly timeoutMs?: number;
  /** Called once per HTTP attempt with method, path, status and duration (never bodies, headers or tokens). */
  readonly onRequest?: (entry: CoderRequestLogEntry) => void;
  /**
   * What the server supports, when known in advance; otherwise it is detected: `enabled` from the
   * shape of secrets the server returns (then `GET /api/v2/buildinfo`), `/batch` by trying it.
   */
  readonly serverFeatures?: { readonly enabledField?: boolean; readonly batchEndpoint?: boolean };
  /** Resolve `me` to the username for `SecretMetadata.user` (`GET /api/v2/users/me`, once). @default true */
  readonly resolveMe?: boolean;
}

export interface BackendCapabilities {
  readonly fileOwnerAndMode: boolean;
  readonly defaults: boolean;
  readonly valueVersion: boolean;
  readonly readValue: boolean;
}

/** Fields the shared inputs are gaining; Coder's API has none of them. */
interface NotOnCoder {
  readonly fileOwner?: string;
  readonly fileMode?: number;
  readonly isDefault?: boolean;
}

/** A create input after defaults and validation. */
interface CreateFields {
  readonly name: string;
  readonly value: SecretText;
  readonly description: string;
  readonly envName: string;
  readonly filePath: string;
  readonly enabled: boolean;
  /** The caller set `enabled` explicitly. */
  readonly enabledGiven: boolean;
}

const ME = 'me';
const READ_VALUE_UNSUPPORTED =
  "Coder's API never returns secret values; inside a Coder workspace the agent injects them";

/**
 * User secrets on a Coder deployment (`/api/v2/users/{user}/secrets`), over Coffer's own `fetch`
 * client (`http.ts`). Every input is checked with the shared rules before anything is sent.
 *
 * - Values go out only inside request bodies and never come back: Coder has no value-read endpoint,
 *   so `readValue` is unsupported and `valueVersion` is undefined.
 * - `importBatch` uses Coder's atomic `/batch` endpoint when the inputs are exactly what an import
 *   file can express (no description, no file_path, `enabled` not false, `env_name` = the name and a
 *   valid env name) — the content is then a JSON object of name → value. Otherwise, or on servers
 *   without `/batch`, it creates the secrets one by one and deletes the ones it created when one
 *   fails. Both paths first check the whole batch locally and against the user's current secrets
 *   (conflicts, count and byte limits), so a rollback is only needed for failures the client cannot
 *   foresee (a concurrent writer, the server's stored-byte accounting, the network).
 * - Servers from before `enabled` (v2.33–v2.35): their secrets read as enabled when they have a
 *   target; asking for `enabled = false` on a secret with a target is an `unsupported` error.
 * - GET and DELETE are retried with backoff on network errors, 429 and 5xx; POST and PATCH are not.
 */
export class CoderSecretStore implements SecretStore {
  readonly kind = 'coder';
  readonly capabilities: BackendCapabilities = Object.freeze({
    fileOwnerAndMode: false,
    defaults: false,
    valueVersion: false,
    readValue: false,
  });
  /** The deployment URL in use (normalised, without a trailing slash). */
  readonly url: string;

  readonly #http: CoderHttp;
  readonly #resolveMe: boolean;
  #enabledField: boolean | undefined;
  #batchEndpoint: boolean | undefined;
  #me: string | undefined;
  #meUnresolvable = false;
  #closed = false;

  constructor(options: CoderSecretStoreOptions = {}) {
    const env = options.env ?? process.env;
    const rawUrl = firstSet(options.url, env.CODER_URL, env.CODER_AGENT_URL);
    const token = firstSet(options.token, env.CODER_WORKSPACE_OWNER_SESSION_TOKEN, env.CODER_SESSION_TOKEN);
    this.url = normaliseUrl(rawUrl);
    if (token === '') {
      throw new SecretStoreError(
        'unauthorized',
        'the Coder backend needs a session token: set coder_token, $CODER_SESSION_TOKEN, or (in a workspace build) ' +
          '$CODER_WORKSPACE_OWNER_SESSION_TOKEN',
        {
          field: 'token',
        },
      );
    }
    if (!/^[\x21-\x7e]+$/.test(token)) {
      throw new SecretStoreError(
        'validation',
        'the Coder session token contains characters an HTTP header cannot carry',
        {
          field: 'token',
        },
      );
    }
    this.#http = new CoderHttp({
      baseUrl: this.url,
      token,
      retries: options.retries ?? 3,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 250,
      retryMaxDelayMs: options.retryMaxDelayMs ?? 5000,
      timeoutMs: options.timeoutMs ?? 30_000,
      onRequest: options.onRequest,
    });
    this.#enabledField = options.serverFeatures?.enabledField;
    this.#batchEndpoint = options.serverFeatures?.batchEndpoint;
    this.#resolveMe = options.resolveMe ?? true;
  }

  /** What is known so far about the server (undefined: not yet detected). */
  get serverFeatures(): { readonly enabledField?: boolean; readonly batchEndpoint?: boolean } {
    return { enabledField: this.#enabledField, batchEndpoint: this.#batchEndpoint };
  }

  async create(user: string, input: CreateSecretInput): Promise<SecretMetadata> {
    return this.#run(async () => {
      rejectNotOnCoder(input, '');
      validUser(user);
      const fields = validateCreate(input, '');
      return this.#createOne(user, fields, '');
    });
  }

  async update(user: string, name: string, patch: UpdateSecretInput): Promise<SecretMetadata> {
    return this.#run(async () => {
      rejectNotOnCoder(patch, '');
      validUser(user);
      validName(name);
      validatePatch(patch);
      let sendEnabled = patch.enabled !== undefined;
      let current: ParsedSecret | undefined;
      const touchesDelivery =
        patch.enabled !== undefined || patch.envName !== undefined || patch.filePath !== undefined;
      if (touchesDelivery && this.#enabledField !== true) {
        // Only an old server needs the current state: it has no `enabled`, so the client decides.
        current = await this.#getParsed(user, name);
        if (!current.hasEnabled) {
          const envName = patch.envName ?? current.metadata.envName;
          const filePath = patch.filePath ?? current.metadata.filePath;
          const enabled = patch.enabled ?? current.metadata.enabled;
          throwIfViolated(checkEnabledHasTarget(enabled, envName, filePath));
          if (!enabled && (envName !== '' || filePath !== '')) throw enabledUnsupported('', name, this.url);
          sendEnabled = false;
        }
      }
      const body: Record<string, unknown> = {};
      if (patch.value !== undefined) body.value = patch.value;
      if (patch.description !== undefined) body.description = patch.description;
      if (patch.envName !== undefined) body.env_name = patch.envName;
      if (patch.filePath !== undefined) body.file_path = patch.filePath;
      if (sendEnabled) body.enabled = patch.enabled;
      // On an old server `enabled: true` for a delivered secret changes nothing: nothing to send.
      if (Object.keys(body).length === 0 && current !== undefined) return current.metadata;
      const result = await this.#http.send({
        method: 'PATCH',
        path: this.#item(user, name),
        body,
        retry: false,
        context: { user, name, values: patch.value === undefined ? [] : [patch.value] },
      });
      return this.#learn(parseSecret(result.body, await this.#owner(user))).metadata;
    });
  }

  async get(user: string, name: string): Promise<SecretMetadata> {
    return this.#run(async () => {
      validUser(user);
      validName(name);
      return (await this.#getParsed(user, name)).metadata;
    });
  }

  async list(user: string): Promise<SecretMetadata[]> {
    return this.#run(async () => {
      validUser(user);
      return (await this.#listParsed(user)).map((p) => p.metadata).sort((a, b) => compareNames(a.name, b.name));
    });
  }

  async delete(user: string, name: string): Promise<void> {
    return this.#run(async () => {
      validUser(user);
      validName(name);
      const result = await this.#http.send({
        method: 'DELETE',
        path: this.#item(user, name),
        retry: true,
        accept: [404],
        context: { user, name },
      });
      // A 404 after an attempt whose answer was lost means that attempt deleted it.
      if (result.status === 404 && !result.retried) throw new SecretNotFoundError(user, name);
    });
  }

  async readValue(_user: string, _name: string): Promise<SecretText> {
    throw new SecretStoreError('unsupported', READ_VALUE_UNSUPPORTED, { field: 'value', retryable: false });
  }

  async importBatch(user: string, inputs: readonly CreateSecretInput[]): Promise<SecretMetadata[]> {
    return this.#run(async () => {
      validUser(user);
      inputs.forEach((input, i) => rejectNotOnCoder(input, itemPrefix(i, input.name)));
      const batch = inputs.map((input, i) => validateCreate(input, itemPrefix(i, input.name)));
      checkBatchDuplicates(batch, itemPrefix);
      if (batch.length === 0) return [];
      checkBatchLimits(user, batch, 0);
      const existing = (await this.#listParsed(user)).map((p) => p.metadata);
      checkBatchLimits(user, batch, existing.length);
      checkBatchAgainstExisting(user, batch, existing);
      const disabledWithTarget = batch.findIndex((f) => !f.enabled && hasTarget(f));
      if (disabledWithTarget >= 0) {
        if (this.#enabledField === undefined) await this.#detectEnabledFromBuild();
        if (this.#enabledField === false) {
          const fields = batch[disabledWithTarget] as CreateFields;
          throw enabledUnsupported(itemPrefix(disabledWithTarget, fields.name), fields.name, this.url);
        }
      }
      if (this.#batchEndpoint !== false && batch.every(fitsImportFile)) {
        const imported = await this.#importFile(user, batch);
        if (imported !== undefined) return imported;
      }
      return this.#createSequentially(user, batch);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#http.close();
  }

  // -------------------------------------------------------------------------------------------

  #collection(user: string): string {
    return `/api/v2/users/${encodeURIComponent(user)}/secrets`;
  }

  #item(user: string, name: string): string {
    return `${this.#collection(user)}/${encodeURIComponent(name)}`;
  }

  /** Remembers whether the server knows `enabled`, from the shape of a secret it returned. */
  #learn(parsed: ParsedSecret): ParsedSecret {
    this.#enabledField = parsed.hasEnabled;
    return parsed;
  }

  async #getParsed(user: string, name: string): Promise<ParsedSecret> {
    const result = await this.#http.send({
      method: 'GET',
      path: this.#item(user, name),
      retry: true,
      context: { user, name },
    });
    return this.#learn(parseSecret(result.body, await this.#owner(user)));
  }

  async #listParsed(user: string): Promise<ParsedSecret[]> {
    const result = await this.#http.send({
      method: 'GET',
      path: this.#collection(user),
      retry: true,
      context: { user },
    });
    const parsed = parseSecretList(result.body, await this.#owner(user));
    if (parsed.length > 0) this.#learn(parsed[0] as ParsedSecret);
    return parsed;
  }

  async #createOne(user: string, fields: CreateFields, prefix: string): Promise<SecretMetadata> {
    const disabledWithTarget = !fields.enabled && hasTarget(fields);
    if (disabledWithTarget && this.#enabledField === undefined) {
      await this.#listParsed(user);
      if (this.#enabledField === undefined) await this.#detectEnabledFromBuild();
    }
    if (disabledWithTarget && this.#enabledField === false) throw enabledUnsupported(prefix, fields.name, this.url);
    const body: Record<string, unknown> = { name: fields.name, value: fields.value };
    if (fields.description !== '') body.description = fields.description;
    if (fields.envName !== '') body.env_name = fields.envName;
    if (fields.filePath !== '') body.file_path = fields.filePath;
    if (fields.enabledGiven && this.#enabledField !== false) body.enabled = fields.enabled;
    const result = await this.#http.send({
      method: 'POST',
      path: this.#collection(user),
      body,
      retry: false,
      context: { user, values: [fields.value] },
    });
    const parsed = this.#learn(parseSecret(result.body, await this.#owner(user)));
    if (disabledWithTarget && !parsed.hasEnabled) {
      // The server ignored `enabled: false` (a version the build number did not give away): the
      // secret would be delivered, so take it back.
      await this.#rollback(user, [fields.name]);
      throw enabledUnsupported(prefix, fields.name, this.url);
    }
    return parsed.metadata;
  }

  /** `enabled` arrived in v2.36; a development build (v0.0.0) is taken as current. */
  async #detectEnabledFromBuild(): Promise<void> {
    try {
      const result = await this.#http.send({
        method: 'GET',
        path: '/api/v2/buildinfo',
        retry: true,
        context: { user: ME },
      });
      const version = (result.body as { version?: unknown } | undefined)?.version;
      const m = typeof version === 'string' ? /^v?(\d+)\.(\d+)\./.exec(version) : null;
      if (m === null || Number(m[1]) === 0) return;
      const [major, minor] = [Number(m[1]), Number(m[2])];
      this.#enabledField = major > 2 || (major === 2 && minor >= 36);
    } catch {
      // Unknown: the create's answer is checked instead.
    }
  }

  /** Coder's atomic import; undefined when the server has no `/batch` (then: one by one). */
  async #importFile(user: string, batch: readonly CreateFields[]): Promise<SecretMetadata[] | undefined> {
    const names = batch.map((f) => f.name);
    // The file text is itself secret: it is revealed only when the request body is serialised.
    const content = new SecretText(JSON.stringify(Object.fromEntries(batch.map((f) => [f.name, f.value.reveal()]))));
    const result = await this.#http.send({
      method: 'POST',
      path: `${this.#collection(user)}/batch`,
      body: { format: 'json', content },
      retry: false,
      accept: [404, 405],
      context: { user, batchNames: names, values: [...batch.map((f) => f.value), content] },
    });
    if (result.status === 404 || result.status === 405) {
      this.#batchEndpoint = false;
      return undefined;
    }
    this.#batchEndpoint = true;
    const owner = await this.#owner(user);
    const parsed = parseSecretList(result.body, owner);
    if (parsed.length > 0) this.#learn(parsed[0] as ParsedSecret);
    const byName = new Map(parsed.map((p) => [p.metadata.name, p.metadata]));
    const ordered = batch.map((f) => byName.get(f.name));
    const faithful = ordered.every(
      (m, i) =>
        m !== undefined &&
        m.envName === (batch[i] as CreateFields).envName &&
        m.filePath === '' &&
        m.description === '' &&
        m.enabled,
    );
    if (faithful && parsed.length === batch.length) return ordered as SecretMetadata[];
    // The server derived something else (e.g. a different reserved env-name list): undo the import
    // and create one by one, so the server's own error names the problem.
    const leftovers = await this.#rollback(user, names);
    if (leftovers.length > 0) {
      throw new SecretStoreError(
        'unavailable',
        `Coder imported the batch with other delivery settings than requested, and ${quoteList(leftovers)} could not be deleted again; delete them by hand`,
        { retryable: false },
      );
    }
    return this.#createSequentially(user, batch);
  }

  async #createSequentially(user: string, batch: readonly CreateFields[]): Promise<SecretMetadata[]> {
    const created: SecretMetadata[] = [];
    for (const [i, fields] of batch.entries()) {
      try {
        created.push(await this.#createOne(user, fields, itemPrefix(i, fields.name)));
      } catch (error) {
        // A create that was sent but not answered may have happened: remove it too (404 is fine).
        const unknownOutcome = isSecretStoreError(error) && error.code === 'unavailable' && error.retryable;
        const names = created.map((m) => m.name);
        if (unknownOutcome) names.push(fields.name);
        const leftovers = await this.#rollback(user, names);
        throw importFailure(error, itemPrefix(i, fields.name), created.length, leftovers);
      }
    }
    return created;
  }

  /** Deletes `names` (newest first); returns those that could not be deleted. */
  async #rollback(user: string, names: readonly string[]): Promise<string[]> {
    const leftovers: string[] = [];
    for (const name of [...names].reverse()) {
      try {
        await this.#http.send({
          method: 'DELETE',
          path: this.#item(user, name),
          retry: true,
          accept: [404],
          context: { user, name },
        });
      } catch {
        leftovers.unshift(name);
      }
    }
    return leftovers;
  }

  /** The owner for `SecretMetadata.user`: `me` resolved to the username where possible. */
  async #owner(user: string): Promise<string> {
    if (user !== ME || !this.#resolveMe || this.#meUnresolvable) return user;
    if (this.#me !== undefined) return this.#me;
    try {
      const result = await this.#http.send({
        method: 'GET',
        path: '/api/v2/users/me',
        retry: false,
        context: { user },
      });
      const username = (result.body as { username?: unknown } | undefined)?.username;
      if (typeof username === 'string' && username !== '') this.#me = username;
      else this.#meUnresolvable = true;
    } catch (error) {
      // Not fatal: metadata then says `me`. A refusal (e.g. a token scoped to user_secret only) is
      // remembered; a transient failure is tried again next time.
      if (!(isSecretStoreError(error) && error.retryable)) this.#meUnresolvable = true;
    }
    return this.#me ?? user;
  }

  async #run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#closed)
      throw new SecretStoreError('unavailable', 'the Coder secret store is closed', { retryable: false });
    try {
      return await operation();
    } catch (error) {
      if (error instanceof SecretStoreError) throw error;
      // Only the error's class name: messages of lower layers are not trusted to be value-free.
      const kind = error instanceof Error ? error.name : typeof error;
      throw new SecretStoreError('unavailable', `the Coder client failed unexpectedly (${kind})`, { retryable: false });
    }
  }
}

// ---------------------------------------------------------------------------------------------

function normaliseUrl(raw: string): string {
  const trimmed = raw.trim();
  if (trimmed === '') {
    throw new SecretStoreError('validation', 'the Coder backend needs a deployment URL: set url or $CODER_URL', {
      field: 'url',
    });
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)
    ? trimmed
    : `${/^(localhost|127\.|\[::1\])/i.test(trimmed) ? 'http' : 'https'}://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new SecretStoreError('validation', 'the Coder URL is not a valid URL', { field: 'url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SecretStoreError('validation', `the Coder URL must use http or https, not ${url.protocol}`, {
      field: 'url',
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new SecretStoreError('validation', 'the Coder URL must not contain credentials; pass the token separately', {
      field: 'url',
    });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** `.` and `..` pass the shared rules but cannot be a URL path segment (`fetch` normalises them away). */
function checkSegment(value: string, field: string): RuleViolation | undefined {
  if (value !== '.' && value !== '..') return undefined;
  return {
    field,
    message: `${field} "${value}" cannot be used with Coder: it cannot be addressed as a URL path segment`,
  };
}

function validUser(user: string): void {
  throwIfViolated(checkUser(user));
  throwIfViolated(checkSegment(user, 'user'));
}

function validName(name: string, prefix = ''): void {
  throwIfViolated(checkName(name), prefix);
  throwIfViolated(checkSegment(name, 'name'), prefix);
}

function itemPrefix(index: number, name: unknown): string {
  return `import item ${index + 1}${typeof name === 'string' ? ` ("${name}")` : ''}: `;
}

/** Say plainly what Coder cannot store, rather than dropping it. */
function rejectNotOnCoder(input: object, prefix: string): void {
  const extra = input as NotOnCoder;
  if (extra.fileOwner !== undefined && extra.fileOwner !== '') {
    throw new SecretStoreError(
      'unsupported',
      `${prefix}Coder cannot set a file owner: its agent writes secret files as the workspace user; remove file_owner or use another backend`,
      { field: 'file_owner' },
    );
  }
  if (extra.fileMode !== undefined) {
    throw new SecretStoreError(
      'unsupported',
      `${prefix}Coder cannot set a file mode: its agent creates secret files with mode 0600 and keeps the mode of existing files; remove file_mode or use another backend`,
      { field: 'file_mode' },
    );
  }
  if (extra.isDefault === true) {
    throw new SecretStoreError(
      'unsupported',
      `${prefix}Coder has no default secrets: every enabled secret is delivered to all of the user's workspaces; remove default or use another backend`,
      { field: 'default' },
    );
  }
}

function validateCreate(input: CreateSecretInput, prefix: string): CreateFields {
  const fields: CreateFields = {
    name: input.name,
    value: input.value,
    description: input.description ?? '',
    envName: input.envName ?? '',
    filePath: input.filePath ?? '',
    enabled: input.enabled ?? true,
    enabledGiven: input.enabled !== undefined,
  };
  if (typeof fields.name !== 'string') throw new SecretValidationError('name', `${prefix}name must be a string`);
  validName(fields.name, prefix);
  assertSecretValue(fields.value, prefix);
  if (typeof fields.description !== 'string') {
    throw new SecretValidationError('description', `${prefix}description must be a string`);
  }
  throwIfViolated(checkEnvName(fields.envName), prefix);
  throwIfViolated(checkFilePath(fields.filePath), prefix);
  if (typeof fields.enabled !== 'boolean')
    throw new SecretValidationError('enabled', `${prefix}enabled must be a boolean`);
  throwIfViolated(checkEnabledHasTarget(fields.enabled, fields.envName, fields.filePath), prefix);
  return fields;
}

function validatePatch(patch: UpdateSecretInput): void {
  const given = [patch.value, patch.description, patch.envName, patch.filePath, patch.enabled].filter(
    (v) => v !== undefined,
  );
  if (given.length === 0) throw new SecretValidationError('patch', 'at least one field must be provided');
  // Also keeps `""` off the wire: Coder's PATCH would store an empty value.
  if (patch.value !== undefined) assertSecretValue(patch.value);
  if (patch.description !== undefined && typeof patch.description !== 'string') {
    throw new SecretValidationError('description', 'description must be a string');
  }
  if (patch.envName !== undefined) throwIfViolated(checkEnvName(patch.envName));
  if (patch.filePath !== undefined) throwIfViolated(checkFilePath(patch.filePath));
  if (patch.enabled !== undefined && typeof patch.enabled !== 'boolean') {
    throw new SecretValidationError('enabled', 'enabled must be a boolean');
  }
  // Certain without the current state: both targets cleared while enabling.
  if (patch.enabled === true && patch.envName === '' && patch.filePath === '')
    throwIfViolated(checkEnabledHasTarget(true, '', ''));
}

function hasTarget(fields: { readonly envName: string; readonly filePath: string }): boolean {
  return fields.envName !== '' || fields.filePath !== '';
}

function enabledUnsupported(prefix: string, name: string, url: string): SecretStoreError {
  return new SecretStoreError(
    'unsupported',
    `${prefix}the Coder server at ${url} has no "enabled" flag (it predates v2.36), so secret "${name}" cannot keep ` +
      'an env_name or file_path without being delivered: remove its targets to keep it undelivered, set enabled = true, or upgrade Coder',
    { field: 'enabled' },
  );
}

/** Exactly what an import file can say: Coder derives env_name from the key and sets nothing else. */
function fitsImportFile(fields: CreateFields): boolean {
  return (
    fields.description === '' &&
    fields.filePath === '' &&
    fields.enabled &&
    fields.envName !== '' &&
    fields.envName === fields.name &&
    checkEnvName(fields.name) === undefined
  );
}


/** Only limits the client can be certain of: the batch alone, or the count with existing secrets. */
function checkBatchLimits(user: string, batch: readonly CreateFields[], existing: number): void {
  const { secretsPerUser, totalValueBytes, envInjectedBytes } = CODER_LIMITS;
  if (existing + batch.length > secretsPerUser) {
    throw new SecretStoreError(
      'limit',
      `importing ${batch.length} secrets would give user "${user}" ${existing + batch.length}; Coder allows at most ${secretsPerUser} secrets per user`,
    );
  }
  const total = batch.reduce((sum, f) => sum + f.value.byteLength, 0);
  if (total > totalValueBytes) {
    throw new SecretStoreError(
      'limit',
      `the values of this import total ${total} bytes; Coder allows at most ${totalValueBytes} bytes (200 KiB) of values per user`,
      { field: 'value' },
    );
  }
  const injected = batch.filter((f) => f.enabled && f.envName !== '').reduce((sum, f) => sum + f.value.byteLength, 0);
  if (injected > envInjectedBytes) {
    throw new SecretStoreError(
      'limit',
      `the env-injected values of this import total ${injected} bytes; Coder allows at most ${envInjectedBytes} bytes (24 KiB) of environment-injected values per user`,
      { field: 'env_name' },
    );
  }
}

function checkBatchAgainstExisting(
  user: string,
  batch: readonly CreateFields[],
  existing: readonly SecretMetadata[],
): void {
  const names = new Set(existing.map((m) => m.name));
  const envNames = new Map(existing.filter((m) => m.envName !== '').map((m) => [m.envName, m.name]));
  const filePaths = new Map(existing.filter((m) => m.filePath !== '').map((m) => [m.filePath, m.name]));
  batch.forEach((fields, i) => {
    const prefix = itemPrefix(i, fields.name);
    if (names.has(fields.name)) {
      throw new SecretConflictError(`${prefix}secret "${fields.name}" of user "${user}" already exists`, 'name');
    }
    const envOwner = fields.envName === '' ? undefined : envNames.get(fields.envName);
    if (envOwner !== undefined) {
      throw new SecretConflictError(
        `${prefix}env_name "${fields.envName}" is already used by secret "${envOwner}"`,
        'env_name',
      );
    }
    const fileOwner = fields.filePath === '' ? undefined : filePaths.get(fields.filePath);
    if (fileOwner !== undefined) {
      throw new SecretConflictError(
        `${prefix}file_path "${fields.filePath}" is already used by secret "${fileOwner}"`,
        'file_path',
      );
    }
  });
}

function quoteList(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

/** The failure of one create in a sequential import, with what happened to the rest. */
function importFailure(
  error: unknown,
  prefix: string,
  createdBefore: number,
  leftovers: readonly string[],
): SecretStoreError {
  const base = isSecretStoreError(error)
    ? error
    : new SecretStoreError('unavailable', 'the Coder client failed unexpectedly');
  const head = base.message.startsWith('import item ') ? base.message : `${prefix}${base.message}`;
  const tail =
    leftovers.length > 0
      ? `; the import is INCOMPLETE: ${quoteList(leftovers)} could not be deleted again, delete them by hand`
      : createdBefore > 0
        ? `; nothing was imported (the ${createdBefore} secret(s) created before it were deleted again)`
        : '; nothing was imported';
  const message = head + tail;
  if (base instanceof SecretConflictError) return new SecretConflictError(message, base.field ?? 'name');
  if (base instanceof SecretValidationError) return new SecretValidationError(base.field ?? 'value', message);
  if (base instanceof BackendUnavailableError && leftovers.length === 0) return new BackendUnavailableError(message);
  return new SecretStoreError(base.code, message, {
    field: base.field,
    retryable: base.retryable && leftovers.length === 0,
  });
}

/** The first of the candidates that is set and not blank, trimmed; '' when none is. */
function firstSet(...candidates: readonly (string | undefined)[]): string {
  for (const candidate of candidates) {
    const trimmed = candidate?.trim();
    if (trimmed) return trimmed;
  }
  return '';
}
