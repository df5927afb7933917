/**
 * The Coffer provider: configuration (which backend, where), and the resources it serves.
 * Every setting is an attribute with an environment-variable fallback; credentials (tokens,
 * AppRole secret IDs, JWTs) come from the environment only, so templates never hold them — with
 * one exception: `coder_token`, which a Coder template feeds from the owner's session token that
 * Coder hands the build (docs/coder.md).
 */
import { AuditedSecretStore, auditSinkFromEnv, defaultActor } from '../client/audit';
import { CoalescingSecretStore } from '../client/coalescing-store';
// Backends are loaded when configured (see openBackend): only the one in use costs start-up time.
import type { LocalSecretStore } from '../client/backends/local';
import type { VaultAuthOptions } from '../client/backends/vault';
import { resolveCofferHome } from '../client/backends/local/paths';
import { dynamicSecretsFor } from '../client/dynamic-secrets';
import { isSecretStoreError } from '../client/errors';
import { ClaimRegistry, claimScopeFromEnvironment } from '../client/ownership';
import type { SecretStore } from '../client/secret-store';
import type { CoderBuildContext } from '../client/backends/coder/build-context';
import { attribute, type Diagnostics, type Logger, type ProviderDefinition, type StateModel } from './framework';
import type { CofferProviderData } from './provider-data';
import { DynamicSecretEphemeral } from './resources/dynamic-secret-ephemeral';
import { SecretCheckDataSource } from './resources/secret-check';
import { UserSecretResource } from './resources/user-secret';
import { UserSecretDataSource, UserSecretsDataSource } from './resources/user-secret-data';
import { UserSecretEphemeral } from './resources/user-secret-ephemeral';

export const BACKENDS = ['local', 'vault', 'coder'] as const;
type BackendKind = (typeof BACKENDS)[number];
const AUTH_METHODS = ['token', 'approle', 'jwt', 'kubernetes'] as const;

const oneOf = (name: string, allowed: readonly string[]) => (value: string) =>
  allowed.includes(value) ? undefined : `${name} must be one of: ${allowed.join(', ')} (got "${value}")`;

const providerAttributes = {
  backend: attribute.string({
    description: 'Where secrets live: `local` (embedded encrypted store, default), `vault` (Vault/OpenBao KV v2) or `coder` (Coder user secrets). Env: COFFER_BACKEND.',
    optional: true,
    validators: [oneOf('backend', BACKENDS)],
  }),
  home: attribute.string({
    description: 'local: directory of the embedded store. Env: COFFER_HOME. Default: $XDG_DATA_HOME/coffer (~/.local/share/coffer).',
    optional: true,
  }),
  vault_address: attribute.string({ description: 'vault: server URL. Env: BAO_ADDR, VAULT_ADDR.', optional: true }),
  vault_namespace: attribute.string({ description: 'vault: namespace (X-Vault-Namespace). Env: BAO_NAMESPACE, VAULT_NAMESPACE.', optional: true }),
  vault_mount: attribute.string({ description: 'vault: KV v2 mount. Env: COFFER_VAULT_MOUNT. Default: secret.', optional: true }),
  vault_path_prefix: attribute.string({
    description: 'vault: folder under the mount with one folder per user. Env: COFFER_VAULT_PATH_PREFIX. Default: coffer/users.',
    optional: true,
  }),
  vault_auth_method: attribute.string({
    description: 'vault: `token`, `approle`, `jwt` or `kubernetes`. Env: COFFER_VAULT_AUTH. Credentials come from the environment only (BAO_TOKEN/VAULT_TOKEN, COFFER_VAULT_ROLE_ID/COFFER_VAULT_SECRET_ID, COFFER_VAULT_JWT/_FILE/_ENV).',
    optional: true,
    validators: [oneOf('vault_auth_method', AUTH_METHODS)],
  }),
  vault_auth_mount: attribute.string({ description: 'vault: mount of the auth method. Env: COFFER_VAULT_AUTH_MOUNT. Default: the method name.', optional: true }),
  vault_role: attribute.string({ description: 'vault: role for jwt and kubernetes auth. Env: COFFER_VAULT_ROLE.', optional: true }),
  vault_ca_cert_file: attribute.string({ description: 'vault: PEM file of CA certificates to trust. Env: BAO_CACERT, VAULT_CACERT.', optional: true }),
  vault_skip_tls_verify: attribute.bool({
    description: 'vault: disable TLS certificate verification (never in production). Env: BAO_SKIP_VERIFY, VAULT_SKIP_VERIFY.',
    optional: true,
  }),
  coder_url: attribute.string({
    description:
      "coder: deployment URL. Env: CODER_URL; inside a Coder workspace build, Coder's access URL (CODER_AGENT_URL).",
    optional: true,
  }),
  coder_token: attribute.string({
    description:
      "coder: session token. In a Coder template: `data.coder_workspace_owner.me.session_token` (the owner's token; Coder passes it on start builds only). Env: CODER_WORKSPACE_OWNER_SESSION_TOKEN, then CODER_SESSION_TOKEN. Empty means unset; without a token inside a build, Coffer's calls become warnings and no-ops (docs/coder.md).",
    optional: true,
    sensitive: true,
  }),
};

type ProviderConfig = StateModel<typeof providerAttributes>;

