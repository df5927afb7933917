/* eslint-disable @typescript-eslint/no-explicit-any -- synthesized Terraform JSON is untyped */
import { TerraformStack, Testing } from 'cdktn';
import {
  checkStack,
  coder,
  coffer,
  CofferFeature,
  DynamicSecret,
  DynamicSecretPattern,
  PROVIDER_FEATURES_CONTEXT,
  SecretValue,
  UserSecret,
} from '../../src/constructs';

process.env.CHECKPOINT_DISABLE = '1';

/** A stack with the bundled provider's features, or only `features` (a project on an older provider). */
function setup(features?: string[]): { stack: TerraformStack; agent: coder.agent.Agent } {
  const stack = new TerraformStack(
    Testing.app({
      context: {
        targetVersions: { terraform: '>=1.11.0', opentofu: '>=1.11.0' },
        ...(features !== undefined ? { [PROVIDER_FEATURES_CONTEXT]: features } : {}),
      },
    }),
    'stack',
  );
  new coder.provider.CoderProvider(stack, 'coder', {});
  new coffer.provider.CofferProvider(stack, 'coffer', {});
  const agent = new coder.agent.Agent(stack, 'main', { arch: 'amd64', os: 'linux', env: { EXISTING: 'kept' } });
  return { stack, agent };
}

const synth = (stack: TerraformStack): any => JSON.parse(Testing.synth(stack));

describe('DynamicSecret (a) agentEnv', () => {
  test('puts the provider attribute into coder_agent.env, wrapped in sensitive()', () => {
    const { stack, agent } = setup();
    const auth = new coder.dataCoderExternalAuth.DataCoderExternalAuth(stack, 'github', { id: 'github' });
    const d = new DynamicSecret(stack, 'gh', {
      pattern: DynamicSecretPattern.agentEnv({
        agent,
        envName: 'GITHUB_TOKEN',
        value: SecretValue.fromAttribute(auth, 'access_token'),
      }),
    });
    const env = synth(stack).resource.coder_agent.main.env;
    expect(env).toEqual({
      EXISTING: 'kept',
      GITHUB_TOKEN: '${sensitive(data.coder_external_auth.github.access_token)}',
    });
    expect(d.resource).toBeUndefined();
    expect(d.pattern.name).toBe('agent-env');
    expect(checkStack(stack)).toEqual([]);
    expect(() => d.value('x')).toThrow(/value\(\) applies to the vault-lease pattern only/);
  });

  test.each([['PATH'], ['bad-name'], ['']])('fails for envName %j', (envName) => {
    const { stack, agent } = setup();
    const auth = new coder.dataCoderExternalAuth.DataCoderExternalAuth(stack, 'github', { id: 'github' });
    const pattern = DynamicSecretPattern.agentEnv({
      agent,
      envName,
      value: SecretValue.fromAttribute(auth, 'access_token'),
    });
    expect(() => new DynamicSecret(stack, 'd', { pattern })).toThrow(/DynamicSecret "d": envName/);
  });
});

