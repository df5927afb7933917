/**
 * The configuration the ci-plan pipeline applies: the secrets a CI service user's jobs receive,
 * with values that only ever come from the pipeline's environment (TF_VAR_registry_token,
 * TF_VAR_deploy_key) into ephemeral variables and write-only attributes — never argv, never
 * the plan file, never state.
 *
 * Synthesize: `node examples/coder-template/synth.mjs --app examples/ci-plan/main.ts --out cdktf.out`.
 */
import { App, LocalBackend, TerraformStack, TerraformVariable } from 'cdktn';
import type { Construct } from 'constructs';
import { coffer, SecretValue, UserSecret } from '../../src/constructs';

class CiSecrets extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new LocalBackend(this, { path: 'terraform.tfstate' });
    new coffer.provider.CofferProvider(this, 'coffer', {});

    // Rotation: the pipeline passes the secret manager's version of the values (not a secret).
    const version = new TerraformVariable(this, 'secrets_version', {
      type: 'string',
      default: '1',
      description: 'Bump to write new values (TF_VAR_secrets_version)',
    });

    new UserSecret(this, 'registry', {
      name: 'registry-token',
      value: SecretValue.variable(this, 'registry_token', {
        description: 'Container registry token (TF_VAR_registry_token)',
      }),
      valueVersion: version.stringValue,
      envName: 'REGISTRY_TOKEN',
      description: 'Pushes images from CI jobs',
    });
    new UserSecret(this, 'deploy-key', {
      name: 'deploy-key',
      value: SecretValue.variable(this, 'deploy_key', { description: 'SSH deploy key (TF_VAR_deploy_key)' }),
      valueVersion: version.stringValue,
      filePath: '~/.ssh/deploy_key',
      description: 'Read-only deploy key for the infra repository',
    });
  }
}

const app = new App();
new CiSecrets(app, 'ci-secrets');
app.synth();
