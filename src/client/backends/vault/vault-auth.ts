/**
 * Tokens for the Vault backend: log in lazily, keep the token alive, log in again when needed.
 *
 * - `token`: the given token is used as is. On first use `auth/token/lookup-self` tells its TTL;
 *   a renewable token with a TTL is renewed with `auth/token/renew-self` when `renewFraction`
 *   (2/3) of it has passed, again and again until its max TTL caps it.
 * - `approle`, `jwt`, `kubernetes`: log in on first use; renew at 2/3 of the lease; when a renewal
 *   fails or the max TTL caps the lease, log in again at 2/3 of what is left instead. A request
 *   answered 403 is retried once after a fresh login (the token may have been revoked or have
 *   expired while the process slept).
 *
 * All timers are `unref()`ed, so they never keep a process alive; `close()` clears them and (by
 * default) revokes a token this store obtained itself. Tokens appear in no message or log.
 */
import { BackendUnavailableError, SecretStoreError } from '../../errors';
import type { ResolvedAuth } from './vault-config';
import { vaultErrors, type VaultHttpClient } from './vault-http';

export interface TokenInfo {
  readonly displayName: string;
  readonly entityId: string;
  readonly meta: Readonly<Record<string, string>>;
  /** Seconds left; 0 for a token that never expires (root). */
  readonly ttl: number;
  readonly renewable: boolean;
}

interface Session {
  readonly token: string;
  /** Lease in seconds as last granted; 0 = does not expire. */
  ttl: number;
  renewable: boolean;
  /** What to ask for at renewal (the TTL the token was created with). */
  readonly increment: number;
  /** When `ttl` was granted. */
  grantedAt: number;
}

export interface AuthenticatorOptions {
  readonly renewFraction: number;
  readonly revokeOnClose: boolean;
}

const MIN_TIMER_MS = 500;

export class VaultAuthenticator {
  readonly #http: VaultHttpClient;
  readonly #auth: ResolvedAuth;
  readonly #options: AuthenticatorOptions;
  #session: Session | undefined;
  #pending: Promise<Session> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #info: TokenInfo | undefined;
  /** The SecretID inside a wrapping token, once unwrapped (a wrapping token works only once). */
  #unwrappedSecretId: string | undefined;

  constructor(http: VaultHttpClient, auth: ResolvedAuth, options: AuthenticatorOptions) {
    this.#http = http;
    this.#auth = auth;
    this.#options = options;
  }

  /** True for methods that log in (and so can log in again). */
  get loginBased(): boolean {
    return this.#auth.method !== 'token';
  }

  get method(): ResolvedAuth['method'] {
    return this.#auth.method;
  }

  /** The mount of the login method (`approle`, `jwt`, …), for display-name parsing. */
  get authMount(): string | undefined {
    return this.#auth.method === 'token' ? undefined : this.#auth.mount;
  }

