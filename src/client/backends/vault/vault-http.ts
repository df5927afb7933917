/**
 * A small typed HTTP client for the Vault/OpenBao API.
 *
 * Built on `node:http`/`node:https` rather than the global `fetch`: Node 20 bundles undici but
 * does not expose its `Agent`, and without it `fetch` cannot take a custom CA or turn TLS
 * verification off per client. One code path serves both `http:` and `https:`: a keep-alive agent
 * (connections are reused across calls; `close()` destroys it), TLS verification on unless the
 * caller explicitly skips it.
 *
 * Retries: exponential backoff with full jitter on 412/429/472/473/5xx and on connection errors
 * and timeouts, bounded by `maxAttempts` and `maxRetryTimeMs`; `Retry-After` is honoured within
 * that budget. The request log gets method, path, status, duration and attempt — never a header,
 * a body or a query string.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { BackendUnavailableError, SecretStoreError } from '../../errors';

export type VaultMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'LIST';

/** One attempt of one request, as the request log sees it. */
export interface VaultRequestLogEntry {
  readonly method: VaultMethod;
  /** API path after `/v1/`, URL-encoded, without the query string. */
  readonly path: string;
  /** HTTP status, or 0 when no response arrived. */
  readonly status: number;
  readonly ms: number;
  /** 1 for the first try. */
  readonly attempt: number;
  /** For status 0: the error code (`ECONNREFUSED`, `timeout`, …). */
  readonly error?: string;
}

export type VaultRequestLog = (entry: VaultRequestLogEntry) => void;

export interface VaultHttpOptions {
  /** `https://vault.example:8200` (a path such as `/vault` in front of `/v1` is kept). */
  readonly address: string;
  readonly namespace?: string;
  /** PEM CA certificates trusted for `https:` (replaces the system roots, like the Vault CLI). */
  readonly ca?: string[];
  /** Turns TLS verification off. Only for development. @default false */
  readonly tlsSkipVerify?: boolean;
  /** SNI / certificate name to expect instead of the address's host. */
  readonly tlsServerName?: string;
  /** PEM client certificate and key for TLS client authentication. */
  readonly clientCert?: string;
  readonly clientKey?: string;
  /** How errors name the address and CA settings (see `VaultSettingNames`). */
  readonly settingNames?: { readonly address: string; readonly caCert: string };
  /** Per-attempt timeout. @default 30000 */
  readonly timeoutMs?: number;
  /** Attempts per request, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** No retry starts after this much time since the first attempt. @default 30000 */
  readonly maxRetryTimeMs?: number;
  /** Backoff of the first retry; doubles each time, full jitter. @default 100 */
  readonly retryBaseMs?: number;
  /** Backoff cap. @default 3000 */
  readonly retryMaxDelayMs?: number;
  /** Parallel connections to the server. @default 32 */
  readonly maxSockets?: number;
  readonly onRequest?: VaultRequestLog;
}

export interface VaultRequest {
  readonly method: VaultMethod;
  /** Path after `/v1/`, already URL-encoded. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** `X-Vault-Token`; omitted for login calls. */
  readonly token?: string;
  readonly contentType?: string;
  /** @default true */
  readonly retry?: boolean;
  readonly timeoutMs?: number;
}

export interface VaultResponse {
  readonly status: number;
  /** Parsed JSON body; undefined for an empty or non-JSON body. */
  readonly body: unknown;
  /** Which attempt produced this response (1 = no retry). */
  readonly attempt: number;
  /**
   * True when an earlier attempt may have reached the server and been applied although no
   * answer came back (connection dropped after sending, timeout, 5xx). A write's caller must
   * then tell "my own earlier attempt landed" from a real conflict.
   */
  readonly ambiguous: boolean;
}

const RETRY_STATUSES = new Set([412, 429, 472, 473]);
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export function isRetryableStatus(status: number): boolean {
  return RETRY_STATUSES.has(status) || (status >= 500 && status <= 599 && status !== 501);
}

/** A response body's `errors` array as one line (Vault's messages, never our request data). */
export function vaultErrors(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return '';
  return errors
    .filter((e): e is string => typeof e === 'string')
    .map((e) =>
      e
        .replace(/\s+/g, ' ')
        .replace(/^1 error occurred: \* /, '')
        .trim(),
    )
    .join('; ')
    .slice(0, 500);
}

