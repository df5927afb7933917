/* eslint-disable @typescript-eslint/no-explicit-any -- synthesized Terraform JSON is untyped */
import { TerraformStack, TerraformVariable, Testing } from 'cdktn';
import { inspect } from 'node:util';
import {
  coder,
  coffer,
  CofferFeature,
  DynamicSecret,
  DynamicSecretPattern,
  PROVIDER_FEATURES_CONTEXT,
  rangeFloor,
  SecretValue,
  SensitiveMetadata,
  targetsAtLeast,
  UserSecret,
  WRITE_ONLY_MIN,
} from '../../src/constructs';

process.env.CHECKPOINT_DISABLE = '1';

const TARGETS = { terraform: '>=1.11.0', opentofu: '>=1.11.0' };

function stackWith(context: Record<string, unknown> = {}): TerraformStack {
  const stack = new TerraformStack(Testing.app({ context: { targetVersions: TARGETS, ...context } }), 'stack');
  new coffer.provider.CofferProvider(stack, 'coffer', {});
  new coder.provider.CoderProvider(stack, 'coder', {});
  return stack;
}

const synth = (stack: TerraformStack): any => JSON.parse(Testing.synth(stack));

describe('SecretValue.variable', () => {
  test('declares a sensitive, ephemeral string variable when every consumer is write-only', () => {
    const stack = stackWith();
    new UserSecret(stack, 's', {
      name: 'n',
      value: SecretValue.variable(stack, 'tok', { description: 'd' }),
      envName: 'TOK',
    });
    expect(synth(stack).variable.tok).toEqual({
      type: 'string',
      sensitive: true,
      ephemeral: true,
      nullable: false,
      description: 'd',
    });
  });

  test('stays non-ephemeral when a consumer stores the value in state', () => {
    const stack = stackWith();
    const value = SecretValue.variable(stack, 'tok');
    const agent = new coder.agent.Agent(stack, 'a', { arch: 'amd64', os: 'linux' });
    new UserSecret(stack, 's', { name: 'n', value, envName: 'TOK' });
    new DynamicSecret(stack, 'd', { pattern: DynamicSecretPattern.agentEnv({ agent, envName: 'TOK', value }) });
    const json = synth(stack);
    expect(json.variable.tok).not.toHaveProperty('ephemeral');
    expect(json.variable.tok.sensitive).toBe(true);
  });

  test('stays non-ephemeral when the targets predate ephemeral variables', () => {
    const stack = stackWith({ targetVersions: { terraform: '>=1.9.0' } });
    SecretValue.variable(stack, 'tok');
    expect(synth(stack).variable.tok).not.toHaveProperty('ephemeral');
  });

  test('fails for ephemeral: true when the targets predate ephemeral variables', () => {
    const stack = stackWith({ targetVersions: { terraform: '>=1.9.0', opentofu: '>=1.11.0' } });
    expect(() => SecretValue.variable(stack, 'tok', { ephemeral: true })).toThrow(
      /ephemeral: true needs terraform >= 1.10 and opentofu >= 1.11/,
    );
  });

  test('fails when an explicitly ephemeral variable reaches a stored attribute', () => {
    const stack = stackWith();
    const agent = new coder.agent.Agent(stack, 'a', { arch: 'amd64', os: 'linux' });
    const value = SecretValue.variable(stack, 'tok', { ephemeral: true });
    expect(
      () => new DynamicSecret(stack, 'd', { pattern: DynamicSecretPattern.agentEnv({ agent, envName: 'TOK', value }) }),
    ).toThrow(/cannot take variable tok: it was declared ephemeral/);
  });

  test('ephemeral: false keeps it out of ephemeral mode', () => {
    const stack = stackWith();
    new UserSecret(stack, 's', {
      name: 'n',
      value: SecretValue.variable(stack, 'tok', { ephemeral: false }),
      envName: 'TOK',
    });
    expect(synth(stack).variable.tok).not.toHaveProperty('ephemeral');
  });
});

describe('SecretValue.fromVariable', () => {
  test('accepts a sensitive variable', () => {
    const stack = stackWith();
    const variable = new TerraformVariable(stack, 'tok', { type: 'string', sensitive: true });
    new UserSecret(stack, 's', { name: 'n', value: SecretValue.fromVariable(variable), envName: 'TOK' });
    expect((Object.values(synth(stack).resource.coffer_user_secret)[0] as any).value_wo).toBe('${var.tok}');
  });

  test('fails for a variable that is not sensitive', () => {
    const stack = stackWith();
    const variable = new TerraformVariable(stack, 'tok', { type: 'string' });
    expect(() => SecretValue.fromVariable(variable)).toThrow(/variable "tok" must be declared with sensitive: true/);
  });

  test('reads ephemeral from an override and refuses stored attributes for it', () => {
    const stack = stackWith();
    const variable = new TerraformVariable(stack, 'tok', { type: 'string', sensitive: true });
    variable.addOverride('ephemeral', true);
    const value = SecretValue.fromVariable(variable);
    expect(value.ephemeral).toBe(true);
    const agent = new coder.agent.Agent(stack, 'a', { arch: 'amd64', os: 'linux' });
    expect(
      () => new DynamicSecret(stack, 'd', { pattern: DynamicSecretPattern.agentEnv({ agent, envName: 'TOK', value }) }),
    ).toThrow(/is ephemeral, and this attribute is stored in state/);
  });
});

