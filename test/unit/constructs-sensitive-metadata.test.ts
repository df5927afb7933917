/* eslint-disable @typescript-eslint/no-explicit-any -- synthesized Terraform JSON is untyped */
import { TerraformLocal, TerraformStack, TerraformVariable, Testing } from 'cdktn';
import { checkStack, coder, SecretValue, SensitiveMetadata } from '../../src/constructs';

process.env.CHECKPOINT_DISABLE = '1';

function stackWith(): { stack: TerraformStack; agent: coder.agent.Agent } {
  const stack = new TerraformStack(
    Testing.app({ context: { targetVersions: { terraform: '>=1.11.0', opentofu: '>=1.11.0' } } }),
    'stack',
  );
  new coder.provider.CoderProvider(stack, 'coder', {});
  const agent = new coder.agent.Agent(stack, 'main', { arch: 'amd64', os: 'linux' });
  return { stack, agent };
}

const items = (stack: TerraformStack): any[] =>
  (Object.values(JSON.parse(Testing.synth(stack)).resource.coder_metadata)[0] as any).item;

describe('SensitiveMetadata', () => {
  test('marks items sensitive exactly when they derive from a secret', () => {
    const { stack, agent } = stackWith();
    const token = new TerraformVariable(stack, 'api_token', { type: 'string', sensitive: true });
    const region = new TerraformVariable(stack, 'region', { type: 'string' });
    const auth = new coder.dataCoderExternalAuth.DataCoderExternalAuth(stack, 'gh', { id: 'github' });
    const local = new TerraformLocal(stack, 'header', `Bearer ${token.stringValue}`);
    const meta = new SensitiveMetadata(stack, 'info', {
      resourceId: agent.id,
      icon: '/icon/key.svg',
      items: [
        { key: 'plain', value: 'hello' },
        { key: 'region', value: region.stringValue },
        { key: 'variable', value: token.stringValue },
        { key: 'attribute', value: auth.accessToken },
        { key: 'agent token', value: agent.token },
        { key: 'through a local', value: local.asString },
        { key: 'secret value', value: SecretValue.fromAttribute(auth, 'access_token') },
        { key: 'forced', value: 'not secret', sensitive: true },
      ],
    });
    expect(items(stack).map((i) => [i.key, i.sensitive])).toEqual([
      ['plain', false],
      ['region', false],
      ['variable', true],
      ['attribute', true],
      ['agent token', true],
      ['through a local', true],
      ['secret value', true],
      ['forced', true],
    ]);
    const json = JSON.parse(Testing.synth(stack));
    const body = Object.values(json.resource.coder_metadata)[0] as any;
    expect(body.resource_id).toBe('${coder_agent.main.id}');
    expect(body.icon).toBe('/icon/key.svg');
    expect(body.item[6].value).toBe('${sensitive(data.coder_external_auth.gh.access_token)}');
    expect(meta.resource.node.id).toBe('Resource');
    expect(checkStack(stack)).toEqual([]);
  });

  test('fails sensitive: false on a SecretValue', () => {
    const { stack, agent } = stackWith();
    const auth = new coder.dataCoderExternalAuth.DataCoderExternalAuth(stack, 'gh', { id: 'github' });
    expect(
      () =>
        new SensitiveMetadata(stack, 'm', {
          resourceId: agent.id,
          items: [{ key: 'k', value: SecretValue.fromAttribute(auth, 'access_token'), sensitive: false }],
        }),
    ).toThrow(/items\[0\] \("k"\) holds coder_external_auth.gh.access_token; sensitive: false would show it/);
  });

  test('fails sensitive: false on a token that derives from a secret, at synthesis', () => {
    const { stack, agent } = stackWith();
    const token = new TerraformVariable(stack, 'api_token', { type: 'string', sensitive: true });
    new SensitiveMetadata(stack, 'm', {
      resourceId: agent.id,
      items: [{ key: 'k', value: token.stringValue, sensitive: false }],
    });
    expect(() => Testing.synth(stack, true)).toThrow(
      /derives from var.api_token \(sensitive\); sensitive: false would show it/,
    );
  });

  test.each([
    [[], /items must contain at least one item/],
    [
      [
        { key: 'a', value: '1' },
        { key: 'a', value: '2' },
      ],
      /items\[1\].key "a" is used twice/,
    ],
    [[{ key: ' ', value: '1' }], /items\[0\].key must not be blank/],
  ])('fails for bad items %j', (bad, message) => {
    const { stack, agent } = stackWith();
    expect(() => new SensitiveMetadata(stack, 'm', { resourceId: agent.id, items: bad })).toThrow(message);
  });

  test('the guard flags a plain coder_metadata item that shows a secret', () => {
    const { stack, agent } = stackWith();
    const token = new TerraformVariable(stack, 'api_token', { type: 'string', sensitive: true });
    new coder.metadata.Metadata(stack, 'raw', {
      resourceId: agent.id,
      item: [{ key: 'token', value: token.stringValue }],
    });
    new SensitiveMetadata(stack, 'ok', { resourceId: agent.id, items: [{ key: 'token', value: token.stringValue }] });
    const findings = checkStack(stack);
    expect(findings.map((f) => [f.rule, f.constructPath])).toEqual([['secret-metadata', 'stack/raw']]);
  });
});
