/**
 * A Coder workspace template written with the Coffer constructs, using every one of them:
 *
 * - `SecretValue.variable` — secrets enter as sensitive (and, where possible, ephemeral)
 *   variables, supplied at run time as TF_VAR_… environment variables;
 * - `UserSecret` — template-managed user secrets (npm, PyPI), written write-only;
 * - `SecretCheck` — secrets every user must bring themselves (an SSH signing key);
 * - `DynamicSecret` (a) — Coder's external-auth GitHub token into the agent's env;
 * - `DynamicSecret` (c) — a wrapped, single-use SecretID; the workspace fetches its own
 *   database credential at start with `coffer run`;
 * - `DynamicSecret` (b) — a per-workspace database lease via `coffer_dynamic_secret`, only when
 *   the project declares the `dynamic-secret` provider feature (the provider ships it later);
 * - `SensitiveMetadata` — dashboard metadata, sensitive where it derives from a secret;
 * - the secret guard, on for the whole app.
 *
 * Synthesize: `node examples/coder-template/synth.mjs --out cdktf.out` (see README.md).
 */
import { App, LocalBackend, TerraformStack } from 'cdktn';
import type { Construct } from 'constructs';
import {
  coder,
  coffer,
  CofferFeature,
  DynamicSecret,
  DynamicSecretPattern,
  enableSecretGuard,
  providerFeatureEnabled,
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
    // Embedded store by default; COFFER_BACKEND / COFFER_HOME configure it from the environment.
    new coffer.provider.CofferProvider(this, 'coffer', {});

    const workspace = new coder.dataCoderWorkspace.DataCoderWorkspace(this, 'me', {});
    const owner = new coder.dataCoderWorkspaceOwner.DataCoderWorkspaceOwner(this, 'owner', {});
    const agent = new coder.agent.Agent(this, 'main', {
      arch: 'amd64',
      os: 'linux',
      env: { GIT_AUTHOR_NAME: owner.fullName, GIT_AUTHOR_EMAIL: owner.email },
      startupScript: '#!/bin/sh\ncoffer materialize || true\n',
    });

    // Template-managed secrets: the values come from the pipeline's environment
    // (TF_VAR_npm_token, TF_VAR_pypi_token) and are written write-only.
    new UserSecret(this, 'npm', {
      name: 'npm-token',
      value: SecretValue.variable(this, 'npm_token', {
        description: 'npm publish token for workspaces (TF_VAR_npm_token)',
      }),
      envName: 'NPM_TOKEN',
      description: 'npm publish token',
    });
    new UserSecret(this, 'pypi', {
      name: 'pypi-token',
      value: SecretValue.variable(this, 'pypi_token', { description: 'PyPI upload token (TF_VAR_pypi_token)' }),
      filePath: '~/.config/pypi/token',
      description: 'PyPI upload token',
    });

    // Secrets each user brings (`coffer secret create ssh-signing-key --file ~/.ssh/signing_key`).
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

    // (c) State-free for the credential: the build passes a wrapped single-use SecretID
    // (minted with a short TTL by the pipeline); the workspace unwraps it and runs `coffer run`.
    new DynamicSecret(this, 'db', {
      pattern: DynamicSecretPattern.workspaceFetched({
        agent,
        wrappedSecretId: SecretValue.variable(this, 'vault_wrapped_secret_id', {
          ephemeral: false, // it goes into the agent's env, which is stored in state
          description: 'Response-wrapped AppRole SecretID, single use, TTL of minutes (TF_VAR_vault_wrapped_secret_id)',
        }),
        roleId: 'workspace-db',
        address: 'https://bao.example.internal:8200',
        command: ['make', 'dev-db'],
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

const app = new App();
enableSecretGuard(app);
new WorkspaceTemplate(app, 'workspace');
app.synth();
