/**
 * Opens the backend a command works on, from a profile name and the environment, and wraps it
 * so every write and value read is audited.
 *
 * Selection order: the `--backend NAME` flag, `COFFER_BACKEND`, the config's `current`, else the
 * embedded store. `local` names the embedded store unless a profile of that name exists.
 */
import { AuditedSecretStore, auditSinkFromEnv, defaultActor, type AuditSink } from './audit';
import { CoderSecretStore } from './backends/coder';
import { LocalSecretStore, resolveCofferHome } from './backends/local';
import { VaultSecretStore, type VaultAuthOptions } from './backends/vault';
import { CredentialStore } from './credential-store';
import { SecretStoreError } from './errors';
import {
  BUILTIN_LOCAL,
  credentialSpecs,
  expandHome,
  loadConfig,
  resolveConfigPath,
  resolveCredential,
  type BackendProfile,
  type CofferConfig,
  type CredentialSpec,
} from './profiles';
import type { SecretStore } from './secret-store';
import type { SecretText } from './secret-text';

export type SelectionSource = 'flag' | 'env' | 'config' | 'default';

export interface BackendSelection {
  /** The profile name, or `local` for the built-in embedded store. */
  readonly name: string;
  readonly profile: BackendProfile;
  /** Where the choice came from: `--backend`, `COFFER_BACKEND`, the config's `current`, or nothing. */
  readonly source: SelectionSource;
  /** True for the embedded store used without a profile. */
  readonly builtin: boolean;
}

/** Picks the backend without opening it. Throws `not_found` for an unknown profile name. */
export function selectBackend(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  config: CofferConfig,
): BackendSelection {
  const fromEnv = env.COFFER_BACKEND !== undefined && env.COFFER_BACKEND !== '' ? env.COFFER_BACKEND : undefined;
  const [name, source]: [string | undefined, SelectionSource] =
    flag !== undefined
      ? [flag, 'flag']
      : fromEnv !== undefined
        ? [fromEnv, 'env']
        : config.current !== undefined
          ? [config.current, 'config']
          : [undefined, 'default'];
  if (name === undefined) return { name: BUILTIN_LOCAL, profile: { kind: 'local' }, source, builtin: true };
  const profile = config.backends[name];
  if (profile !== undefined) return { name, profile, source, builtin: false };
  if (name === BUILTIN_LOCAL) return { name, profile: { kind: 'local' }, source, builtin: true };
  const via = source === 'flag' ? '--backend' : source === 'env' ? 'COFFER_BACKEND' : 'the config\'s "current"';
  throw new SecretStoreError(
    'not_found',
    `backend "${name}" (from ${via}) is not registered: see "coffer backend list"`,
    { field: 'backend' },
  );
}

/** What a backend factory gets: the profile, the environment and a way to its credentials. */
export interface BackendContext {
  readonly name: string;
  readonly profile: BackendProfile;
  readonly env: NodeJS.ProcessEnv;
  /** A credential (by `credentialSpecs` key) from the environment or the embedded store; undefined when absent. */
  credential(key: string): Promise<SecretText | undefined>;
  /** Like `credential`, but a clear `unauthorized` error names where to put it when absent. */
  requireCredential(key: string): Promise<SecretText>;
}

/**
 * The one switch from a profile to a backend. Credentials come from the environment or the
 * embedded store (`ctx.credential`); anything left undefined the backend reads from its own
 * environment variables.
 */
async function createBackend(ctx: BackendContext): Promise<SecretStore> {
  const p = ctx.profile;
  const cred = async (key: string) => (await ctx.credential(key))?.reveal();
  switch (p.kind) {
    case 'local':
      return new LocalSecretStore({
        env: ctx.env,
        ...(p.home !== undefined ? { home: expandHome(p.home, ctx.env) } : {}),
      });
    case 'vault': {
      const method = p.authMethod ?? 'token';
      const auth: VaultAuthOptions =
        method === 'token'
          ? { method, token: await cred('token') }
          : method === 'approle'
            ? { method, roleId: await cred('role-id'), secretId: await cred('secret-id') }
            : method === 'jwt'
              ? { method, role: p.role, jwt: await cred('jwt') }
              : { method, role: p.role };
      return new VaultSecretStore({
        env: ctx.env,
        address: p.url,
        namespace: p.namespace,
        mount: p.mount,
        pathPrefix: p.pathPrefix,
        auth,
        settingNames: {
          address: `the url of backend "${ctx.name}" (coffer backend register ${ctx.name} --url, or BAO_ADDR/VAULT_ADDR)`,
          mount: `the mount of backend "${ctx.name}" (coffer backend register ${ctx.name} --mount, or COFFER_VAULT_MOUNT)`,
        },
      });
    }
    case 'coder':
      return new CoderSecretStore({ env: ctx.env, url: p.url, token: (await ctx.requireCredential('session-token')).reveal() });
  }
}

/** The stored backend credentials: the embedded store in the default Coffer home, audited. */
export function openCredentialStore(env: NodeJS.ProcessEnv = process.env, sink?: AuditSink): CredentialStore {
  return new CredentialStore(env, sink);
}

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
    try {
      return await resolveCredential(selection.name, specFor(key), env, open);
    } finally {
      await credentials?.close();
      credentials = undefined;
    }
  };
  return {
    name: selection.name,
    profile: selection.profile,
    env,
    credential,
    async requireCredential(key) {
      const value = await credential(key);
      if (value !== undefined) return value;
      const spec = specFor(key);
      throw new SecretStoreError(
        'unauthorized',
        `backend "${selection.name}" needs its ${spec.description}: set ${spec.envVars.join(' or ')}, or store it with ` +
          `"coffer backend register ${selection.name} --kind ${selection.profile.kind} … --store-credential ${key}"`,
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
 * Opens the selected backend, audited. `profile` is the `--backend` flag (undefined when not
 * given); see the module comment for the selection order.
 */
export async function openStore(
  profile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  options: OpenStoreOptions = {},
): Promise<SecretStore> {
  const config = loadConfig(options.configPath ?? resolveConfigPath(env));
  const selection = selectBackend(profile, env, config);
  const store = await createBackend(backendContext(selection, env));
  const auditHome = store instanceof LocalSecretStore ? store.home : resolveCofferHome(env);
  return new AuditedSecretStore(store, options.auditSink ?? auditSinkFromEnv(auditHome, env), defaultActor(env));
}