  /** A usable token, logging in first if needed. */
  async token(): Promise<string> {
    if (this.#closed)
      throw new SecretStoreError('unavailable', 'the Vault secret store is closed', { retryable: false });
    if (this.#session !== undefined) return this.#session.token;
    return (await this.#start()).token;
  }

  /**
   * Called after a 403 with `used`. For a login method whose token no longer works (lookup-self
   * fails too: revoked, expired), logs in again (once, shared by concurrent callers) and returns
   * true when the request is worth retrying. A token that still works got a policy "no".
   */
  async refreshAfterForbidden(used: string): Promise<boolean> {
    if (!this.loginBased || this.#closed) return false;
    if (this.#session !== undefined && this.#session.token !== used) return true;
    // A live token means the policy said no: logging in again would not change that.
    if ((await this.#lookup(used).catch(() => undefined)) !== undefined) return false;
    if (this.#session !== undefined && this.#session.token !== used) return true;
    if (this.#pending === undefined) {
      this.#session = undefined;
      this.#clearTimer();
    }
    await this.#start();
    return true;
  }

  /** `auth/token/lookup-self` of the current token, cached for the life of the store. */
  async lookupSelf(): Promise<TokenInfo> {
    if (this.#info !== undefined) return this.#info;
    const token = await this.token();
    const info = await this.#lookup(token);
    if (info === undefined) {
      throw new SecretStoreError(
        'unauthorized',
        'the Vault token may not look itself up (auth/token/lookup-self); set the identity option',
        {
          retryable: false,
        },
      );
    }
    this.#info = info;
    return info;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTimer();
    const session = this.#session ?? (await this.#pending?.catch(() => undefined));
    this.#session = undefined;
    if (session !== undefined && this.loginBased && this.#options.revokeOnClose) {
      await this.#http
        .request({
          method: 'POST',
          path: 'auth/token/revoke-self',
          token: session.token,
          retry: false,
          timeoutMs: 2000,
        })
        .catch(() => undefined);
    }
  }

  #start(): Promise<Session> {
    if (this.#pending !== undefined) return this.#pending;
    const pending = (this.#auth.method === 'token' ? this.#adoptToken(this.#auth.token) : this.#login()).then(
      (session) => {
        if (this.#pending === pending) this.#pending = undefined;
        if (this.#closed) return session;
        this.#session = session;
        this.#schedule(session);
        return session;
      },
      (error: unknown) => {
        if (this.#pending === pending) this.#pending = undefined;
        throw error;
      },
    );
    this.#pending = pending;
    return pending;
  }

  async #adoptToken(token: string): Promise<Session> {
    // A token that may not look itself up still works for KV; it is just not renewed.
    const info = await this.#lookup(token);
    if (info !== undefined) this.#info = info;
    return {
      token,
      ttl: info?.ttl ?? 0,
      renewable: info?.renewable ?? false,
      increment: info?.creationTtl ?? 0,
      grantedAt: Date.now(),
    };
  }

  /** Undefined when the token may not look itself up (403). */
  async #lookup(token: string): Promise<(TokenInfo & { creationTtl: number }) | undefined> {
    const response = await this.#http.request({ method: 'GET', path: 'auth/token/lookup-self', token });
    if (response.status === 403) return undefined;
    if (response.status !== 200) throw unexpected('auth/token/lookup-self', response.status, response.body);
    const data = objectField(response.body, 'data');
    const meta = objectField(data, 'meta');
    return {
      displayName: stringField(data, 'display_name') ?? '',
      entityId: stringField(data, 'entity_id') ?? '',
      meta: Object.fromEntries(
        Object.entries(meta ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
      ),
      ttl: numberField(data, 'ttl') ?? 0,
      renewable: data?.renewable === true,
      creationTtl: numberField(data, 'creation_ttl') ?? 0,
    };
  }

  async #login(): Promise<Session> {
    const auth = this.#auth;
    let body: Record<string, string>;
    let secrets: string[];
    switch (auth.method) {
      case 'approle': {
        let secretId = auth.secretId();
        if (secretId === undefined && auth.wrappedSecretId !== undefined) {
          secretId = this.#unwrappedSecretId ??= await this.#unwrapSecretId(auth.wrappedSecretId, auth.mount);
        }
        body = secretId === undefined ? { role_id: auth.roleId } : { role_id: auth.roleId, secret_id: secretId };
        secrets = secretId === undefined ? [] : [secretId];
        break;
      }
      case 'jwt':
      case 'kubernetes': {
        const jwt = auth.jwt();
        body = { role: auth.role, jwt };
        secrets = [jwt];
        break;
      }
      default:
        throw new Error('not a login method');
    }
    const path = `auth/${auth.mount.split('/').map(encodeURIComponent).join('/')}/login`;
    const response = await this.#http.request({ method: 'POST', path, body });
    if (response.status !== 200) {
      let detail = vaultErrors(response.body);
      for (const s of secrets) if (s.length >= 4) detail = detail.split(s).join('[redacted]');
      if (response.status === 400 || response.status === 403 || response.status === 401) {
        throw new SecretStoreError(
          'unauthorized',
          `Vault ${auth.method} login at auth/${auth.mount} was refused${detail === '' ? '' : `: ${detail}`}`,
          { retryable: false },
        );
      }
      throw unexpected(path, response.status, undefined);
    }
    const result = objectField(response.body, 'auth');
    const token = stringField(result, 'client_token');
    if (token === undefined || token === '') throw unexpected(path, response.status, undefined);
    const ttl = numberField(result, 'lease_duration') ?? 0;
    return { token, ttl, renewable: result?.renewable === true, increment: ttl, grantedAt: Date.now() };
  }

  /**
   * Unwraps a response-wrapped SecretID: `sys/wrapping/lookup` first, so a token that is no
   * longer valid (someone else unwrapped it, or it expired) or was not made by this AppRole
   * mount's `secret-id` endpoint is refused before use; then `sys/wrapping/unwrap`, once.
   */
  async #unwrapSecretId(wrappingToken: string, mount: string): Promise<string> {
    const what = 'the wrapped AppRole SecretID (COFFER_VAULT_WRAPPED_SECRET_ID)';
    const intercepted = new SecretStoreError(
      'unauthorized',
      `${what} was already unwrapped or has expired. A wrapping token is single use: if this ` +
        'workspace did not unwrap it before, someone else may have intercepted it — revoke the ' +
        "role's SecretIDs and find out who read it; then mint a fresh one",
      { retryable: false },
    );
    const lookup = await this.#http.request({
      method: 'POST',
      path: 'sys/wrapping/lookup',
      body: { token: wrappingToken },
      retry: false,
    });
    if (lookup.status === 400 || lookup.status === 403 || lookup.status === 404) throw intercepted;
    if (lookup.status !== 200) throw unexpected('sys/wrapping/lookup', lookup.status, lookup.body);
    const creationPath = stringField(objectField(lookup.body, 'data'), 'creation_path') ?? '';
    const expected = new RegExp(`^auth/${escapeRegExp(mount)}/role/[^/]+/(custom-)?secret-id$`);
    if (!expected.test(creationPath)) {
      throw new SecretStoreError(
        'unauthorized',
        `${what} was not made by auth/${mount}/role/NAME/secret-id (it wraps the answer of ` +
          `"${creationPath}"): refusing to use it — it may have been swapped`,
        { retryable: false },
      );
    }
    const unwrap = await this.#http.request({
      method: 'POST',
      path: 'sys/wrapping/unwrap',
      token: wrappingToken,
      retry: false,
    });
    if (unwrap.status === 400 || unwrap.status === 403) throw intercepted;
    if (unwrap.status !== 200) throw unexpected('sys/wrapping/unwrap', unwrap.status, undefined);
    const secretId = stringField(objectField(unwrap.body, 'data'), 'secret_id');
    if (secretId === undefined || secretId === '') {
      throw new SecretStoreError('unauthorized', `${what} did not hold a secret_id`, { retryable: false });
    }
    return secretId;
  }

  #schedule(session: Session): void {
    this.#clearTimer();
    if (this.#closed || session.ttl <= 0) return;
    const delay = Math.max(MIN_TIMER_MS, session.ttl * 1000 * this.#options.renewFraction);
    if (session.renewable) {
      this.#setTimer(() => void this.#renew(session), delay);
    } else if (this.loginBased) {
      this.#setTimer(() => void this.#relogin(session), delay);
    }
  }

  #setTimer(fn: () => void, delay: number): void {
    this.#timer = setTimeout(fn, delay);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #renew(session: Session): Promise<void> {
    if (this.#closed || this.#session !== session) return;
    let granted: number | undefined;
    let renewable = false;
    try {
      const response = await this.#http.request({
        method: 'POST',
        path: 'auth/token/renew-self',
        token: session.token,
        body: session.increment > 0 ? { increment: `${session.increment}s` } : {},
      });
      if (response.status === 200) {
        const auth = objectField(response.body, 'auth');
        granted = numberField(auth, 'lease_duration');
        renewable = auth?.renewable === true;
      }
    } catch {
      granted = undefined;
    }
    if (this.#closed || this.#session !== session) return;
    if (granted === undefined) {
      // Renewal failed: a login method logs in again; a plain token retries while time is left.
      if (this.loginBased) return this.#relogin(session);
      const left = session.ttl * 1000 - (Date.now() - session.grantedAt);
      if (left > 2 * MIN_TIMER_MS) this.#setTimer(() => void this.#renew(session), left / 2);
      return;
    }
    session.ttl = granted;
    session.grantedAt = Date.now();
    session.renewable = renewable;
    const capped = session.increment > 0 && granted < session.increment;
    if (capped) {
      // The max TTL is near: renewing again cannot help. A login method logs in afresh in time.
      this.#clearTimer();
      if (this.loginBased && granted > 0) {
        this.#setTimer(
          () => void this.#relogin(session),
          Math.max(MIN_TIMER_MS, granted * 1000 * this.#options.renewFraction),
        );
      }
      return;
    }
    this.#schedule(session);
  }

  async #relogin(session: Session): Promise<void> {
    if (this.#closed || this.#session !== session) return;
    try {
      const fresh = await this.#login();
      if (this.#closed || this.#session !== session) return;
      this.#session = fresh;
      this.#schedule(fresh);
    } catch {
      // Keep the old token while it lasts; try again at half the remaining time, or on next use.
      const left = session.ttl * 1000 - (Date.now() - session.grantedAt);
      if (left > 2 * MIN_TIMER_MS) this.#setTimer(() => void this.#relogin(session), left / 2);
      else this.#session = undefined;
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function unexpected(path: string, status: number, body: unknown): SecretStoreError {
  const detail = vaultErrors(body);
  if (status === 429 || status >= 500 || status === 0) {
    return new BackendUnavailableError(`Vault answered ${status} to ${path}${detail === '' ? '' : `: ${detail}`}`);
  }
  return new SecretStoreError(
    'unavailable',
    `Vault answered ${status} to ${path}${detail === '' ? '' : `: ${detail}`}`,
    {
      retryable: false,
    },
  );
}

export function objectField(value: unknown, key: string): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'object' && field !== null && !Array.isArray(field)
    ? (field as Record<string, unknown>)
    : undefined;
}

export function stringField(value: Record<string, unknown> | undefined, key: string): string | undefined {
  const field = value?.[key];
  return typeof field === 'string' ? field : undefined;
}

export function numberField(value: Record<string, unknown> | undefined, key: string): number | undefined {
  const field = value?.[key];
  return typeof field === 'number' && Number.isFinite(field) ? field : undefined;
}