describe('SecretValue.fromAttribute / fromEphemeralAttribute', () => {
  test('wraps a provider attribute in sensitive() where it is displayed', () => {
    const stack = stackWith();
    const auth = new coder.dataCoderExternalAuth.DataCoderExternalAuth(stack, 'gh', { id: 'github' });
    const agent = new coder.agent.Agent(stack, 'a', { arch: 'amd64', os: 'linux' });
    new DynamicSecret(stack, 'd', {
      pattern: DynamicSecretPattern.agentEnv({
        agent,
        envName: 'GITHUB_TOKEN',
        value: SecretValue.fromAttribute(auth, 'access_token'),
      }),
    });
    expect(synth(stack).resource.coder_agent.a.env.GITHUB_TOKEN).toBe(
      '${sensitive(data.coder_external_auth.gh.access_token)}',
    );
  });

  test('fails for an empty attribute name', () => {
    const stack = stackWith();
    const auth = new coder.dataCoderExternalAuth.DataCoderExternalAuth(stack, 'gh', { id: 'github' });
    expect(() => SecretValue.fromAttribute(auth, '')).toThrow(/attribute must be a literal attribute name/);
  });

  test('an ephemeral attribute is refused by stored attributes', () => {
    const stack = stackWith();
    const eph = new coffer.ephemeralCofferUserSecret.EphemeralCofferUserSecret(stack, 'e', { name: 'x' });
    const value = SecretValue.fromEphemeralAttribute(eph, 'value');
    expect(value.ephemeral).toBe(true);
    const agent = new coder.agent.Agent(stack, 'a', { arch: 'amd64', os: 'linux' });
    expect(() => new SensitiveMetadata(stack, 'm', { resourceId: agent.id, items: [{ key: 'k', value }] })).toThrow(
      /is ephemeral, and this attribute is stored in state/,
    );
  });
});

describe('SecretValue.fromCofferSecret', () => {
  test('synthesizes an ephemeral coffer_user_secret block and feeds value_wo', () => {
    const stack = stackWith();
    const value = SecretValue.fromCofferSecret(stack, 'src', { name: 'github-token', user: 'alice' });
    new UserSecret(stack, 'copy', { name: 'gh-copy', value, envName: 'GH_COPY' });
    const json = synth(stack);
    expect(json.ephemeral.coffer_user_secret.src).toEqual({ name: 'github-token', user: 'alice' });
    expect((Object.values(json.resource.coffer_user_secret)[0] as any).value_wo).toBe(
      '${ephemeral.coffer_user_secret.src.value}',
    );
    expect(() => Testing.fullSynth(stack)).not.toThrow();
  });

  test('fails when the context turns the provider feature off', () => {
    const stack = stackWith({ [PROVIDER_FEATURES_CONTEXT]: [CofferFeature.SECRET_CHECK, CofferFeature.DYNAMIC_SECRET] });
    expect(() => SecretValue.fromCofferSecret(stack, 'src', { name: 'x' })).toThrow(
      /needs the Coffer provider feature "ephemeral-user-secret"/,
    );
  });

  test('fails for a bad name', () => {
    const stack = stackWith();
    expect(() => SecretValue.fromCofferSecret(stack, 'src', { name: 'a#b' })).toThrow(/name must not contain "#"/);
  });
});

describe('SecretValue safety', () => {
  test('cannot become a string by accident', () => {
    const value = SecretValue.unsafePlainText('hunter2');
    expect(() => `${value}`).toThrow(/cannot be converted to a string/);
    expect(() => JSON.stringify({ value })).toThrow(/cannot be serialized/);
    expect(inspect(value)).toBe('SecretValue(SecretValue.unsafePlainText())');
    expect(inspect(value)).not.toContain('hunter2');
    expect(SecretValue.isSecretValue(value)).toBe(true);
    expect(SecretValue.isSecretValue('hunter2')).toBe(false);
  });

  test('unsafePlainText refuses an empty string', () => {
    expect(() => SecretValue.unsafePlainText('')).toThrow(/non-empty/);
  });

  test('unsafeUnwrap gives the expression', () => {
    expect(SecretValue.unsafePlainText('x').unsafeUnwrap()).toBe('x');
  });
});

describe('targetVersions helpers', () => {
  test.each([
    ['>=1.11.0', [1, 11, 0]],
    ['~1.10.2', [1, 10, 2]],
    ['^1.9', [1, 9, 0]],
    ['>=1.8.0 <2.0.0', [1, 8, 0]],
    ['>1.10.0', [1, 10, 1]],
    ['>=1.11.0 || >=1.6.0', [1, 6, 0]],
    ['*', [0, 0, 0]],
  ])('rangeFloor(%s)', (range, floor) => {
    expect(rangeFloor(range)).toEqual(floor);
  });

  test('targetsAtLeast follows cdktn defaults when nothing is declared', () => {
    const stack = new TerraformStack(Testing.app(), 's');
    expect(targetsAtLeast(stack, WRITE_ONLY_MIN)).toBe(false);
  });
});