/** Client field names → provider attributes, for diagnostics on the right attribute. */
const CONFIG_FIELD: Record<BackendKind, Record<string, string>> = {
  local: {},
  vault: {
    address: 'vault_address',
    namespace: 'vault_namespace',
    ca_cert: 'vault_ca_cert_file',
    role: 'vault_role',
    mount: 'vault_mount',
    path_prefix: 'vault_path_prefix',
  },
  coder: { url: 'coder_url' },
};

/** How Vault errors name the settings to check, in this provider's words. */
const VAULT_SETTING_NAMES = {
  address: 'vault_address (or BAO_ADDR/VAULT_ADDR)',
  mount: 'vault_mount (or COFFER_VAULT_MOUNT)',
  caCert: 'vault_ca_cert_file (or BAO_CACERT/VAULT_CACERT)',
};

function vaultAuth(config: ProviderConfig): VaultAuthOptions | undefined {
  const method = config.vault_auth_method as (typeof AUTH_METHODS)[number] | null;
  if (method === null) return undefined;
  const mount = config.vault_auth_mount ?? undefined;
  const role = config.vault_role ?? undefined;
  switch (method) {
    case 'token':
      return { method };
    case 'approle':
      return { method, mount };
    case 'jwt':
      return { method, mount, role };
    case 'kubernetes':
      return { method, mount, role };
  }
}

async function openBackend(
  kind: BackendKind,
  config: ProviderConfig,
  env: NodeJS.ProcessEnv,
  log: Logger,
): Promise<{ store: SecretStore; coderBuild?: CoderBuildContext }> {
  // Method, path, status and timing of every backend call, in the engine's log (TF_LOG=debug).
  const onRequest = (entry: { method: string; path: string; status: number; ms: number }) =>
    log.debug('backend request', { backend: kind, method: entry.method, path: entry.path, status: entry.status, ms: Math.round(entry.ms) });
  switch (kind) {
    case 'local': {
      const { LocalSecretStore } = await import('../client/backends/local');
      return { store: new LocalSecretStore({ home: config.home ?? undefined, env }) };
    }
    case 'vault': {
      const { VaultSecretStore } = await import('../client/backends/vault');
      return { store: new VaultSecretStore({
        env,
        address: config.vault_address ?? undefined,
        namespace: config.vault_namespace ?? undefined,
        mount: config.vault_mount ?? undefined,
        pathPrefix: config.vault_path_prefix ?? undefined,
        auth: vaultAuth(config),
        caCertFile: config.vault_ca_cert_file ?? undefined,
        tlsSkipVerify: config.vault_skip_tls_verify ?? undefined,
        settingNames: VAULT_SETTING_NAMES,
        onRequest,
      }) };
    }
    case 'coder': {
      const { openCoderBackend } = await import('./coder-backend');
      const opened = openCoderBackend({ url: config.coder_url ?? undefined, token: config.coder_token ?? undefined, onRequest }, env, log);
      return { store: opened.store, coderBuild: opened.build };
    }
  }
}

export function cofferProvider(log: Logger, env: NodeJS.ProcessEnv = process.env): ProviderDefinition<typeof providerAttributes, CofferProviderData> {
  return {
    typeName: 'coffer',
    schema: { version: 0, description: 'Coffer: user secrets as code.', attributes: providerAttributes },
    async configure(config: ProviderConfig, diagnostics: Diagnostics) {
      const kind = (config.backend ?? env.COFFER_BACKEND ?? 'local') as BackendKind;
      if (!BACKENDS.includes(kind)) {
        diagnostics.addError('Unsupported backend', `COFFER_BACKEND must be one of: ${BACKENDS.join(', ')} (got "${kind}").`, ['backend']);
        return undefined;
      }
      let store: SecretStore;
      let coderBuild: CoderBuildContext | undefined;
      try {
        ({ store, coderBuild } = await openBackend(kind, config, env, log));
      } catch (error) {
        if (!isSecretStoreError(error)) throw error;
        const attributeName = error.field ? CONFIG_FIELD[kind][error.field] : undefined;
        diagnostics.addError(`Cannot configure the ${kind} backend`, `${error.message}.`, attributeName ? [attributeName] : undefined);
        return undefined;
      }
      const local = store.kind === 'local' ? (store as LocalSecretStore) : undefined;
      const home = local !== undefined ? local.home : config.home ?? resolveCofferHome(env);
      log.debug('configured backend', { backend: store.kind });
      // Remote backends: a refresh of many secrets becomes a few list calls instead of one GET each.
      const reads = local ?? new CoalescingSecretStore(store);
      const auditSink =
        coderBuild !== undefined && !env.COFFER_AUDIT_LOG?.trim()
          ? (await import('./coder-backend')).providerLogAuditSink(log, coderBuild)
          : auditSinkFromEnv(home, env);
      return {
        store: new AuditedSecretStore(reads, auditSink, defaultActor(env)),
        dynamicSecrets: dynamicSecretsFor(store),
        claims: { scope: claimScopeFromEnvironment(env), registry: new ClaimRegistry() },
        coderBuild,
      };
    },
    async close(data: CofferProviderData) {
      await data.store.close();
    },
    resources: [new UserSecretResource()],
    dataSources: [new UserSecretDataSource(), new UserSecretsDataSource(), new SecretCheckDataSource()],
    ephemeralResources: [new UserSecretEphemeral(), new DynamicSecretEphemeral()],
  };
}
