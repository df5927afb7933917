/**
 * A Coder workspace template written with the Coffer constructs, following the model of
 * docs/coder.md (no secret ever enters as a template variable):
 *
 * - the default `coffer` provider is the owner's Coder user secrets, on the owner's own token
 *   (`data.coder_workspace_owner.me.session_token`, passed by Coder on start builds);
 * - a `platform` provider alias reads the platform team's store (Vault/OpenBao, configured on the
 *   provisioner) — `SecretValue.fromCofferSecret` reads npm/PyPI tokens from it ephemerally;
 * - `UserSecret` — template-managed user secrets (npm, PyPI), written write-only on start builds
 *   (`count = start_count`) and retained on stop/delete (the owner's other workspaces use them);
 * - `SecretCheck` — secrets every user must bring themselves (an SSH signing key), checked on
 *   start builds (a no-op with a warning at import, in the preview, on stop and delete);
 * - `DynamicSecret` (a) — Coder's external-auth GitHub token into the agent's env;
 * - `DynamicSecret` (b) — a per-workspace database lease via `coffer_dynamic_secret`, only when
 *   the `dynamic-secret` provider feature is on (the App context below turns it off);
 * - `SensitiveMetadata` — dashboard metadata, sensitive where it derives from a secret;
 * - the secret guard, on for the whole app.
 *
 * Pattern (c) (a wrapped SecretID from the pipeline) is not used here: in a Coder template its only
 * way in is a template variable, which Coder stores in its database (docs/coder.md).
 *
 * Synthesize: `node examples/coder-template/synth.mjs --out cdktf.out` (see README.md).
 */
import { App, LocalBackend, TerraformStack, Token } from 'cdktn';
import type { Construct } from 'constructs';
import {
  coder,
  coffer,
  CofferFeature,
  DynamicSecret,
  DynamicSecretPattern,
  enableSecretGuard,
  providerFeatureEnabled,
  PROVIDER_FEATURES_CONTEXT,
  SecretCheck,
  SecretValue,
  SensitiveMetadata,
  UserSecret,
} from '../../src/constructs';

export class WorkspaceTemplate extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    // State next to the configuration wherever it is applied (cdktn's default is an absolute path).
    new LocalBackend(this, { path: 'terraform.tfstate' });
    new coder.provider.CoderProvider(this, 'coder', {});

    const workspace = new coder.dataCoderWorkspace.DataCoderWorkspace(this, 'me', {});
    const owner = new coder.dataCoderWorkspaceOwner.DataCoderWorkspaceOwner(this, 'owner', {});
    // The owner's Coder user secrets, with the owner's token; the URL is Coder's access URL.
    new coffer.provider.CofferProvider(this, 'coffer', { backend: 'coder', coderToken: owner.sessionToken });
    // The platform team's store: backend and credential from the provisioner's environment
    // (COFFER_BACKEND=vault, VAULT_ADDR, COFFER_VAULT_ROLE_ID/COFFER_VAULT_SECRET_ID, ...).
    const platform = new coffer.provider.CofferProvider(this, 'platform', { alias: 'platform' });

    const agent = new coder.agent.Agent(this, 'main', {
      arch: 'amd64',
      os: 'linux',
      env: { GIT_AUTHOR_NAME: owner.fullName, GIT_AUTHOR_EMAIL: owner.email },
    });

    // Template-managed secrets: read from the platform store for the run (ephemeral), written
    // write-only into the owner's secrets on start builds, retained on stop and delete.
    const startCount = Token.asNumber(workspace.startCount);
    const npm = new UserSecret(this, 'npm', {
      name: 'npm-token',
      value: SecretValue.fromCofferSecret(this, 'npm-source', { name: 'npm-token', user: 'platform-team', provider: platform }),
      envName: 'NPM_TOKEN',
      description: 'npm publish token (managed by the workspace template)',
    });
    npm.resource.count = startCount;
    const pypi = new UserSecret(this, 'pypi', {
      name: 'pypi-token',
      value: SecretValue.fromCofferSecret(this, 'pypi-source', { name: 'pypi-token', user: 'platform-team', provider: platform }),
      filePath: '~/.config/pypi/token',
      description: 'PyPI upload token (managed by the workspace template)',
    });
    pypi.resource.count = startCount;

    // Secrets each user brings (`coder secret create ssh-signing-key`, or Account → Secrets).
    new SecretCheck(this, 'required', { secrets: ['ssh-signing-key'] });

    // (a) Coder's documented pattern: the external-auth token into the agent's env, sensitive.
    const github = new coder.dataCoderExternalAuth.DataCoderExternalAuth(this, 'github', { id: 'github' });
    new DynamicSecret(this, 'github-token', {
      pattern: DynamicSecretPattern.agentEnv({
        agent,
        envName: 'GITHUB_TOKEN',
        value: SecretValue.fromAttribute(github, 'access_token'),
      }),
    });

    // (b) A per-workspace database lease, never in plan or state: only with a provider that has it.
    if (providerFeatureEnabled(this, CofferFeature.DYNAMIC_SECRET)) {
      const lease = new DynamicSecret(this, 'db-lease', {
        pattern: DynamicSecretPattern.vaultLease({ mount: 'database', role: 'workspace', ttl: '8h' }),
      });
      new UserSecret(this, 'db-password', {
        name: `db-password-${workspace.name}`,
        value: lease.value('password'),
        valueVersion: workspace.id,
        filePath: `~/.config/db/${workspace.name}/password`,
        onDestroy: 'delete', // per workspace, not shared
      });
    }

    new SensitiveMetadata(this, 'secrets-info', {
      resourceId: agent.id,
      items: [
        { key: 'npm', value: 'NPM_TOKEN (managed by Coffer)' },
        { key: 'PyPI', value: '~/.config/pypi/token (managed by Coffer)' },
        // Derives from a sensitive attribute, so it is marked sensitive automatically. Prefer
        // showing *that* a secret is there: sensitive hides it in the UI, it is not access control.
        { key: 'GitHub token', value: github.accessToken },
      ],
    });
  }
}

// Every provider feature is on by default; this template turns `dynamic-secret` off, so pattern (b)
// is left out unless `--context` lists it too (it needs a database secrets engine on the platform's Vault).
const app = new App({
  context: { [PROVIDER_FEATURES_CONTEXT]: [CofferFeature.SECRET_CHECK, CofferFeature.EPHEMERAL_USER_SECRET] },
});
enableSecretGuard(app);
new WorkspaceTemplate(app, 'workspace');
app.synth();
