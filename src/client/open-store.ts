/**
 * Opens the backend a command works on, from a profile name or backend kind and the
 * environment, and wraps it so every write and value read is audited. `createBackend` is the one
 * factory the CLI and the provider share; `selectBackend` (backend-selection.ts) the one precedence.
 */
import { AuditedSecretStore, auditSinkFromEnv, defaultActor, type AuditSink } from './audit';
import { CoderSecretStore } from './backends/coder';
import { LocalSecretStore, resolveCofferHome } from './backends/local';
import { VaultSecretStore, type VaultAuthOptions, type VaultSecretStoreOptions } from './backends/vault';
import { CredentialStore } from './credential-store';
import { selectBackend, type BackendChoice, type BackendSelection } from './backend-selection';
import { SecretStoreError } from './errors';
import {
  credentialSpecs,
  expandHome,
  loadConfig,
  resolveConfigPath,
  resolveCredential,
  type BackendProfile,
  type CredentialSpec,
} from './profiles';
import type { SecretStore } from './secret-store';
import type { SecretText } from './secret-text';

export { selectBackend, type BackendChoice, type BackendSelection, type SelectionSource } from './backend-selection';

/** What a backend factory gets: the profile, the environment and a way to its credentials. */
export interface BackendContext {
  readonly name: string;
  /** A bare kind without a registered profile: no stored credentials, settings from the environment. */
  readonly builtin: boolean;
  readonly profile: BackendProfile;
  readonly env: NodeJS.ProcessEnv;
  /** A credential (by `credentialSpecs` key) from the environment or the embedded store; undefined when absent. */
  credential(key: string): Promise<SecretText | undefined>;
  /** Like `credential`, but a clear `unauthorized` error names where to put it when absent. */
  requireCredential(key: string): Promise<SecretText>;
}

/** What a front end sets beside the profile: the provider's attributes and its Coder build handling. */
export interface BackendOverrides {
  /** Embedded store home; wins over the profile's `home`. */
  readonly home?: string;
  /** Vault options that win over the profile's; `auth` fields left undefined come from the profile. */
  readonly vault?: Partial<Omit<VaultSecretStoreOptions, 'env'>>;
  /** Opens the Coder store (the provider's build-aware opener); default: a plain `CoderSecretStore`. */
  readonly coder?: (url: string | undefined, token: string | undefined) => SecretStore;
  /** Coder URL and token that win over the profile's (provider attributes). */
  readonly coderUrl?: string;
  readonly coderToken?: string;
}

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * The one switch from a profile (or a bare kind) to a backend, for the CLI and the provider.
 * Credentials come from the environment or the embedded store (`ctx.credential`); anything left
 * undefined the backend reads from its own environment variables. A bare kind (no profile) is
 * configured by the environment and the overrides alone.
 */
export async function createBackend(ctx: BackendContext, overrides: BackendOverrides = {}): Promise<SecretStore> {
  const p = ctx.profile;
  const cred = async (key: string) => (await ctx.credential(key))?.reveal();
  switch (p.kind) {
    case 'local': {
      const home = overrides.home ?? (p.home !== undefined ? expandHome(p.home, ctx.env) : undefined);
      return new LocalSecretStore({ env: ctx.env, ...(home !== undefined ? { home } : {}) });
    }
    case 'vault': {
      const wanted = overrides.vault?.auth;
      let auth: VaultAuthOptions | undefined = wanted;
      if (!ctx.builtin) {
        const method = wanted?.method ?? p.authMethod ?? 'token';
        const role = (wanted !== undefined && 'role' in wanted ? wanted.role : undefined) ?? p.role;
        const mount = wanted !== undefined && 'mount' in wanted ? wanted.mount : undefined;
        auth =
          method === 'token'
            ? { method, token: await cred('token') }
            : method === 'approle'
              ? { method, mount, roleId: await cred('role-id'), secretId: await cred('secret-id') }
              : method === 'jwt'
                ? { method, mount, role, jwt: await cred('jwt') }
                : { method, mount, role };
      }
      const fromProfile: Partial<VaultSecretStoreOptions> = ctx.builtin
        ? {}
        : {
            address: p.url,
            namespace: p.namespace,
            mount: p.mount,
            pathPrefix: p.pathPrefix,
            settingNames: {
              address: `the url of backend "${ctx.name}" (coffer backend register ${ctx.name} --url, or BAO_ADDR/VAULT_ADDR)`,
              mount: `the mount of backend "${ctx.name}" (coffer backend register ${ctx.name} --mount, or COFFER_VAULT_MOUNT)`,
            },
          };
      // An error names the setting that gave the value: the front end's, or the profile's.
      const settingNames = {
        ...overrides.vault?.settingNames,
        ...(overrides.vault?.address === undefined && p.url !== undefined ? { address: fromProfile.settingNames?.address } : {}),
        ...(overrides.vault?.mount === undefined && p.mount !== undefined ? { mount: fromProfile.settingNames?.mount } : {}),
      };
      return new VaultSecretStore({
        ...defined(fromProfile),
        ...defined({ ...overrides.vault, auth: undefined, settingNames: undefined }),
        settingNames: { ...fromProfile.settingNames, ...defined(settingNames) },
        env: ctx.env,
        ...(auth !== undefined ? { auth } : {}),
      });
    }
    case 'coder': {
      const url = overrides.coderUrl ?? p.url;
      if (overrides.coder !== undefined) {
        const token = overrides.coderToken ?? (ctx.builtin ? undefined : await cred('session-token'));
        return overrides.coder(url, token);
      }
      const token = overrides.coderToken ?? (await ctx.requireCredential('session-token')).reveal();
      return new CoderSecretStore({ env: ctx.env, url, token });
    }
  }
}

