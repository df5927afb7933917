import {
  BackendUnavailableError,
  SecretConflictError,
  SecretNotFoundError,
  SecretStoreError,
  SecretValidationError,
} from '../../errors';
import { SecretText } from '../../secret-text';

/** One HTTP exchange, for the optional request log. Never carries bodies, headers or tokens. */
export interface CoderRequestLogEntry {
  readonly method: string;
  /** URL path (user and secret names are metadata, not secrets); no query string. */
  readonly path: string;
  /** HTTP status; 0 when no response arrived (network failure, timeout, close). */
  readonly status: number;
  readonly ms: number;
}

/** `codersdk.Response`. */
export interface CoderResponse {
  readonly message?: string;
  readonly detail?: string;
  readonly validations?: readonly { readonly field?: string; readonly detail?: string }[];
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** How to turn a failure of one request into a typed error. */
export interface ErrorContext {
  readonly user: string;
  /** The secret addressed by an item route; a 404 then means "no such secret". */
  readonly name?: string;
  /** For `/batch`: the names in request order, so `secrets[i].<field>` can name the entry. */
  readonly batchNames?: readonly string[];
  /** Plaintexts in flight: scrubbed from any server text that reaches an error message. */
  readonly values?: readonly SecretText[];
}

export interface RequestSpec {
  readonly method: HttpMethod;
  /** Path below the base URL, already percent-encoded, starting with `/api/v2/`. */
  readonly path: string;
  /** JSON body. `SecretText` values are revealed only while serialising it for the wire. */
  readonly body?: unknown;
  /** Retried on network errors, 429 and 5xx. Only GET and DELETE are. */
  readonly retry: boolean;
  /** Statuses handed back to the caller instead of being turned into errors. */
  readonly accept?: readonly number[];
  readonly context: ErrorContext;
}

export interface HttpResult {
  readonly status: number;
  readonly body: unknown;
  /** True when an earlier attempt of this request failed with an unknown outcome. */
  readonly retried: boolean;
}

export interface CoderHttpOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly retries: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly timeoutMs: number;
  readonly onRequest?: (entry: CoderRequestLogEntry) => void;
}

const REDACTED = '[redacted]';
/** Shorter plaintexts are not scrubbed from server text: replacing every "a" would garble it. */
const MIN_SCRUB_LENGTH = 4;

/**
 * A minimal typed client for Coder's REST API on the global `fetch`. The session token travels only
 * in the `Coder-Session-Token` header; redirects are not followed (they would carry the header to
 * another address); errors are `SecretStoreError`s written from status, route and server message.
 */
export class CoderHttp {
  readonly origin: string;
  readonly #base: string;
  readonly #options: CoderHttpOptions;
  readonly #closing = new AbortController();

