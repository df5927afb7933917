/**
 * The secret guard aspect: on by default, one line to enable for other stacks, rule levels,
 * and a corpus of leaky CDK apps it must reject.
 */
import { App, Fn, TerraformOutput, TerraformStack, TerraformVariable, Testing } from 'cdktn';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkStack,
  coder,
  Coffer,
  coffer,
  enableSecretGuard,
  SecretValue,
  SensitiveMetadata,
  UserSecret,
} from '../../src/constructs';

process.env.CHECKPOINT_DISABLE = '1';

const TARGETS = { terraform: '>=1.11.0', opentofu: '>=1.11.0' };

function newStack(app = Testing.app({ context: { targetVersions: TARGETS } })): TerraformStack {
  const stack = new TerraformStack(app, 'stack');
  new coffer.provider.CofferProvider(stack, 'coffer', {});
  new coder.provider.CoderProvider(stack, 'coder', {});
  return stack;
}

/** Leaky CDK apps: each must fail synthesis with the named rule. */
const LEAKY: ReadonlyArray<[string, string, (stack: TerraformStack) => void]> = [
  [
    'unsafePlainText into a UserSecret',
    'unsafe-plaintext',
    (s) => new UserSecret(s, 'u', { name: 'n', envName: 'N', value: SecretValue.unsafePlainText('hunter2') }),
  ],
  [
    'a token literal in an agent env',
    'credential-literal',
    (s) =>
      new coder.agent.Agent(s, 'a', {
        arch: 'amd64',
        os: 'linux',
        env: { GITHUB_TOKEN: 'ghp_R2d2C3poR2d2C3poR2d2C3poR2d2C3po1234' },
      }),
  ],
  [
    'process.env copied into a write-only attribute',
    'credential-literal',
    (s) => new coffer.userSecret.UserSecret(s, 'raw', { name: 'n', envName: 'N', valueWo: 'value-from-process-env' }),
  ],
  [
    'Fn.sensitive around a literal',
    'credential-literal',
    (s) => new coffer.userSecret.UserSecret(s, 'raw', { name: 'n', envName: 'N', valueWo: Fn.sensitive('literal') }),
  ],
  [
    'a secret variable that is not sensitive',
    'secret-variable-not-sensitive',
    (s) => new TerraformVariable(s, 'api_token', { type: 'string' }),
  ],
  [
    'a sensitive attribute in a plain output',
    'secret-output',
    (s) => {
      const owner = new coder.dataCoderWorkspaceOwner.DataCoderWorkspaceOwner(s, 'me', {});
      new TerraformOutput(s, 'token', { value: owner.sessionToken });
    },
  ],
  [
    'a secret in a raw coder_metadata item',
    'secret-metadata',
    (s) => {
      const v = new TerraformVariable(s, 'db_password', { type: 'string', sensitive: true });
      new coder.metadata.Metadata(s, 'm', { resourceId: 'x', item: [{ key: 'db', value: v.stringValue }] });
    },
  ],
  [
    'a literal default for a sensitive variable',
    'credential-literal',
    (s) => new TerraformVariable(s, 'registry', { type: 'string', sensitive: true, default: 'p4ssw0rd' }),
  ],
];

describe('SecretGuard', () => {
  test.each(LEAKY)('rejects %s', (_name, rule, build) => {
    const stack = newStack();
    enableSecretGuard(stack);
    build(stack);
    expect(() => Testing.fullSynth(stack)).toThrow(new RegExp(`\\[coffer guard\\] ${rule}: `));
  });

  test('is on by default in stacks with Coffer constructs; error names the construct', () => {
    const stack = newStack();
    new UserSecret(stack, 'npm', { name: 'n', envName: 'N', value: SecretValue.unsafePlainText('hunter2') });
    expect(() => Testing.fullSynth(stack)).toThrow(
      /\[stack\/npm\] \[coffer guard\] unsafe-plaintext: UserSecret "npm" value \(value_wo\) is SecretValue.unsafePlainText\(\)/,
    );
  });

  test('app.synth() fails with the findings (one-line helper on the App)', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-guard-'));
    try {
      const app = new App({ outdir, context: { targetVersions: TARGETS } });
      Coffer.guard(app);
      const stack = newStack(app);
      new TerraformVariable(stack, 'github_token', { type: 'string' });
      expect(() => app.synth()).toThrow(
        /\[stack\/github_token\] \[coffer guard\] secret-variable-not-sensitive: var.github_token is named like a secret/,
      );
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('rule levels from the explicit guard win over the automatic one', () => {
    const app = Testing.app({ context: { targetVersions: TARGETS } });
    const stack = newStack(app);
    enableSecretGuard(app, { rules: { 'unsafe-plaintext': 'warning' } });
    new UserSecret(stack, 'npm', { name: 'n', envName: 'N', value: SecretValue.unsafePlainText('hunter2') });
    expect(() => Testing.fullSynth(stack)).not.toThrow();
    Testing.synth(stack, true);
    const warnings = stack.node
      .findAll()
      .flatMap((n) => n.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));
    expect(warnings.some((w) => w.startsWith('[coffer guard] unsafe-plaintext'))).toBe(true);
  });

  test('accepts a well-formed stack and reports each finding once', () => {
    const stack = newStack();
    const agent = new coder.agent.Agent(stack, 'a', { arch: 'amd64', os: 'linux' });
    new UserSecret(stack, 'npm', { name: 'n', envName: 'N', value: SecretValue.variable(stack, 'npm_token') });
    new SensitiveMetadata(stack, 'm', { resourceId: agent.id, items: [{ key: 'agent token', value: agent.token }] });
    new TerraformOutput(stack, 'token', { value: agent.token, sensitive: true });
    expect(checkStack(stack)).toEqual([]);
    expect(() => Testing.fullSynth(stack)).not.toThrow();

    const leaky = newStack();
    enableSecretGuard(leaky);
    new TerraformVariable(leaky, 'api_token', { type: 'string' });
    Testing.synth(leaky, true);
    Testing.synth(leaky, true);
    const errors = leaky.node.findAll().flatMap((n) => n.node.metadata.filter((m) => m.type === '@cdktf/error'));
    expect(errors).toHaveLength(1);
  });
});
