/* eslint-disable @typescript-eslint/no-explicit-any -- synthesized Terraform JSON is untyped */
import { TerraformStack, Testing } from 'cdktn';
import {
  coffer,
  CofferFeature,
  PROVIDER_FEATURES_CONTEXT,
  SecretCheck,
  SecretCheckMode,
  SecretValue,
  UserSecret,
} from '../../src/constructs';
import { requiredSecrets } from '../../src/lint';

process.env.CHECKPOINT_DISABLE = '1';

const TARGETS = { terraform: '>=1.11.0', opentofu: '>=1.11.0' };

function stackWith(features: string[] | undefined): TerraformStack {
  const context: Record<string, unknown> = { targetVersions: TARGETS };
  if (features) context[PROVIDER_FEATURES_CONTEXT] = features;
  const stack = new TerraformStack(Testing.app({ context }), 'stack');
  new coffer.provider.CofferProvider(stack, 'coffer', {});
  return stack;
}

const synth = (stack: TerraformStack): any => JSON.parse(Testing.synth(stack));

describe('SecretCheck', () => {
  test('synthesizes the coffer_secret_check data source by default (the bundled provider has it)', () => {
    const stack = stackWith(undefined);
    const check = new SecretCheck(stack, 'required', {
      secrets: ['ssh-signing-key', 'github-token'],
      user: 'alice',
      failOnMissing: true,
    });
    const json = synth(stack);
    expect(check.mode).toBe(SecretCheckMode.DATA_SOURCE);
    expect(Object.values(json.data.coffer_secret_check)).toEqual([
      { names: ['ssh-signing-key', 'github-token'], user: 'alice', fail_on_missing: true },
    ]);
    expect(requiredSecrets(json)).toEqual([{ user: 'alice', names: ['ssh-signing-key', 'github-token'] }]);
    expect(() => Testing.fullSynth(stack)).not.toThrow();
  });

  test('synthesizes the data source when the context lists the feature', () => {
    const stack = stackWith([CofferFeature.SECRET_CHECK]);
    expect(new SecretCheck(stack, 'required', { secrets: ['x'] }).mode).toBe(SecretCheckMode.DATA_SOURCE);
  });

  test('synthesizes a manifest local when the context turns secret-check off (an older provider)', () => {
    const stack = stackWith([CofferFeature.EPHEMERAL_USER_SECRET]);
    const check = new SecretCheck(stack, 'required', { secrets: ['ssh-signing-key'] });
    const json = synth(stack);
    expect(check.mode).toBe(SecretCheckMode.MANIFEST);
    expect(json.data).toBeUndefined();
    const [name, value] = Object.entries(json.locals)[0] as [string, unknown];
    expect(name).toMatch(/^coffer_required_secrets_[0-9a-f]{10}$/);
    expect(value).toEqual({ user: 'me', names: ['ssh-signing-key'] });
    expect(requiredSecrets(json)).toEqual([{ user: 'me', names: ['ssh-signing-key'] }]);
  });

  test('accepts UserSecrets declared elsewhere', () => {
    const stack = stackWith(undefined);
    const secret = new UserSecret(stack, 's', {
      name: 'npm-token',
      value: SecretValue.variable(stack, 'v'),
      envName: 'NPM_TOKEN',
    });
    new SecretCheck(stack, 'c', { secrets: [secret, 'other'] });
    expect((Object.values(synth(stack).data.coffer_secret_check)[0] as any).names).toEqual(['npm-token', 'other']);
  });

  test.each([
    [{ secrets: [] }, /secrets must name at least one secret/],
    [{ secrets: ['a', 'a'] }, /secrets lists "a" twice/],
    [{ secrets: ['ok', 'bad/name'] }, /SecretCheck "c": secrets\[1\] must not contain "\/"/],
    [{ secrets: [' padded'] }, /secrets\[0\] must not start or end with whitespace/],
    [{ secrets: ['ok'], user: '' }, /user must not be blank/],
    [{ secrets: ['ok'], user: '@coffer-credentials' }, /user "@coffer-credentials" is reserved/],
  ])('fails for bad props %j', (props, message) => {
    const stack = stackWith(undefined);
    expect(() => new SecretCheck(stack, 'c', props as never)).toThrow(message);
  });
});