/** The stored backend credentials: the embedded store in the default Coffer home, audited. */
export function openCredentialStore(env: NodeJS.ProcessEnv = process.env, sink?: AuditSink): CredentialStore {
  return new CredentialStore(env, sink);
}

const NO_STORED = { read: async () => undefined };

export function backendContext(selection: BackendSelection, env: NodeJS.ProcessEnv): BackendContext {
  let credentials: CredentialStore | undefined;
  const open = async (): Promise<CredentialStore> => (credentials ??= openCredentialStore(env));
  const specFor = (key: string): CredentialSpec => {
    const spec = credentialSpecs(selection.profile).find((s) => s.key === key);
    if (spec === undefined) {
      throw new SecretStoreError(
        'unsupported',
        `backend "${selection.name}" (${selection.profile.kind}) has no credential "${key}"`,
      );
    }
    return spec;
  };
  const credential = async (key: string): Promise<SecretText | undefined> => {
    // Stored credentials belong to a profile; a bare kind reads the environment only.
    if (selection.builtin) return resolveCredential(selection.name, specFor(key), env, async () => NO_STORED);
    try {
      return await resolveCredential(selection.name, specFor(key), env, open);
    } finally {
      await credentials?.close();
      credentials = undefined;
    }
  };
  return {
    name: selection.name,
    builtin: selection.builtin,
    profile: selection.profile,
    env,
    credential,
    async requireCredential(key) {
      const value = await credential(key);
      if (value !== undefined) return value;
      const spec = specFor(key);
      const store = selection.builtin
        ? `register a profile with "coffer backend register NAME --kind ${selection.profile.kind} … --store-credential ${key}"`
        : `store it with "coffer backend register ${selection.name} --kind ${selection.profile.kind} … --store-credential ${key}"`;
      throw new SecretStoreError(
        'unauthorized',
        `backend "${selection.name}" (from ${selection.from}) needs its ${spec.description}: set ${spec.envVars.join(' or ')}, or ${store}`,
      );
    },
  };
}

export interface OpenStoreOptions {
  /** @default resolveConfigPath(env) */
  readonly configPath?: string;
  /** @default auditSinkFromEnv(Coffer home, env) */
  readonly auditSink?: AuditSink;
}

/**
 * Opens the selected backend, audited. `backend` is the `--backend` flag (undefined when not
 * given); see backend-selection.ts for the precedence.
 */
export async function openStore(
  backend: string | readonly BackendChoice[] | undefined,
  env: NodeJS.ProcessEnv = process.env,
  options: OpenStoreOptions = {},
): Promise<SecretStore> {
  const config = loadConfig(options.configPath ?? resolveConfigPath(env));
  const selection = selectBackend(backend, env, config);
  const store = await createBackend(backendContext(selection, env));
  const auditHome = store instanceof LocalSecretStore ? store.home : resolveCofferHome(env);
  return new AuditedSecretStore(store, options.auditSink ?? auditSinkFromEnv(auditHome, env), defaultActor(env));
}
