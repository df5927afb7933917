import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseSecretsFile, ParseError, type ImportFormat, type ParsedEntry } from './parsers';
import { UpstreamAuthenticator } from './upstream';
import {
  ENABLED_NEEDS_TARGET,
  envNameProblem,
  MAX_BODY_BYTES,
  MAX_ENV_INJECTED_BYTES,
  MAX_SECRETS_FILE_BYTES,
  MAX_SECRETS_FILE_KEYS,
  MAX_SECRETS_PER_USER,
  MAX_TOTAL_VALUE_BYTES,
  validateEnvName,
  validateFilePath,
  validateName,
  validateValue,
  type ValidationError,
} from './validation';

/**
 * An in-process HTTP double of Coder's user-secrets API (coder-secrets-api.md §1–2), written from the
 * documented behaviour rather than from Coder's code. It serves on 127.0.0.1 and a free port:
 *
 * - `GET /api/v2/buildinfo` (no auth), `GET /api/v2/users/{user}`
 * - `GET|POST /api/v2/users/{user}/secrets`, `POST …/secrets/batch` (current shape only),
 *   `GET|PATCH|DELETE …/secrets/{name}`
 *
 * Version emulation: `version: 'v2.33'` serves the first released shape (no `enabled` field in
 * requests or responses, and no `/batch` route, which then answers 404). `enabledField` and
 * `batchEndpoint` override each half separately, since the reference could not pin down the minor
 * version that introduced `/batch`.
 *
 * Assumptions where the reference is silent (kept in one place so they are easy to revisit):
 * - A session token for one user addressing another user's secrets gets 403 `Forbidden.` for every
 *   method (the reference says admins cannot manage other users' secrets; the status is unconfirmed).
 * - Limits are checked before uniqueness (the per-user trigger runs BEFORE INSERT), validation first.
 * - The 24 KiB environment budget counts enabled secrets with an env_name.
 * - An imported key that is not a usable env name gets `env_name: ""` and, on servers with `enabled`,
 *   `enabled: false` (an enabled secret needs a target). Imports return the secrets in file order.
 * - Bodies over 8 MiB get 413 on every write route (documented for `/batch`).
 */

export type CoderDoubleVersion = 'current' | 'v2.33';

export interface CoderDoubleOptions {
  /** @default 'current' (v2.36+ shape: `enabled` and `/batch`) */
  readonly version?: CoderDoubleVersion;
  /** Usernames to create; the first one is the default user. @default ['alice', 'bob'] */
  readonly users?: readonly string[];
  /** Overrides the version's `enabled` support. */
  readonly enabledField?: boolean;
  /** Overrides the version's `/batch` support. */
  readonly batchEndpoint?: boolean;
  /**
   * How `/batch` reports existing secrets: `first` (newer revision: `Validation failed.` with the
   * first `secrets[i].<field>`) or `all` (@016d35c: `Some secrets already exist.` listing each one).
   * @default 'first'
   */
  readonly batchConflictStyle?: 'first' | 'all';
  /** Emulates `--disable-user-secret-file-path`: new or changed file paths are rejected. */
  readonly disableFilePath?: boolean;
  /** What `GET /api/v2/buildinfo` reports. @default 'v2.36.1' or 'v2.33.6' */
  readonly buildVersion?: string;
  /**
   * A real Coder server (base URL) that authenticates every request: the double asks it
   * `GET /api/v2/users/me` with the request's token and `GET /api/v2/users/{user}` for the user
   * addressed, and answers with the real server's refusal (401, 400 for an unknown user) when
   * there is one. Users then come from that server (`users` defaults to none). For servers that
   * have user-secrets tables but not the REST routes (v2.30).
   */
  readonly authenticateWith?: string;
  /**
   * How a token addressing another user's secrets is refused: `403` (`Forbidden.`) or `rbac-500`
   * (what a real server answers: 500 `Internal error fetching secret.` with `rbac: forbidden`).
   * @default 'rbac-500' with authenticateWith, else '403'
   */
  readonly crossUserRefusal?: '403' | 'rbac-500';
}