describe('DynamicSecret (b) vaultLease', () => {
  test('synthesizes an ephemeral coffer_dynamic_secret block whose fields feed write-only values', () => {
    // No context: the bundled provider has coffer_dynamic_secret.
    const { stack } = setup();
    const lease = new DynamicSecret(stack, 'db', {
      pattern: DynamicSecretPattern.vaultLease({ mount: 'database', role: 'workspace', ttl: '8h' }),
    });
    new UserSecret(stack, 'pw', {
      name: 'db-password',
      value: lease.value('password'),
      filePath: '~/.config/db/password',
      valueVersion: 'build-1',
    });
    const json = synth(stack);
    expect(Object.values(json.ephemeral.coffer_dynamic_secret)).toEqual([
      { mount: 'database', role: 'workspace', ttl: '8h', revoke_on_close: false },
    ]);
    const id = Object.keys(json.ephemeral.coffer_dynamic_secret)[0];
    expect((Object.values(json.resource.coffer_user_secret)[0] as any).value_wo).toBe(
      `\${ephemeral.coffer_dynamic_secret.${id}.data["password"]}`,
    );
    expect(json.resource).not.toHaveProperty('coffer_dynamic_secret');
    expect(lease.resource?.node.id).toBe('Resource');
    expect(lease.value('password').ephemeral).toBe(true);
    // Ephemeral blocks pass cdktn's targetVersions validation (>= 1.11 here).
    expect(() => Testing.fullSynth(stack)).not.toThrow();
  });

  test('a field cannot go into a stored attribute', () => {
    const { stack, agent } = setup([CofferFeature.DYNAMIC_SECRET]);
    const lease = new DynamicSecret(stack, 'db', {
      pattern: DynamicSecretPattern.vaultLease({ mount: 'database', role: 'workspace' }),
    });
    expect(
      () =>
        new DynamicSecret(stack, 'env', {
          pattern: DynamicSecretPattern.agentEnv({ agent, envName: 'DB_PASSWORD', value: lease.value('password') }),
        }),
    ).toThrow(/is ephemeral, and this attribute is stored in state/);
  });

  test('uses the provider configuration it is given', () => {
    const { stack } = setup();
    const platform = new coffer.provider.CofferProvider(stack, 'platform', { alias: 'platform', backend: 'vault' });
    new DynamicSecret(stack, 'db', {
      pattern: DynamicSecretPattern.vaultLease({ mount: 'database', role: 'r', provider: platform }),
    });
    expect(Object.values(synth(stack).ephemeral.coffer_dynamic_secret)).toEqual([
      { mount: 'database', role: 'r', revoke_on_close: false, provider: 'coffer.platform' },
    ]);
  });

  test('fails when the context turns the feature off, naming the context', () => {
    const { stack } = setup([CofferFeature.SECRET_CHECK]);
    expect(
      () =>
        new DynamicSecret(stack, 'db', { pattern: DynamicSecretPattern.vaultLease({ mount: 'database', role: 'r' }) }),
    ).toThrow(
      /needs the Coffer provider feature "dynamic-secret", which the "@cofferhq\/coffer:providerFeatures" context turns off \(it lists "secret-check"\)/,
    );
  });

  test.each([
    [{ mount: 'data base', role: 'r' }, /mount "data base" must be a Vault path segment/],
    [{ mount: 'database', role: '' }, /role "" must be a Vault path segment/],
    [{ mount: 'database', role: 'r', ttl: 'eight hours' }, /ttl "eight hours" must be a Vault duration/],
  ])('fails for bad props %j', (props, message) => {
    const { stack } = setup([CofferFeature.DYNAMIC_SECRET]);
    expect(() => new DynamicSecret(stack, 'db', { pattern: DynamicSecretPattern.vaultLease(props) })).toThrow(message);
  });
});

describe('DynamicSecret (c) workspaceFetched', () => {
  test('hands the agent a wrapped SecretID and a start-up coffer run script', () => {
    const { stack, agent } = setup();
    const wrapped = SecretValue.variable(stack, 'wrapped', { ephemeral: false });
    const d = new DynamicSecret(stack, 'db', {
      pattern: DynamicSecretPattern.workspaceFetched({
        agent,
        wrappedSecretId: wrapped,
        roleId: 'role-1',
        address: 'https://bao:8200',
        command: ['psql', "it's", '${HOME}'],
      }),
    });
    const json = synth(stack);
    expect(json.resource.coder_agent.main.env).toEqual({
      EXISTING: 'kept',
      BAO_ADDR: 'https://bao:8200',
      COFFER_BACKEND: 'vault',
      COFFER_VAULT_AUTH: 'approle',
      COFFER_VAULT_AUTH_MOUNT: 'approle',
      COFFER_VAULT_ROLE_ID: 'role-1',
      COFFER_VAULT_WRAPPED_SECRET_ID: '${var.wrapped}',
    });
    const script = Object.values(json.resource.coder_script)[0] as any;
    expect(script).toMatchObject({ agent_id: '${coder_agent.main.id}', run_on_start: true, start_blocks_login: true });
    expect(script.script).toContain(`exec coffer run -- psql 'it'\\''s' '$\${HOME}'`);
    expect(d.resource?.node.id).toBe('Resource');
    expect(checkStack(stack)).toEqual([]);
  });

  test('without a command it only sets the environment', () => {
    const { stack, agent } = setup();
    new DynamicSecret(stack, 'db', {
      pattern: DynamicSecretPattern.workspaceFetched({
        agent,
        wrappedSecretId: SecretValue.variable(stack, 'w', { ephemeral: false }),
        roleId: 'r',
        address: 'http://bao:8200',
        envName: 'WRAPPED',
      }),
    });
    const json = synth(stack);
    expect(json.resource.coder_script).toBeUndefined();
    expect(json.resource.coder_agent.main.env.WRAPPED).toBe('${var.w}');
  });

  test.each([
    [{ address: 'bao:8200' }, /address "bao:8200" must be an http\(s\) URL/],
    [{ roleId: ' ' }, /roleId must not be blank/],
    [{ command: [] }, /command must not be empty/],
    [{ envName: 'LD_PRELOAD' }, /envName "LD_PRELOAD" is reserved/],
  ])('fails for bad props %j', (overrides, message) => {
    const { stack, agent } = setup();
    const wrappedSecretId = SecretValue.variable(stack, 'w', { ephemeral: false });
    expect(
      () =>
        new DynamicSecret(stack, 'db', {
          pattern: DynamicSecretPattern.workspaceFetched({
            agent,
            wrappedSecretId,
            roleId: 'r',
            address: 'https://b',
            ...overrides,
          }),
        }),
    ).toThrow(message);
  });
});
