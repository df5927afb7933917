/**
 * The backends the provider e2e suite runs on: the embedded store, a real OpenBao dev server
 * started for the test, and the Coder API test double. Each fixture gives the provider its
 * environment and the test an out-of-band handle to the same data.
 */
import { CoderSecretStore } from '../../../src/client/backends/coder';
import { LocalSecretStore } from '../../../src/client/backends/local';
import { VaultSecretStore } from '../../../src/client/backends/vault';
import type { SecretStore } from '../../../src/client/secret-store';
import { CoderDouble } from '../../support/coder-double';
import { startOpenBao, type OpenBaoServer } from '../../support/openbao';

export type BackendName = 'local' | 'openbao' | 'coder';

export interface BackendFixture {
  readonly name: BackendName;
  /** Environment for tofu (and so the provider). Credentials live here, never in HCL. */
  readonly providerEnv: Record<string, string>;
  /** The user `me` stands for, as the backend names it (for USER/NAME import IDs). */
  readonly username: string;
  /** Out-of-band access to the same secrets, as another tool would have. */
  readonly store: SecretStore;
  /** The stored plaintext, for assertions (the Coder double's test-only view on Coder). */
  valueOf(user: string, name: string): Promise<string | undefined>;
  /** Backend-side text a canary must never appear in (server audit logs and the like). */
  serverLogs(): string;
  stop(): Promise<void>;
}

export function backendNames(): BackendName[] {
  const only = process.env.COFFER_E2E_BACKENDS?.split(',').map((s) => s.trim()).filter(Boolean) as BackendName[] | undefined;
  return only && only.length > 0 ? only : ['local', 'openbao', 'coder'];
}

export async function startBackend(name: BackendName, home: string): Promise<BackendFixture> {
  switch (name) {
    case 'local':
      return localFixture(home);
    case 'openbao':
      return openBaoFixture();
    case 'coder':
      return coderFixture();
  }
}

function localFixture(home: string): BackendFixture {
  const store = new LocalSecretStore({ home, identity: 'alice' });
  return {
    name: 'local',
    providerEnv: { COFFER_BACKEND: 'local', COFFER_USER: 'alice' },
    username: 'alice',
    store,
    valueOf: async (user, name) => (await store.readValue(user, name)).reveal(),
    serverLogs: () => '',
    stop: () => store.close(),
  };
}

async function openBaoFixture(): Promise<BackendFixture> {
  // OpenBao ≥ 2.2 refuses to enable audit devices over the API, so the request log we check is
  // the provider's own (backend request lines in TF_LOG output).
  const server: OpenBaoServer = await startOpenBao();
  const env = { COFFER_BACKEND: 'vault', BAO_ADDR: server.address, BAO_TOKEN: server.token, COFFER_USER: 'alice' };
  const store = new VaultSecretStore({ env: { ...env } });
  return {
    name: 'openbao',
    providerEnv: env,
    username: 'alice',
    store,
    valueOf: async (user, name) => (await store.readValue(user, name)).reveal(),
    serverLogs: () => '',
    stop: async () => {
      await store.close();
      await server.stop();
    },
  };
}

async function coderFixture(): Promise<BackendFixture> {
  const double = await CoderDouble.start({ users: ['alice', 'bob'] });
  const token = double.tokenFor('alice');
  const env = { COFFER_BACKEND: 'coder', CODER_URL: double.url, CODER_SESSION_TOKEN: token };
  const store = new CoderSecretStore({ env: { ...env } });
  return {
    name: 'coder',
    providerEnv: env,
    username: 'alice',
    store,
    valueOf: async (user, name) => double.valueOf(user === 'me' ? 'alice' : user, name),
    serverLogs: () => double.requests.map((r) => JSON.stringify(r)).join('\n'),
    stop: async () => {
      await store.close();
      await double.close();
    },
  };
}
