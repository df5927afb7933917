/**
 * The Coder double's authenticate-upstream mode: a real Coder server decides who a token belongs
 * to (`GET /api/v2/users/me`) and whether an addressed user exists (`GET /api/v2/users/{user}`).
 * For servers that have user-secrets tables but not the REST routes (v2.30): tokens and users are
 * real, the secrets API is the double's.
 */

export interface UpstreamUser {
  readonly id: string;
  readonly username: string;
}

/** A status and body to answer with instead of routing the request. */
export type UpstreamRefusal = [number, unknown];

export class UpstreamAuthenticator {
  /** Tokens the real server accepted → user id. A user has several (login, a build's owner token). */
  readonly #tokens = new Map<string, string>();

  constructor(
    private readonly base: string,
    /** True when the double already knows a user by id or username. */
    private readonly knows: (userParam: string) => boolean,
    /** Registers a user the real server vouched for. */
    private readonly register: (user: UpstreamUser) => void,
  ) {}

  /** The user id of a token the real server accepted, if any. */
  userIdOf(token: string): string | undefined {
    return this.#tokens.get(token);
  }

  /**
   * Checks `token` and the user addressed by `pathname` (`/api/v2/users/{user}/…`) with the real
   * server. Returns its refusal to pass on, or undefined to route the request locally.
   */
  async check(token: string, pathname: string): Promise<UpstreamRefusal | undefined> {
    if (token === '') return undefined; // the local route answers 401 like Coder does
    const [meStatus, me] = await this.#ask(token, 'me');
    if (meStatus !== 200) {
      this.#tokens.delete(token);
      return [meStatus, me];
    }
    const caller = asUser(me);
    if (caller === undefined) return [502, { message: 'Upstream answered /users/me without a user.' }];
    this.register(caller);
    this.#tokens.set(token, caller.id);
    const param = pathname.split('/')[4];
    if (param === undefined) return undefined;
    let decoded: string;
    try {
      decoded = decodeURIComponent(param);
    } catch {
      return undefined;
    }
    if (decoded === 'me' || this.knows(decoded)) return undefined;
    const [status, body] = await this.#ask(token, decoded);
    if (status !== 200) return [status, body];
    const user = asUser(body);
    if (user !== undefined) this.register(user);
    return undefined;
  }

  async #ask(token: string, userParam: string): Promise<[number, unknown]> {
    const response = await fetch(`${this.base.replace(/\/+$/, '')}/api/v2/users/${encodeURIComponent(userParam)}`, {
      headers: { 'Coder-Session-Token': token, Accept: 'application/json' },
      redirect: 'manual',
    });
    const text = await response.text();
    try {
      return [response.status, JSON.parse(text) as unknown];
    } catch {
      return [response.status, { message: 'Upstream answered without JSON.' }];
    }
  }
}

function asUser(wire: unknown): UpstreamUser | undefined {
  const { id, username } = (wire ?? {}) as { id?: unknown; username?: unknown };
  return typeof id === 'string' && typeof username === 'string' ? { id, username } : undefined;
}
