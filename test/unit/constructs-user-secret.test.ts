/* eslint-disable @typescript-eslint/no-explicit-any -- synthesized Terraform JSON is untyped */
import { TerraformStack, Testing } from 'cdktn';
import { coffer, SecretValue, UserSecret } from '../../src/constructs';

process.env.CHECKPOINT_DISABLE = '1';

const TARGETS = { terraform: '>=1.11.0', opentofu: '>=1.11.0' };

function stackWith(context: Record<string, unknown> = { targetVersions: TARGETS }): TerraformStack {
  const stack = new TerraformStack(Testing.app({ context }), 'stack');
  new coffer.provider.CofferProvider(stack, 'coffer', {});
  return stack;
}

function synth(stack: TerraformStack): any {
  return JSON.parse(Testing.synth(stack));
}

describe('UserSecret', () => {
  test('synthesizes a coffer_user_secret with a write-only value and version', () => {
    const stack = stackWith();
    const secret = new UserSecret(stack, 'npm', {
      name: 'npm-token',
      value: SecretValue.variable(stack, 'npm_token'),
      envName: 'NPM_TOKEN',
      filePath: '~/.npmrc-token',
      description: 'publish',
    });
    const json = synth(stack);
    const resources = json.resource.coffer_user_secret;
    expect(Object.keys(resources)).toHaveLength(1);
    const body = Object.values(resources)[0] as Record<string, unknown>;
    expect(body).toEqual({
      name: 'npm-token',
      env_name: 'NPM_TOKEN',
      file_path: '~/.npmrc-token',
      description: 'publish',
      value_wo: '${var.npm_token}',
      value_wo_version: '1',
    });
    expect(json.variable.npm_token).toMatchObject({ sensitive: true, ephemeral: true, type: 'string' });
    expect(json.terraform.required_providers.coffer).toEqual({
      source: 'cofferhq/coffer',
      version: '>= 0.1.0',
    });
    expect(secret.secretName).toBe('npm-token');
    expect(secret.user).toBe('me');
    expect(secret.resource.node.id).toBe('Resource');
  });

  test('passes user, enabled and a custom valueVersion through', () => {
    const stack = stackWith();
    new UserSecret(stack, 's', {
      name: 'k',
      value: SecretValue.variable(stack, 'v'),
      enabled: false,
      user: 'alice',
      valueVersion: '2026-11',
    });
    const body = Object.values(synth(stack).resource.coffer_user_secret)[0] as Record<string, unknown>;
    expect(body).toMatchObject({ user: 'alice', enabled: false, value_wo_version: '2026-11' });
    expect(body).not.toHaveProperty('env_name');
  });

  test('synthesizes through the full synthesizer (targetVersions validation passes)', () => {
    const stack = stackWith();
    new UserSecret(stack, 's', { name: 'k', value: SecretValue.variable(stack, 'v'), envName: 'K' });
    expect(() => Testing.fullSynth(stack)).not.toThrow();
  });

  test.each([
    [{ name: '' }, /UserSecret "bad": name must not be blank/],
    [{ name: 'a/b' }, /name must not contain "\/"/],
    [{ envName: 'PATH' }, /envName "PATH" is reserved/],
    [{ envName: 'CODER_X' }, /envName "CODER_X" is reserved/],
    [{ envName: '1X' }, /envName "1X" is not a POSIX/],
    [{ filePath: 'relative/path' }, /filePath must start with "~\/" or "\/"/],
    [{ envName: undefined, filePath: undefined }, /an enabled secret needs envName or filePath/],
    [{ valueVersion: ' ' }, /valueVersion must not be blank/],
    [{ user: 'a?b' }, /user must not contain "\?"/],
    // Issue #8 defect 1: the owner of stored backend credentials is refused like everywhere else.
    [{ user: '@coffer-credentials' }, /user "@coffer-credentials" is reserved: users starting with "@" belong to Coffer/],
    [{ name: 'a\u001b[2Jb' }, /name must not contain control, invisible or bidirectional formatting characters \(found U\+001B\)/],
    [{ envName: 'NODE_OPTIONS' }, /envName "NODE_OPTIONS" is reserved: it makes programs load code/],
    [{ filePath: '~/dir/' }, /filePath must name a file/],
  ])('fails for bad props %j', (overrides, message) => {
    const stack = stackWith();
    const value = SecretValue.variable(stack, 'v');
    expect(() => new UserSecret(stack, 'bad', { name: 'ok', envName: 'OK', value, ...overrides } as never)).toThrow(
      message,
    );
  });

  test('fails when the project targets engines without write-only attributes', () => {
    const stack = stackWith({ targetVersions: { terraform: '>=1.5.7', opentofu: '>=1.11.0' } });
    expect(
      () => new UserSecret(stack, 's', { name: 'k', value: SecretValue.unsafePlainText('x'), envName: 'K' }),
    ).toThrow(/needs terraform >= 1.11 and opentofu >= 1.11, but the project targets .*1\.5\.7/);
  });

  test('skips validation of values that are tokens', () => {
    const stack = stackWith();
    const name = SecretValue.variable(stack, 'n');
    expect(
      () =>
        new UserSecret(stack, 's', {
          name: name.unsafeUnwrap(),
          value: SecretValue.variable(stack, 'v'),
          envName: 'K',
        }),
    ).not.toThrow();
  });

  test('turns the secret guard on for its stack', () => {
    const stack = stackWith();
    new UserSecret(stack, 'leak', { name: 'k', value: SecretValue.unsafePlainText('hunter2'), envName: 'K' });
    expect(() => Testing.fullSynth(stack)).toThrow(/\[stack\/leak\] \[coffer guard\] unsafe-plaintext/);
  });
});
