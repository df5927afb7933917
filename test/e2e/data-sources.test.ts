/**
 * The metadata data sources on every engine and backend: `coffer_user_secret` (one secret),
 * `coffer_user_secrets` (all, or by name prefix) and `coffer_secret_check` (a plan that fails
 * with ONE error listing every missing or disabled secret and the author's help message).
 * Values are never read: the canary value is nowhere in output or state, and the audit log has
 * no `read_value`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SecretText } from '../../src/client/secret-text';
import { backendNames, startBackend, type BackendFixture } from './support/backends';
import { streamDiagnostics } from './support/diagnostics';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const combinations = availableEngines().flatMap((engine) =>
  backendNames().map((backend) => [`${engine.name} ${engine.version} on ${backend}`, engine, backend] as const),
);

describe.each(combinations)('metadata data sources: %s', (_label, engine, backend) => {
  const canary = `CANARY-DS-${Math.random().toString(36).slice(2)}`;
  let ws: Workspace;
  let fx: BackendFixture;
  let output = '';

  beforeAll(async () => {
    ws = new Workspace(engine);
    fx = await startBackend(backend, ws.home);
    ws.setEnv({ ...fx.providerEnv, COFFER_AUDIT_LOG: path.join(ws.home, 'audit.log') });
    await fx.store.create('me', { name: 'github-token', value: new SecretText(`${canary}-gh`), description: 'CI token', envName: 'GITHUB_TOKEN' });
    await fx.store.create('me', { name: 'ci-npm', value: new SecretText(`${canary}-npm`), filePath: '~/.npmrc' });
    await fx.store.create('me', { name: 'ci-pypi', value: new SecretText(`${canary}-pypi`), envName: 'PYPI_TOKEN', enabled: false });
    ws.write('main.tf', providerBlock());
    await ws.init();
  });

  afterAll(async () => {
    await fx?.stop();
    ws?.cleanup();
  });

  async function outputs(): Promise<Record<string, unknown>> {
    const result = await ws.ok(['output', '-json']);
    const parsed = JSON.parse(result.stdout) as Record<string, { value: unknown }>;
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v.value]));
  }

  test('coffer_user_secret and coffer_user_secrets read metadata', async () => {
    ws.write(
      'main.tf',
      `${providerBlock()}
data "coffer_user_secret" "gh" {
  name = "github-token"
}

data "coffer_user_secrets" "all" {}

data "coffer_user_secrets" "ci" {
  user        = "${fx.username}"
  name_prefix = "ci-"
}

output "gh" { value = data.coffer_user_secret.gh }
output "all" { value = data.coffer_user_secrets.all }
output "ci_names" { value = [for s in data.coffer_user_secrets.ci.secrets : s.name] }
output "ci_enabled" { value = { for s in data.coffer_user_secrets.ci.secrets : s.name => s.enabled } }
`,
    );
    const apply = await ws.apply();
    output += apply.stdout + apply.stderr;
    const meta = await fx.store.get('me', 'github-token');
    const values = await outputs();
    expect(values.gh).toEqual({
      name: 'github-token',
      user: null,
      id: meta.id,
      description: 'CI token',
      env_name: 'GITHUB_TOKEN',
      file_path: null,
      enabled: true,
      created_at: meta.createdAt,
      updated_at: meta.updatedAt,
    });
    const all = values.all as { id: string; secrets: Record<string, unknown>[] };
    expect(all.id).toBe('me');
    expect(all.secrets.map((s) => s.name)).toEqual(['ci-npm', 'ci-pypi', 'github-token']);
    expect(all.secrets[0]).toEqual({ id: (await fx.store.get('me', 'ci-npm')).id, name: 'ci-npm', description: null, env_name: null, file_path: '~/.npmrc', enabled: true });
    expect(values.ci_names).toEqual(['ci-npm', 'ci-pypi']);
    expect(values.ci_enabled).toEqual({ 'ci-npm': true, 'ci-pypi': false });

    // A second plan reads again and finds nothing to change.
    expect((await ws.plan()).code).toBe(0);
  });

  test('a missing secret is an error on name', async () => {
    ws.write('main.tf', `${providerBlock()}\ndata "coffer_user_secret" "nope" {\n  name = "no-such-secret"\n}\n`);
    const result = await ws.run(['plan', '-json', '-no-color', '-input=false']);
    expect(result.code).toBe(1);
    const errors = streamDiagnostics(result.stdout).filter((d) => d.severity === 'error');
    expect(errors).toEqual([expect.objectContaining({ summary: 'Secret not found', code: expect.stringContaining('no-such-secret') })]);
    output += result.stdout;
  });

  test('coffer_secret_check passes when everything is there, and reports with fail_on_missing = false', async () => {
    ws.write(
      'main.tf',
      `${providerBlock()}
data "coffer_secret_check" "ok" {
  names = ["github-token", "ci-npm"]
}

data "coffer_secret_check" "report" {
  names           = ["github-token", "ci-pypi", "aws-key"]
  fail_on_missing = false
}

output "ok" { value = data.coffer_secret_check.ok.ok }
output "report" {
  value = {
    ok       = data.coffer_secret_check.report.ok
    missing  = data.coffer_secret_check.report.missing
    disabled = data.coffer_secret_check.report.disabled
  }
}
`,
    );
    const apply = await ws.apply();
    output += apply.stdout + apply.stderr;
    const values = await outputs();
    expect(values.ok).toBe(true);
    expect(values.report).toEqual({ ok: false, missing: ['aws-key'], disabled: ['ci-pypi'] });
  });

  test('coffer_secret_check fails the plan with ONE error listing every missing or disabled secret and the help message', async () => {
    ws.write(
      'main.tf',
      `${providerBlock()}
data "coffer_secret_check" "required" {
  names        = ["github-token", "ci-pypi", "aws-key", "docker-config"]
  help_message = "Create them at https://coder.example.com/settings/secrets or ask #platform."
}
`,
    );
    const result = await ws.run(['plan', '-json', '-no-color', '-input=false']);
    output += result.stdout;
    expect(result.code).toBe(1);
    const errors = streamDiagnostics(result.stdout).filter((d) => d.severity === 'error');
    expect(errors).toHaveLength(1);
    const [error] = errors;
    expect(error?.summary).toBe('Required secrets are missing or disabled');
    expect(error?.detail).toContain('3 of the 4 secrets');
    for (const line of ['aws-key: missing', 'docker-config: missing', 'ci-pypi: disabled', 'Create them at https://coder.example.com/settings/secrets or ask #platform.']) {
      expect(error?.detail).toContain(line);
    }
    expect(error?.detail).not.toContain('github-token');
    expect(error?.code).toContain('names');

    // The human-readable form says the same.
    const human = await ws.run(['plan', '-no-color', '-input=false']);
    expect(human.code).toBe(1);
    expect(human.stdout + human.stderr).toContain('ci-pypi: disabled');
  });

  test('no value was read: not in output or state, no read_value in the audit log', async () => {
    expect(output).not.toContain(canary);
    expect(ws.allFilesText()).not.toContain(canary);
    const auditFile = path.join(ws.home, 'audit.log');
    const audit = fs.existsSync(auditFile) ? fs.readFileSync(auditFile, 'utf8') : '';
    expect(audit).not.toContain('read_value');
  });
});