export interface CoderDoubleUser {
  readonly id: string;
  readonly username: string;
  readonly token: string;
}

/** One handled request, as the double saw it. Never holds bodies or headers. */
export interface DoubleRequest {
  readonly method: string;
  readonly path: string;
  /** 0 when the double dropped the connection (a `reset` fault). */
  readonly status: number;
}

/** A scripted failure for the next matching requests (evaluated before auth and routing). */
export interface DoubleFault {
  readonly method?: string;
  /** Matches when the raw path contains this string (or matches this pattern). */
  readonly path?: string | RegExp;
  /** @default 1 */
  readonly times?: number;
  /** @default 503 */
  readonly status?: number;
  /** JSON body to answer with. @default { message: 'Service unavailable (injected fault).' } */
  readonly body?: unknown;
  /** Destroy the socket instead of answering (a network failure for the client). */
  readonly reset?: boolean;
  /** Handle the request normally, then drop the connection before the answer leaves. */
  readonly afterHandling?: boolean;
}

/** The wire shape of a `codersdk.UserSecret`. */
export interface WireUserSecret {
  id: string;
  name: string;
  description: string;
  env_name: string;
  file_path: string;
  enabled?: boolean;
  created_at: string;
  updated_at: string;
}

interface Row {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  description: string;
  envName: string;
  filePath: string;
  enabled: boolean;
  value: string;
  readonly createdAt: string;
  updatedAt: string;
}

interface SdkResponse {
  message: string;
  detail?: string;
  validations?: ValidationError[];
}

class HttpFailure {
  constructor(
    readonly status: number,
    readonly body: SdkResponse,
  ) {}
}

const NOT_FOUND: SdkResponse = { message: 'Resource not found or you do not have access to this resource' };
const SIGNED_OUT = 'You are signed out or your session has expired. Please sign in again to continue.';
const SESSION_COOKIE = 'coder_session_token';
const SESSION_HEADER = 'coder-session-token';

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');
const byName = (a: Row, b: Row): number => Buffer.compare(Buffer.from(a.name, 'utf8'), Buffer.from(b.name, 'utf8'));

function failure(status: number, message: string, extra: Omit<SdkResponse, 'message'> = {}): HttpFailure {
  return new HttpFailure(status, { message, ...extra });
}

function validationFailed(validations: ValidationError[]): HttpFailure {
  return failure(400, 'Validation failed.', { validations });
}