  constructor(options: CoderHttpOptions) {
    this.#options = options;
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.origin = new URL(this.#base).origin;
  }

  /** Aborts requests in flight and retry waits. */
  close(): void {
    this.#closing.abort();
  }

  async send(spec: RequestSpec): Promise<HttpResult> {
    const payload = spec.body === undefined ? undefined : serialise(spec.body);
    const attempts = spec.retry ? 1 + Math.max(0, this.#options.retries) : 1;
    let uncertain = false;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      let response: Response;
      try {
        response = await fetch(this.#base + spec.path, {
          method: spec.method,
          headers: {
            Accept: 'application/json',
            'Coder-Session-Token': this.#options.token,
            ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: payload,
          redirect: 'manual',
          signal: AbortSignal.any([this.#closing.signal, AbortSignal.timeout(this.#options.timeoutMs)]),
        });
      } catch (error) {
        this.#log(spec, 0, started);
        if (this.#closing.signal.aborted) throw closedError();
        const failure = new BackendUnavailableError(
          `Coder at ${this.origin} did not answer ${spec.method} ${spec.path} (${networkReason(error)})` +
            attemptsNote(attempt) +
            outcomeNote(spec),
        );
        if (attempt >= attempts) throw failure;
        uncertain = true;
        await this.#backoff(attempt, undefined);
        continue;
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        this.#log(spec, 0, started);
        if (this.#closing.signal.aborted) throw closedError();
        if (attempt >= attempts) {
          throw new BackendUnavailableError(
            `Coder at ${this.origin} broke off its answer to ${spec.method} ${spec.path} (${networkReason(error)})` +
              attemptsNote(attempt) +
              outcomeNote(spec),
          );
        }
        uncertain = true;
        await this.#backoff(attempt, undefined);
        continue;
      }
      this.#log(spec, response.status, started);
      const status = response.status;
      const body = parseBody(text, response.headers.get('content-type'));
      // Coder reports an RBAC refusal on user secrets as a 500; retrying cannot change it.
      if (isRbacForbidden(status, body)) throw this.#forbidden(spec, status, body);
      const transient = status === 429 || status >= 500;
      if (transient && attempt < attempts) {
        uncertain = true;
        await this.#backoff(attempt, response.headers.get('retry-after'));
        continue;
      }
      if ((status >= 200 && status < 300) || spec.accept?.includes(status)) {
        if (status >= 200 && status < 300 && status !== 204 && body === undefined && text.trim() !== '') {
          throw new SecretStoreError(
            'unavailable',
            `Coder at ${this.origin} answered ${spec.method} ${spec.path} with a body that is not JSON`,
            { retryable: false },
          );
        }
        return { status, body, retried: uncertain };
      }
      throw this.#failure(spec, status, body, attempt);
    }
  }

  #log(spec: RequestSpec, status: number, started: number): void {
    const hook = this.#options.onRequest;
    if (hook === undefined) return;
    try {
      hook({ method: spec.method, path: spec.path, status, ms: Math.round(performance.now() - started) });
    } catch {
      // A broken log hook must not change the outcome of a call.
    }
  }

  async #backoff(attempt: number, retryAfter: string | null | undefined): Promise<void> {
    const { retryBaseDelayMs: base, retryMaxDelayMs: max } = this.#options;
    const hinted = retryAfter != null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) * 1000 : undefined;
    const exponential = base * 2 ** (attempt - 1);
    const delay = Math.min(max, hinted ?? exponential * (0.5 + Math.random() / 2));
    if (delay <= 0) return;
    await new Promise<void>((resolve, reject) => {
      const signal = this.#closing.signal;
      if (signal.aborted) {
        reject(closedError());
        return;
      }
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, delay);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(closedError());
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** User secrets are private to their user: no other token, not even an admin's, may manage them. */
  #forbidden(spec: RequestSpec, status: number, body: unknown): SecretStoreError {
    const ctx = spec.context;
    const serverText = describe(asCoderResponse(body), ctx, (s) => scrubText(s, ctx.values ?? [], this.#options.token));
    return new SecretStoreError(
      'unauthorized',
      `Coder at ${this.origin} refused ${spec.method} ${spec.path}: user secrets are private to their user, and this ` +
        `session token is not user "${ctx.user}"'s (Coder answered ${status}: ${serverText}). Not even an admin or ` +
        "owner-role token may manage another user's secrets: use that user's own token (inside a workspace build, " +
        "the owner's token Coder passes on start builds)",
      { retryable: false },
    );
  }

  #failure(spec: RequestSpec, status: number, body: unknown, attempt: number): SecretStoreError {
    const ctx = spec.context;
    const response = asCoderResponse(body);
    const scrub = (s: string): string => scrubText(s, ctx.values ?? [], this.#options.token);
    const serverText = describe(response, ctx, scrub);
    const first = firstField(response, ctx);
    const prefix = first?.index !== undefined ? itemPrefix(first.index, ctx) : '';
    const route = `${spec.method} ${spec.path}`;
    switch (true) {
      case status === 400: {
        const limit = limitField(response?.message);
        if (limit !== undefined) {
          return new SecretStoreError('limit', `${prefix}Coder refused ${route}: ${serverText}`, {
            field: limit.field,
          });
        }
        if (first !== undefined)
          return new SecretValidationError(first.field, `${prefix}Coder rejected ${route}: ${serverText}`);
        return new SecretStoreError('validation', `Coder rejected ${route}: ${serverText}`);
      }
      case status === 401:
        return new SecretStoreError(
          'unauthorized',
          `Coder at ${this.origin} did not accept the session token (401): ${serverText}. ` +
            'Check the token (CODER_SESSION_TOKEN) and that it has not expired',
        );
      case status === 403:
        return this.#forbidden(spec, status, body);
      case status === 404:
        if (ctx.name !== undefined) return new SecretNotFoundError(ctx.user, ctx.name);
        return new SecretStoreError(
          'not_found',
          `Coder at ${this.origin} has no user "${ctx.user}" (404 for ${route})`,
          {
            field: 'user',
          },
        );
      case status === 409:
        return new SecretConflictError(
          `${prefix}Coder refused ${route} (409 conflict): ${serverText}`,
          first?.field ?? 'name',
        );
      case status === 413:
        return new SecretStoreError('limit', `Coder refused ${route}: the request body exceeds 8 MiB (413)`);
      case status === 429 || status >= 500:
        return new BackendUnavailableError(
          `Coder at ${this.origin} answered ${status} to ${route}: ${serverText}` +
            attemptsNote(attempt) +
            outcomeNote(spec),
        );
      case status >= 300 && status < 400:
        return new SecretStoreError(
          'unavailable',
          `Coder at ${this.origin} redirected ${route} (${status}); redirects are not followed so the session ` +
            'token cannot leak to another address. Use the final URL of the deployment',
          { retryable: false },
        );
      default:
        return new SecretStoreError(
          'unavailable',
          `Coder at ${this.origin} answered ${status} to ${route}: ${serverText}`,
          {
            retryable: false,
          },
        );
    }
  }
}

/** True for Coder's answer to a token addressing secrets it may not touch: 403, or 500 "rbac: forbidden". */
export function isRbacForbidden(status: number, body: unknown): boolean {
  if (status === 403) return true;
  if (status < 500) return false;
  const response = asCoderResponse(body);
  const text = `${typeof response?.message === 'string' ? response.message : ''} ${typeof response?.detail === 'string' ? response.detail : ''}`;
  return /\brbac: forbidden\b/i.test(text);
}

function closedError(): SecretStoreError {
  return new SecretStoreError('unavailable', 'the Coder secret store is closed', { retryable: false });
}

function attemptsNote(attempt: number): string {
  return attempt > 1 ? ` after ${attempt} attempts` : '';
}

function outcomeNote(spec: RequestSpec): string {
  // A write that was sent but not answered may or may not have happened.
  return spec.method === 'POST' || spec.method === 'PATCH' ? '; the change may or may not have been applied' : '';
}

/** JSON with every `SecretText` revealed: the one place a value becomes plaintext for the wire. */
function serialise(body: unknown): string {
  return JSON.stringify(body, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    return raw instanceof SecretText ? raw.reveal() : value;
  });
}

function parseBody(text: string, contentType: string | null): unknown {
  if (text.trim() === '') return undefined;
  if (contentType !== null && !/json/i.test(contentType)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function asCoderResponse(body: unknown): CoderResponse | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  return body as CoderResponse;
}

/** Why fetch failed, from error codes only (messages of lower layers are not trusted to be clean). */
function networkReason(error: unknown): string {
  // Duck-typed: errors from fetch may come from another realm (e.g. under a test runner's VM).
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timed out';
  const cause = typeof error === 'object' && error !== null ? (error as { cause?: unknown }).cause : undefined;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? code : 'network error';
}

/** Replaces any plaintext in flight (and the token) in server-provided text. */
export function scrubText(text: string, values: readonly SecretText[], token: string): string {
  let out = text;
  const secrets = [...values.map((v) => v.reveal()), token].filter((s) => s.length >= MIN_SCRUB_LENGTH);
  for (const secret of secrets) {
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) {
      if (form.length >= MIN_SCRUB_LENGTH) out = out.split(form).join(REDACTED);
    }
  }
  return out;
}

const KNOWN_FIELDS: Record<string, string> = {
  name: 'name',
  value: 'value',
  env_name: 'env_name',
  envname: 'env_name',
  file_path: 'file_path',
  filepath: 'file_path',
  description: 'description',
  enabled: 'enabled',
};

/** Coder's validation field (`env_name`, `secrets[3].file_path`, …) in Coffer's names. */
export function mapField(raw: string): { field: string; index?: number } {
  const m = /^secrets\[(\d+)\]\.(.+)$/.exec(raw);
  const base = m === null ? raw : (m[2] as string);
  const key = base.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const field = KNOWN_FIELDS[key] ?? KNOWN_FIELDS[key.replace(/_/g, '')] ?? base;
  return m === null ? { field } : { field, index: Number(m[1]) };
}

function firstField(
  response: CoderResponse | undefined,
  ctx: ErrorContext,
): { field: string; index?: number } | undefined {
  const raw = response?.validations?.find((v) => typeof v.field === 'string' && v.field !== '')?.field;
  if (raw !== undefined) return mapField(raw);
  // Limit errors of an import name the entry in their detail: "Entry secrets[i] (...)".
  const m = /secrets\[(\d+)\]/.exec(response?.detail ?? '');
  if (m !== null && ctx.batchNames !== undefined) return { field: 'value', index: Number(m[1]) };
  return undefined;
}

function itemPrefix(index: number, ctx: ErrorContext): string {
  const name = ctx.batchNames?.[index];
  return `import item ${index + 1}${name === undefined ? '' : ` ("${name}")`}: `;
}

/** `message` plus each validation's (mapped) field and detail, scrubbed. */
function describe(response: CoderResponse | undefined, ctx: ErrorContext, scrub: (s: string) => string): string {
  if (response === undefined) return 'no error details in the response';
  const parts: string[] = [];
  const message = typeof response.message === 'string' ? response.message.trim() : '';
  if (message !== '') parts.push(message);
  if (typeof response.detail === 'string' && response.detail.trim() !== '') parts.push(response.detail.trim());
  const validations = (response.validations ?? [])
    .filter((v) => typeof v.detail === 'string' || typeof v.field === 'string')
    .map((v) => {
      const mapped = typeof v.field === 'string' && v.field !== '' ? mapField(v.field) : undefined;
      const where =
        mapped === undefined
          ? ''
          : mapped.index !== undefined
            ? `${itemPrefix(mapped.index, ctx)}${mapped.field}: `
            : `${mapped.field}: `;
      return `${where}${typeof v.detail === 'string' ? v.detail : 'invalid'}`;
    });
  if (validations.length > 0) parts.push(validations.join('; '));
  return parts.length === 0 ? 'no error details in the response' : scrub(parts.join(' '));
}

/** The per-user limit messages Coder answers with 400. */
function limitField(message: string | undefined): { field: string | undefined } | undefined {
  if (message === undefined || !/limit reached/i.test(message)) return undefined;
  if (/value-bytes/i.test(message)) return { field: 'value' };
  if (/environment-injected/i.test(message)) return { field: 'env_name' };
  return { field: undefined };
}
