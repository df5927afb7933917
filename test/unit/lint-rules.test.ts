import { findCredential, isSecretName, lintSources, lintTerraformJson, requiredSecrets } from '../../src/lint';

describe('isSecretName', () => {
  test.each([
    'github_token',
    'GITHUB_TOKEN',
    'apiKey',
    'db_password',
    'client_secret',
    'ssh_private_key',
    'private_key_pem',
    'secret_id',
    'AWS_SECRET_ACCESS_KEY',
    'npm-token',
    'registry_creds',
  ])('%s is a secret name', (name) => expect(isSecretName(name)).toBe(true));
  test.each([
    'token_ttl',
    'secret_name',
    'password_length',
    'api_key_scope',
    'value_wo_version',
    'TOKEN_FILE',
    'ssh_key',
    'public_key',
    'region',
    'env_name',
    'passwordless',
    'key',
  ])('%s is not a secret name', (name) => expect(isSecretName(name)).toBe(false));
});

describe('findCredential', () => {
  test.each([
    ['ghp_R2d2C3poR2d2C3poR2d2C3poR2d2C3po1234', 'GitHub token'],
    ['AKIAIOSFODNN7EXAMPLE', 'AWS access key ID'],
    ['xoxb-1234567890-abcdef', 'Slack token'],
    ['-----BEGIN RSA PRIVATE KEY-----', 'private key (PEM)'],
    ['hvs.CAESIJxyzxyzxyzxyzxyzxyzxyzxyzxyz', 'Vault/OpenBao token'],
    ['https://u:p4ss@host/x', 'password in a URL'],
    ['export NPM_TOKEN=abcdef123456', 'secret assigned in a script'],
    ['abcdefghij-abcdefghijklmnopqrstuv', 'Coder session token'],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'JSON web token'],
  ])('finds %s', (text, kind) => expect(findCredential(text)).toBe(kind));

  test.each([
    'hello world',
    'export NPM_TOKEN=$NPM_TOKEN',
    'https://example.com/path',
    'registry.opentofu.org/coder/coder',
    '${var.token}',
    'sha256:0123456789abcdef',
  ])('ignores %s', (text) => expect(findCredential(text)).toBeUndefined());
});

describe('rules', () => {
  test('a clean module has no findings', () => {
    const findings = lintSources({
      'main.tf': [
        'variable "npm_token" {',
        '  type      = string',
        '  sensitive = true',
        '  ephemeral = true',
        '}',
        'resource "coffer_user_secret" "npm" {',
        '  name             = "npm-token"',
        '  env_name         = "NPM_TOKEN"',
        '  value_wo         = var.npm_token',
        '  value_wo_version = "1"',
        '}',
        'output "id" { value = coffer_user_secret.npm.id }',
        'output "secret" {',
        '  value     = var.npm_token',
        '  sensitive = true',
        '  ephemeral = true',
        '}',
      ].join('\n'),
    });
    expect(findings).toEqual([]);
  });

  test('variables declared in another file of the module are known', () => {
    const findings = lintSources({
      'variables.tf': 'variable "pw" {\n  type = string\n  sensitive = true\n}\n',
      'outputs.tf': 'output "x" { value = var.pw }\n',
    });
    expect(findings.map((f) => [f.rule, f.file, f.line])).toEqual([['secret-output', 'outputs.tf', 1]]);
  });

  test('coffer:ignore silences a finding on its line or the line above', () => {
    const findings = lintSources({
      'main.tf': [
        '# coffer:ignore secret-variable-not-sensitive',
        'variable "api_token" { type = string }',
        'variable "other_token" { type = string } # coffer:ignore',
        'variable "third_token" { type = string } # coffer:ignore credential-literal',
      ].join('\n'),
    });
    expect(findings.map((f) => f.address)).toEqual(['var.third_token']);
  });

  test('rule levels: off and warning', () => {
    const sources = { 'main.tf': 'variable "api_token" { type = string }\n' };
    expect(lintSources(sources, { rules: { 'secret-variable-not-sensitive': 'off' } })).toEqual([]);
    expect(lintSources(sources, { rules: { 'secret-variable-not-sensitive': 'warning' } })[0]?.severity).toBe(
      'warning',
    );
  });

  test('parse errors are findings', () => {
    const [f] = lintSources({ 'bad.tf': 'resource "x" {\n' });
    expect(f).toMatchObject({ rule: 'parse-error', file: 'bad.tf', line: 2 });
  });

  test('JSON findings carry the address and the construct path', () => {
    const [f] = lintTerraformJson({
      resource: {
        coffer_user_secret: {
          x_1: { '//': { metadata: { path: 'stack/x/Resource' } }, name: 'x', value_wo: 'literal' },
        },
      },
    });
    expect(f).toMatchObject({
      rule: 'credential-literal',
      address: 'coffer_user_secret.x_1',
      attribute: 'value_wo',
      constructPath: 'stack/x/Resource',
    });
  });

  test('requiredSecrets reads data sources and manifest locals', () => {
    expect(
      requiredSecrets({
        data: { coffer_secret_check: { a: { names: ['x'], user: 'bob' } } },
        locals: { coffer_required_secrets_abc: { user: 'me', names: ['y', 'z'] }, other: 1 },
      }),
    ).toEqual([
      { user: 'bob', names: ['x'] },
      { user: 'me', names: ['y', 'z'] },
    ]);
  });
});
