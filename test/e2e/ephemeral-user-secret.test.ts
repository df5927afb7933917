/**
 * `ephemeral "coffer_user_secret"` on every engine and backend: a stored secret's value feeds
 * another resource's write-only argument (here a second coffer_user_secret's `value_wo`) and a
 * provisioner's environment, without reaching output, logs, plan or state. On Coder, whose API
 * never returns values, the plan fails with a clear error instead.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SecretText } from '../../src/client/secret-text';
import { backendNames, startBackend, type BackendFixture } from './support/backends';
import { streamDiagnostics } from './support/diagnostics';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const combinations = availableEngines().flatMap((engine) =>
  backendNames().map((backend) => [`${engine.name} ${engine.version} on ${backend}`, engine, backend] as const),
);

describe.each(combinations)('ephemeral coffer_user_secret: %s', (_label, engine, backend) => {
  const canary = `CANARY-EPH-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  let ws: Workspace;
  let fx: BackendFixture;
  let out: string;

  beforeAll(async () => {
    ws = new Workspace(engine);
    fx = await startBackend(backend, ws.home);
    ws.setEnv({ ...fx.providerEnv, COFFER_AUDIT_LOG: path.join(ws.home, 'audit.log') });
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-eph-out-'));
    await fx.store.create('me', { name: 'upstream-token', value: new SecretText(canary), envName: 'UPSTREAM_TOKEN', filePath: '~/.upstream' });
  });

  afterAll(async () => {
    await fx?.stop();
    ws?.cleanup();
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  const config = () => `${providerBlock()}
ephemeral "coffer_user_secret" "upstream" {
  name = "upstream-token"
}

# Another resource's write-only argument, fed without the value touching plan or state.
resource "coffer_user_secret" "copy" {
  name             = "copy-of-upstream"
  env_name         = "COPY_TOKEN"
  value_wo         = ephemeral.coffer_user_secret.upstream.value
  value_wo_version = "1"
}

resource "terraform_data" "consumer" {
  provisioner "local-exec" {
    command     = <<-EOT
      printf '%s|%s|%s' "$V" "$E" "$F" > "$OUT/seen"
    EOT
    environment = {
      OUT = "${out}"
      V   = ephemeral.coffer_user_secret.upstream.value
      E   = ephemeral.coffer_user_secret.upstream.env_name
      F   = ephemeral.coffer_user_secret.upstream.file_path
    }
  }
}
`;

  test('the value reaches the write-only argument and the provisioner, and nothing else', async () => {
    ws.write('main.tf', config());
    await ws.init();
    if (!fx.store.capabilities.readValue) {
      const result = await ws.run(['plan', '-json', '-no-color', '-input=false']);
      expect(result.code).toBe(1);
      const errors = streamDiagnostics(result.stdout).filter((d) => d.severity === 'error');
      expect(errors).toEqual([
        expect.objectContaining({ summary: 'Secret values are not readable on this backend', detail: expect.stringContaining('never returns secret values') }),
      ]);
      return;
    }
    let output = '';
    for (const args of [
      ['plan', '-no-color', '-input=false', '-out=tfplan'],
      ['show', '-json', 'tfplan'],
      ['apply', '-auto-approve', '-no-color', '-input=false', 'tfplan'],
      ['plan', '-no-color', '-input=false'],
    ]) {
      const result = await ws.ok(args, { TF_LOG: 'trace' });
      output += result.stdout + result.stderr;
    }
    expect(fs.readFileSync(path.join(out, 'seen'), 'utf8')).toBe(`${canary}|UPSTREAM_TOKEN|~/.upstream`);
    expect(await fx.valueOf('me', 'copy-of-upstream')).toBe(canary);
    const copy = await ws.resource('coffer_user_secret.copy');
    expect(copy?.values).toMatchObject({ value_wo: null, value: null, value_wo_version: '1' });

    expect(output).toContain('OpenEphemeralResource');
    expect(output).not.toContain(canary);
    expect(ws.allFilesText()).not.toContain(canary);
    // The reads are audited (plan and apply each open the resource once), without the value.
    const audit = fs.readFileSync(path.join(ws.home, 'audit.log'), 'utf8');
    expect(audit).toMatch(/"action":"read_value".*"secret":"upstream-token".*"outcome":"success"/);
    expect(audit).not.toContain(canary);
  });

  test('a missing secret is an error on name', async () => {
    if (!fx.store.capabilities.readValue) return;
    ws.write('main.tf', `${providerBlock()}
ephemeral "coffer_user_secret" "nope" {
  name = "no-such-secret"
}

resource "terraform_data" "consumer" {
  provisioner "local-exec" {
    command     = "true"
    environment = { V = ephemeral.coffer_user_secret.nope.value }
  }
}
`);
    const result = await ws.run(['plan', '-json', '-no-color', '-input=false']);
    expect(result.code).toBe(1);
    expect(streamDiagnostics(result.stdout).filter((d) => d.severity === 'error')).toEqual([
      expect.objectContaining({ summary: 'Secret not found', code: expect.stringContaining('no-such-secret') }),
    ]);
  });
});