class AttemptError extends Error {
  constructor(
    readonly code: string,
    /** True when the request may have reached the server. */
    readonly maybeSent: boolean,
    cause?: unknown,
  ) {
    super(code, cause === undefined ? undefined : { cause });
  }
}

/** TLS error codes that mean the server does not speak TLS at all (an https:// address of an http server). */
const NOT_TLS = /WRONG_VERSION_NUMBER|HTTP_REQUEST/i;

export class VaultHttpClient {
  readonly address: string;
  readonly #url: URL;
  readonly #basePath: string;
  readonly #agent: http.Agent;
  readonly #transport: typeof http | typeof https;
  readonly #options: VaultHttpOptions;
  #closed = false;

  constructor(options: VaultHttpOptions) {
    this.#options = options;
    this.#url = new URL(options.address);
    if (this.#url.protocol !== 'http:' && this.#url.protocol !== 'https:') {
      throw new Error(`address must be an http: or https: URL`);
    }
    this.address = this.#url.origin;
    this.#basePath = this.#url.pathname.replace(/\/+$/, '');
    const maxSockets = options.maxSockets ?? 32;
    if (this.#url.protocol === 'https:') {
      this.#transport = https;
      this.#agent = new https.Agent({
        keepAlive: true,
        maxSockets,
        ca: options.ca !== undefined && options.ca.length > 0 ? options.ca : undefined,
        rejectUnauthorized: options.tlsSkipVerify !== true,
        servername: options.tlsServerName,
        cert: options.clientCert,
        key: options.clientKey,
      });
    } else {
      this.#transport = http;
      this.#agent = new http.Agent({ keepAlive: true, maxSockets });
    }
  }

  /**
   * Sends a request, retrying what is retryable. Resolves with any HTTP status (the caller maps
   * 4xx); rejects with `BackendUnavailableError` when no usable answer came within the budget.
   */
  async request(req: VaultRequest): Promise<VaultResponse> {
    if (this.#closed) throw new BackendUnavailableError('the Vault client is closed');
    const maxAttempts = req.retry === false ? 1 : Math.max(1, this.#options.maxAttempts ?? 5);
    const budget = this.#options.maxRetryTimeMs ?? 30_000;
    const started = Date.now();
    let ambiguous = false;
    let lastProblem = '';
    for (let attempt = 1; ; attempt++) {
      const t0 = Date.now();
      let response: { status: number; body: unknown; retryAfterMs?: number } | undefined;
      try {
        response = await this.#attempt(req);
        this.#log({ method: req.method, path: req.path, status: response.status, ms: Date.now() - t0, attempt });
      } catch (error) {
        const e = error instanceof AttemptError ? error : new AttemptError('error', true, error);
        this.#log({ method: req.method, path: req.path, status: 0, ms: Date.now() - t0, attempt, error: e.code });
        if (e.maybeSent) ambiguous = true;
        lastProblem = e.code;
        if (this.#closed) throw new BackendUnavailableError('the Vault client is closed');
        if (e.code.startsWith('TLS')) {
          // A TLS misconfiguration does not go away by asking again: fail at once, naming the setting.
          throw this.#tlsFailure(e.code.slice(5), error);
        }
        if (!this.#mayRetry(attempt, maxAttempts, started, budget)) {
          throw new BackendUnavailableError(
            `Vault at ${this.address} is unreachable (${req.method} ${req.path}: ${lastProblem} after ${attempt} attempt${attempt === 1 ? '' : 's'})`,
            error,
          );
        }
        await sleep(this.#backoff(attempt, undefined, started, budget));
        continue;
      }
      if (!isRetryableStatus(response.status) || !this.#mayRetry(attempt, maxAttempts, started, budget)) {
        return { status: response.status, body: response.body, attempt, ambiguous };
      }
      // A 5xx may come after the server applied the change (e.g. a storage error on commit).
      if (response.status >= 500 && response.status !== 503) ambiguous = true;
      await sleep(this.#backoff(attempt, response.retryAfterMs, started, budget));
    }
  }

  #tlsFailure(code: string, cause: unknown): SecretStoreError {
    const names = this.#options.settingNames ?? { address: 'the address (BAO_ADDR/VAULT_ADDR)', caCert: 'the CA certificate (BAO_CACERT/VAULT_CACERT)' };
    const message = NOT_TLS.test(code)
      ? `TLS connection to Vault at ${this.address} failed: the server does not answer in TLS (is it plain http://?); check ${names.address}`
      : `TLS connection to Vault at ${this.address} failed (${code}); check ${names.caCert}`;
    return new SecretStoreError('unavailable', message, { retryable: false, cause });
  }

  close(): void {
    this.#closed = true;
    this.#agent.destroy();
  }

  #mayRetry(attempt: number, maxAttempts: number, started: number, budget: number): boolean {
    return attempt < maxAttempts && Date.now() - started < budget;
  }

  #backoff(attempt: number, retryAfterMs: number | undefined, started: number, budget: number): number {
    const base = this.#options.retryBaseMs ?? 100;
    const cap = this.#options.retryMaxDelayMs ?? 3000;
    const exp = Math.min(cap, base * 2 ** (attempt - 1));
    const jittered = exp / 2 + Math.random() * (exp / 2);
    const wanted = retryAfterMs !== undefined ? Math.max(jittered, retryAfterMs) : jittered;
    const left = Math.max(0, budget - (Date.now() - started));
    return Math.min(wanted, left);
  }

  #log(entry: VaultRequestLogEntry): void {
    const log = this.#options.onRequest;
    if (log === undefined) return;
    try {
      log(entry);
    } catch {
      // A failing log callback must not fail the request.
    }
  }

  #attempt(req: VaultRequest): Promise<{ status: number; body: unknown; retryAfterMs?: number }> {
    const method = req.method === 'LIST' ? 'GET' : req.method;
    const query = new URLSearchParams(req.query ?? {});
    if (req.method === 'LIST') query.set('list', 'true');
    const qs = query.toString();
    const path = `${this.#basePath}/v1/${req.path}${qs === '' ? '' : `?${qs}`}`;
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body), 'utf8');
    const headers: Record<string, string> = { 'X-Vault-Request': 'true', Accept: 'application/json' };
    if (req.token !== undefined) headers['X-Vault-Token'] = req.token;
    if (this.#options.namespace !== undefined && this.#options.namespace !== '') {
      headers['X-Vault-Namespace'] = this.#options.namespace;
    }
    if (payload !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const timeoutMs = req.timeoutMs ?? this.#options.timeoutMs ?? 30_000;

    return new Promise((resolve, reject) => {
      let settled = false;
      let sent = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const request = this.#transport.request({
        protocol: this.#url.protocol,
        hostname: this.#url.hostname.replace(/^\[|\]$/g, ''),
        port: this.#url.port === '' ? undefined : Number(this.#url.port),
        method,
        path,
        headers,
        agent: this.#agent,
      });
      const timer = setTimeout(() => {
        finish(() => reject(new AttemptError('timeout', sent)));
        request.destroy();
      }, timeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) => {
        // Refused or unresolvable connections never reached Vault; anything later might have.
        const early = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(
          error.code ?? '',
        );
        const notTls = error.code === 'EPROTO' && /wrong version number|http request/i.test(error.message);
        const tls = notTls || /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/i.test(error.code ?? '');
        finish(() =>
          reject(
            new AttemptError(
              notTls ? 'TLS: WRONG_VERSION_NUMBER' : tls ? `TLS: ${error.code}` : (error.code ?? 'network error'),
              sent && !early && !tls,
              error,
            ),
          ),
        );
      });
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            response.destroy();
            finish(() => reject(new AttemptError('response too large', true)));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) => finish(() => reject(new AttemptError('response aborted', true, error))));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          if (text.trim() !== '') {
            try {
              body = JSON.parse(text);
            } catch {
              body = undefined;
            }
          }
          const status = response.statusCode ?? 0;
          finish(() => resolve({ status, body, retryAfterMs: parseRetryAfter(response.headers['retry-after']) }));
        });
      });
      request.on('finish', () => {
        sent = true;
      });
      request.end(payload);
    });
  }
}

function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