function makeToken(): string {
  // `<10-char id>-<22-char secret>`, like Coder's API keys.
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const pick = (n: number): string => [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
  return `${pick(10)}-${pick(22)}`;
}

export class CoderDouble {
  readonly version: CoderDoubleVersion;
  readonly enabledField: boolean;
  readonly batchEndpoint: boolean;
  readonly #options: CoderDoubleOptions;
  readonly #server: http.Server;
  readonly #users: CoderDoubleUser[] = [];
  readonly #rows = new Map<string, Map<string, Row>>();
  readonly #requests: DoubleRequest[] = [];
  readonly #upstream: UpstreamAuthenticator | undefined;
  readonly #faults: (DoubleFault & { remaining: number })[] = [];
  #url = '';
  #lastStamp = 0;

  private constructor(options: CoderDoubleOptions) {
    this.#options = options;
    this.version = options.version ?? 'current';
    this.enabledField = options.enabledField ?? this.version === 'current';
    this.batchEndpoint = options.batchEndpoint ?? this.version === 'current';
    const defaultUsers = options.authenticateWith === undefined ? ['alice', 'bob'] : [];
    for (const username of options.users ?? defaultUsers) this.addUser(username);
    this.#upstream =
      options.authenticateWith === undefined
        ? undefined
        : new UpstreamAuthenticator(
            options.authenticateWith,
            (param) => this.#users.some((u) => u.id === param || u.username.toLowerCase() === param.toLowerCase()),
            (user) => {
              if (this.#users.some((u) => u.id === user.id)) return;
              this.#users.push({ ...user, token: '' }); // its real tokens live in the authenticator
              this.#rows.set(user.id, new Map());
            },
          );
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) this.#send(req, res, 500, { message: 'Internal error.' });
      });
    });
  }

  static async start(options: CoderDoubleOptions = {}): Promise<CoderDouble> {
    const double = new CoderDouble(options);
    await new Promise<void>((resolve, reject) => {
      double.#server.once('error', reject);
      double.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = double.#server.address() as AddressInfo;
    double.#url = `http://127.0.0.1:${port}`;
    return double;
  }

  /** Base URL, e.g. `http://127.0.0.1:43123`. */
  get url(): string {
    return this.#url;
  }

  get users(): readonly CoderDoubleUser[] {
    return this.#users;
  }

  /** The default (first) user. */
  get user(): CoderDoubleUser {
    return this.#users[0] as CoderDoubleUser;
  }

  addUser(username: string): CoderDoubleUser {
    const user = { id: randomUUID(), username, token: makeToken() };
    this.#users.push(user);
    this.#rows.set(user.id, new Map());
    return user;
  }

  /** Session token of a user (by username or id). */
  tokenFor(user: string): string {
    return this.#lookup(user).token;
  }

  /** Every handled request so far, in order. */
  get requests(): readonly DoubleRequest[] {
    return this.#requests;
  }

  /** Requests that could change state (anything but GET/HEAD). */
  writes(): DoubleRequest[] {
    return this.#requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
  }

  clearRequests(): void {
    this.#requests.length = 0;
  }

  failNext(fault: DoubleFault): void {
    this.#faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  /**
   * TEST ONLY: the stored plaintext of a secret. The real API never returns values; this exists
   * so tests can prove what a client sent.
   */
  valueOf(user: string, name: string): string | undefined {
    return this.#rows.get(this.#lookup(user).id)?.get(name)?.value;
  }

  /** TEST ONLY: a user's secrets in the wire shape the double would answer with. */
  secretsOf(user: string): WireUserSecret[] {
    return [...(this.#rows.get(this.#lookup(user).id)?.values() ?? [])].sort(byName).map((r) => this.#wire(r));
  }

  /**
   * TEST ONLY: stores secrets directly, bypassing validation and limits (e.g. to fill a user up to
   * a limit quickly, or to hold a target-less secret from before `enabled` existed).
   */
  seed(
    user: string,
    secrets: readonly {
      name: string;
      value: string;
      description?: string;
      envName?: string;
      filePath?: string;
      enabled?: boolean;
    }[],
  ): void {
    const owner = this.#lookup(user);
    const rows = this.#rows.get(owner.id) as Map<string, Row>;
    for (const s of secrets) {
      const now = this.#now();
      rows.set(s.name, {
        id: randomUUID(),
        userId: owner.id,
        name: s.name,
        description: s.description ?? '',
        envName: s.envName ?? '',
        filePath: s.filePath ?? '',
        enabled: s.enabled ?? true,
        value: s.value,
        createdAt: now,
        updatedAt: now,
      });
    }
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #lookup(user: string): CoderDoubleUser {
    const found = this.#users.find((u) => u.username === user || u.id === user);
    if (found === undefined) throw new Error(`the double has no user "${user}"`);
    return found;
  }

  /** RFC 3339 timestamps that strictly increase, so an update always moves `updated_at`. */
  #now(): string {
    this.#lastStamp = Math.max(Date.now(), this.#lastStamp + 1);
    return new Date(this.#lastStamp).toISOString();
  }

  #wire(row: Row): WireUserSecret {
    const out: WireUserSecret = {
      id: row.id,
      name: row.name,
      description: row.description,
      env_name: row.envName,
      file_path: row.filePath,
      created_at: row.createdAt,
      updated_at: row.updatedAt,
    };
    if (this.enabledField) out.enabled = row.enabled;
    return out;
  }

  #send(req: http.IncomingMessage, res: http.ServerResponse, status: number, body?: unknown): void {
    const path = new URL(req.url ?? '/', 'http://double').pathname;
    this.#requests.push({ method: req.method ?? '', path, status });
    if (body === undefined) {
      res.writeHead(status);
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  #takeFault(method: string, path: string): (DoubleFault & { remaining: number }) | undefined {
    const index = this.#faults.findIndex(
      (f) =>
        (f.method === undefined || f.method === method) &&
        (f.path === undefined || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))),
    );
    if (index < 0) return undefined;
    const fault = this.#faults[index] as DoubleFault & { remaining: number };
    fault.remaining--;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return fault;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://double');
    // Read the whole body (discarding past the cap) so a 413 reaches the client instead of a reset.
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    }
    const fault = this.#takeFault(method, url.pathname);
    if (fault !== undefined && !fault.afterHandling) {
      if (fault.reset) {
        this.#requests.push({ method, path: url.pathname, status: 0 });
        req.socket.destroy();
        return;
      }
      this.#send(req, res, fault.status ?? 503, fault.body ?? { message: 'Service unavailable (injected fault).' });
      return;
    }
    if (this.#upstream !== undefined && url.pathname.startsWith('/api/v2/users/')) {
      const refusal = await this.#upstream.check(this.#tokenOf(req, url), url.pathname);
      if (refusal !== undefined) {
        this.#send(req, res, refusal[0], refusal[1]);
        return;
      }
    }
    let status: number;
    let body: unknown;
    try {
      [status, body] = this.#route(method, url, req, size, Buffer.concat(chunks));
    } catch (error) {
      if (!(error instanceof HttpFailure)) throw error;
      [status, body] = [error.status, error.body];
    }
    if (fault?.afterHandling) {
      this.#requests.push({ method, path: url.pathname, status: 0 });
      req.socket.destroy();
      return;
    }
    this.#send(req, res, status, body);
  }

  #route(method: string, url: URL, req: http.IncomingMessage, size: number, raw: Buffer): [number, unknown] {
    const segments = url.pathname.split('/').slice(1);
    if (segments[0] !== 'api' || segments[1] !== 'v2') throw failure(404, 'Route not found.');
    const rest = segments.slice(2).map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw failure(400, 'Invalid path segment.');
      }
    });
    if (rest.length === 1 && rest[0] === 'buildinfo' && method === 'GET') {
      return [
        200,
        { external_url: 'https://github.com/coder/coder', version: this.#buildVersion(), dashboard_url: this.#url },
      ];
    }
    if (rest[0] !== 'users' || rest.length < 2) throw failure(404, 'Route not found.');
    const caller = this.#authenticate(req, url);
    const target = this.#resolveUser(rest[1] as string, caller);
    if (rest.length === 2) {
      if (method !== 'GET') throw failure(405, 'Method not allowed.');
      return [
        200,
        { id: target.id, username: target.username, email: `${target.username}@example.com`, status: 'active' },
      ];
    }
    if (rest[2] !== 'secrets' || rest.length > 4) throw failure(404, 'Route not found.');
    if (target.id !== caller.id) {
      const style = this.#options.crossUserRefusal ?? (this.#options.authenticateWith === undefined ? '403' : 'rbac-500');
      if (style === '403') throw failure(403, 'Forbidden.');
      throw failure(500, 'Internal error fetching secret.', { detail: 'unauthorized: rbac: forbidden' });
    }
    const rows = this.#rows.get(target.id) as Map<string, Row>;
    if (rest.length === 3) {
      if (method === 'GET') return [200, [...rows.values()].sort(byName).map((r) => this.#wire(r))];
      if (method === 'POST') return this.#create(rows, target, this.#json(raw, size));
      throw failure(405, 'Method not allowed.');
    }
    const name = rest[3] as string;
    if (name === 'batch' && method === 'POST') {
      if (!this.batchEndpoint) throw failure(404, 'Route not found.');
      return this.#batch(rows, target, this.#json(raw, size));
    }
    const row = rows.get(name);
    if (method === 'GET') {
      if (row === undefined) throw new HttpFailure(404, NOT_FOUND);
      return [200, this.#wire(row)];
    }
    if (method === 'PATCH') {
      const patch = this.#json(raw, size);
      if (row === undefined) throw new HttpFailure(404, NOT_FOUND);
      return this.#patch(rows, row, patch);
    }
    if (method === 'DELETE') {
      if (row === undefined) throw new HttpFailure(404, NOT_FOUND);
      rows.delete(name);
      return [204, undefined];
    }
    throw failure(405, 'Method not allowed.');
  }

  #buildVersion(): string {
    return this.#options.buildVersion ?? (this.version === 'current' ? 'v2.36.1+0123abc' : 'v2.33.6+0123abc');
  }

  #tokenOf(req: http.IncomingMessage, url: URL): string {
    const header = req.headers[SESSION_HEADER];
    const cookie = (req.headers.cookie ?? '')
      .split(';')
      .map((c) => c.trim())
      .find((c) => c.startsWith(`${SESSION_COOKIE}=`))
      ?.slice(SESSION_COOKIE.length + 1);
    return (Array.isArray(header) ? header[0] : header) || cookie || url.searchParams.get(SESSION_COOKIE) || '';
  }

  #authenticate(req: http.IncomingMessage, url: URL): CoderDoubleUser {
    const token = this.#tokenOf(req, url);
    if (token === '') {
      throw failure(401, SIGNED_OUT, { detail: `Cookie "${SESSION_COOKIE}" or query parameter must be provided.` });
    }
    const upstreamId = this.#upstream?.userIdOf(token);
    const user = this.#users.find((u) => (u.token !== '' && u.token === token) || (upstreamId !== undefined && u.id === upstreamId));
    if (user === undefined) throw failure(401, SIGNED_OUT, { detail: 'API key is invalid.' });
    return user;
  }

  #resolveUser(param: string, caller: CoderDoubleUser): CoderDoubleUser {
    if (param === 'me') return caller;
    const user = this.#users.find((u) => u.id === param || u.username.toLowerCase() === param.toLowerCase());
    if (user === undefined) throw new HttpFailure(404, NOT_FOUND);
    return user;
  }

  #json(raw: Buffer, size: number): Record<string, unknown> {
    if (size > MAX_BODY_BYTES) throw failure(413, 'Request body exceeds 8 MiB.');
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      // Never echo the parser's message: it quotes the body, which may hold a value.
      throw failure(400, 'Request body must be valid JSON.', { detail: 'The body could not be decoded as JSON.' });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw failure(400, 'Request body must be valid JSON.', { detail: 'Expected a JSON object.' });
    }
    return parsed as Record<string, unknown>;
  }

  /** Go's decoder: a present field of the wrong type fails decoding; unknown fields are ignored. */
  #field<T extends 'string' | 'boolean'>(
    body: Record<string, unknown>,
    key: string,
    type: T,
  ): (T extends 'string' ? string : boolean) | undefined {
    const value = body[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== type) {
      throw failure(400, 'Request body must be valid JSON.', { detail: `Field "${key}" must be a ${type}.` });
    }
    return value as T extends 'string' ? string : boolean;
  }

  #filePathPolicy(filePath: string, validations: ValidationError[], field = 'file_path'): void {
    if (this.#options.disableFilePath && filePath !== '') {
      validations.push({ field, detail: 'File path delivery is disabled on this deployment.' });
    }
  }

  #create(rows: Map<string, Row>, owner: CoderDoubleUser, body: Record<string, unknown>): [number, unknown] {
    const name = this.#field(body, 'name', 'string');
    const value = this.#field(body, 'value', 'string');
    const description = this.#field(body, 'description', 'string') ?? '';
    const envName = this.#field(body, 'env_name', 'string') ?? '';
    const filePath = this.#field(body, 'file_path', 'string') ?? '';
    const enabled = this.enabledField ? (this.#field(body, 'enabled', 'boolean') ?? true) : true;
    const validations = [
      ...validateName(name),
      ...validateValue(value, true),
      ...validateEnvName(envName),
      ...validateFilePath(filePath),
    ];
    this.#filePathPolicy(filePath, validations);
    if (this.enabledField && enabled && envName === '' && filePath === '') {
      validations.push({ field: 'env_name', detail: ENABLED_NEEDS_TARGET });
    }
    if (validations.length > 0) throw validationFailed(validations);
    const now = this.#now();
    const row: Row = {
      id: randomUUID(),
      userId: owner.id,
      name: name as string,
      description,
      envName,
      filePath,
      enabled,
      value: value as string,
      createdAt: now,
      updatedAt: now,
    };
    const limit = limitProblem([...rows.values(), row]);
    if (limit !== undefined) throw failure(400, limit.message, { detail: limit.detail });
    const conflict = conflictWith(rows.values(), row);
    if (conflict !== undefined) throw failure(409, 'Validation failed.', { validations: [conflict] });
    rows.set(row.name, row);
    return [201, this.#wire(row)];
  }

  #patch(rows: Map<string, Row>, row: Row, body: Record<string, unknown>): [number, unknown] {
    const value = this.#field(body, 'value', 'string');
    const description = this.#field(body, 'description', 'string');
    const envName = this.#field(body, 'env_name', 'string');
    const filePath = this.#field(body, 'file_path', 'string');
    const enabled = this.enabledField ? this.#field(body, 'enabled', 'boolean') : undefined;
    if ([value, description, envName, filePath, enabled].every((v) => v === undefined)) {
      throw failure(400, 'At least one field must be provided.');
    }
    const validations = [...validateValue(value, false), ...validateEnvName(envName), ...validateFilePath(filePath)];
    if (filePath !== undefined && filePath !== row.filePath) this.#filePathPolicy(filePath, validations);
    const next: Row = {
      ...row,
      value: value ?? row.value,
      description: description ?? row.description,
      envName: envName ?? row.envName,
      filePath: filePath ?? row.filePath,
      enabled: enabled ?? row.enabled,
    };
    if (this.enabledField && next.enabled && next.envName === '' && next.filePath === '') {
      validations.push({ field: 'env_name', detail: ENABLED_NEEDS_TARGET });
    }
    if (validations.length > 0) throw validationFailed(validations);
    const limit = limitProblem([...rows.values()].map((r) => (r === row ? next : r)));
    if (limit !== undefined) throw failure(400, limit.message, { detail: limit.detail });
    const conflict = conflictWith(
      [...rows.values()].filter((r) => r !== row),
      next,
    );
    if (conflict !== undefined) throw failure(409, 'Validation failed.', { validations: [conflict] });
    Object.assign(row, next, { updatedAt: this.#now() });
    return [200, this.#wire(row)];
  }

  #batch(rows: Map<string, Row>, owner: CoderDoubleUser, body: Record<string, unknown>): [number, unknown] {
    const format = this.#field(body, 'format', 'string');
    const content = this.#field(body, 'content', 'string');
    const validations: ValidationError[] = [];
    if (format !== 'env' && format !== 'json' && format !== 'yaml') {
      validations.push({ field: 'format', detail: 'Format must be one of "env", "json" or "yaml".' });
    }
    if (content === undefined || content === '') validations.push({ field: 'content', detail: 'Content is required.' });
    if (validations.length > 0) throw validationFailed(validations);
    if (utf8(content as string) > MAX_SECRETS_FILE_BYTES) {
      throw failure(400, 'Failed to parse secrets file.', { detail: 'The secrets file must be at most 1 MiB.' });
    }
    let entries: ParsedEntry[];
    try {
      entries = parseSecretsFile(format as ImportFormat, content as string);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      throw failure(400, 'Failed to parse secrets file.', { detail: error.message });
    }
    if (entries.length === 0) {
      throw failure(400, 'Failed to parse secrets file.', { detail: 'The secrets file contains no secrets.' });
    }
    if (entries.length > MAX_SECRETS_FILE_KEYS) {
      throw failure(400, 'User secrets limit reached.', {
        detail: `The secrets file has ${entries.length} keys; at most ${MAX_SECRETS_FILE_KEYS} can be imported at once.`,
      });
    }
    const entryValidations = entries.flatMap((e, i) => [
      ...validateName(e.key, `secrets[${i}].name`),
      ...validateValue(e.value, true, `secrets[${i}].value`),
    ]);
    if (entryValidations.length > 0) throw validationFailed(entryValidations);
    const candidates: Row[] = entries.map((e) => {
      const envName = envNameProblem(e.key) === undefined ? e.key : '';
      const now = this.#now();
      return {
        id: randomUUID(),
        userId: owner.id,
        name: e.key,
        description: '',
        envName,
        filePath: '',
        enabled: this.enabledField ? envName !== '' : true,
        value: e.value,
        createdAt: now,
        updatedAt: now,
      };
    });
    const existing = [...rows.values()];
    const entryLabel = (i: number): string => `Entry secrets[${i}] (${(candidates[i] as Row).name})`;
    if ((this.#options.batchConflictStyle ?? 'first') === 'all') {
      // Pre-flight: report every entry that collides with an existing secret.
      const conflicts = candidates.flatMap((c, i) => {
        const found = conflictWith(existing, c, `secrets[${i}].`);
        return found === undefined ? [] : [found];
      });
      if (conflicts.length > 0) throw failure(409, 'Some secrets already exist.', { validations: conflicts });
    }
    // One transaction: insert in file order; the first failing entry aborts the whole import.
    const inserted: Row[] = [];
    for (const [i, c] of candidates.entries()) {
      const limit = limitProblem([...existing, ...inserted, c]);
      if (limit !== undefined) throw failure(400, limit.message, { detail: `${entryLabel(i)}: ${limit.detail}` });
      const conflict = conflictWith([...existing, ...inserted], c, `secrets[${i}].`);
      if (conflict !== undefined) throw failure(409, 'Validation failed.', { validations: [conflict] });
      inserted.push(c);
    }
    for (const row of inserted) rows.set(row.name, row);
    return [201, inserted.map((r) => this.#wire(r))];
  }
}

/** The per-user limits (trigger `enforce_user_secrets_per_user_limits`) on the resulting set of rows. */
function limitProblem(rows: readonly Row[]): { message: string; detail: string } | undefined {
  if (rows.length > MAX_SECRETS_PER_USER) {
    return {
      message: 'User secrets limit reached.',
      detail: `A user can have at most ${MAX_SECRETS_PER_USER} secrets.`,
    };
  }
  const total = rows.reduce((sum, r) => sum + utf8(r.value), 0);
  if (total > MAX_TOTAL_VALUE_BYTES) {
    return {
      message: 'User secrets value-bytes limit reached.',
      detail: `The values of a user's secrets may total at most ${MAX_TOTAL_VALUE_BYTES} bytes.`,
    };
  }
  const injected = rows.filter((r) => r.enabled && r.envName !== '').reduce((sum, r) => sum + utf8(r.value), 0);
  if (injected > MAX_ENV_INJECTED_BYTES) {
    return {
      message: 'Environment-injected user secrets bytes limit reached.',
      detail: `The values of secrets injected as environment variables may total at most ${MAX_ENV_INJECTED_BYTES} bytes.`,
    };
  }
  return undefined;
}

/** Uniqueness per user: name, and env_name / file_path where non-empty. */
function conflictWith(others: Iterable<Row>, row: Row, prefix = ''): ValidationError | undefined {
  const list = [...others];
  if (list.some((o) => o.name === row.name)) {
    return { field: `${prefix}name`, detail: `A secret named "${row.name}" already exists.` };
  }
  const env = row.envName === '' ? undefined : list.find((o) => o.envName === row.envName);
  if (env !== undefined) {
    return {
      field: `${prefix}env_name`,
      detail: `Environment variable "${row.envName}" is already used by secret "${env.name}".`,
    };
  }
  const file = row.filePath === '' ? undefined : list.find((o) => o.filePath === row.filePath);
  if (file !== undefined) {
    return {
      field: `${prefix}file_path`,
      detail: `File path "${row.filePath}" is already used by secret "${file.name}".`,
    };
  }
  return undefined;
}
