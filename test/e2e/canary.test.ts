/**
 * A canary value sent through value_wo never shows up anywhere the engine or the provider
 * writes: plan output, saved plan JSON, state, TF_LOG=trace logs (which include the provider's
 * stderr), error messages — nor in plaintext in the embedded store.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalSecretStore } from '../../src/client/backends/local';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const engines = availableEngines();

function storeFilesText(home: string): string {
  if (!fs.existsSync(home)) return '';
  const texts: string[] = [];
  for (const entry of fs.readdirSync(home, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) texts.push(fs.readFileSync(path.join(entry.parentPath, entry.name)).toString('latin1'));
  }
  return texts.join('\n');
}

describe.each(engines.map((e) => [`${e.name} ${e.version}`, e] as const))('canary on %s', (_label, engine) => {
  const canary = `CANARY-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const rotated = `${canary}-ROTATED`;
  let ws: Workspace;
  let output = '';

  beforeAll(async () => {
    ws = new Workspace(engine);
    await ws.ok(['version']);
  });

  afterAll(() => ws.cleanup());

  const config = (version: string) => `${providerBlock()}
variable "token" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "coffer_user_secret" "canary" {
  name             = "canary"
  env_name         = "CANARY_TOKEN"
  value_wo         = var.token
  value_wo_version = "${version}"
}
`;

  test('init, plan -out, show -json, apply and rotate with TF_LOG=trace', async () => {
    const trace = { TF_LOG: 'trace' };
    ws.write('main.tf', config('1'));
    for (const [args, value] of [
      [['init', '-no-color'], canary],
      [['plan', '-no-color', '-out=tfplan'], canary],
      [['show', '-json', 'tfplan'], canary],
      [['apply', '-auto-approve', '-no-color'], canary],
      [['plan', '-no-color', '-refresh-only'], canary],
    ] as const) {
      const result = await ws.ok(args, { ...trace, TF_VAR_token: value });
      output += result.stdout + result.stderr;
    }
    ws.write('main.tf', config('2'));
    const rotate = await ws.ok(['apply', '-auto-approve', '-no-color'], { ...trace, TF_VAR_token: rotated });
    output += rotate.stdout + rotate.stderr;

    const store = new LocalSecretStore({ home: ws.home });
    expect((await store.readValue('me', 'canary')).reveal()).toBe(rotated);
    await store.close();
    // The trace log really contains the provider's RPC traffic, so absence below means something.
    expect(output).toContain('PlanResourceChange');
    expect(output).toContain('coffer_user_secret');
  });

  test('an error about the value does not quote it', async () => {
    const oversized = `${canary}-`.repeat(Math.ceil((24 * 1024) / canary.length) + 10);
    ws.write('main.tf', config('3'));
    const result = await ws.run(['apply', '-auto-approve', '-no-color'], { TF_LOG: 'trace', TF_VAR_token: oversized });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/at most 24576 bytes/);
    output += result.stdout + result.stderr;
  });

  test('the canary appears nowhere', () => {
    expect(output.length).toBeGreaterThan(10000);
    expect(output).not.toContain(canary);
    expect(ws.allFilesText()).not.toContain(canary);
    expect(storeFilesText(ws.home)).not.toContain(canary);
  });

  test('the audit log records the writes, without the value', () => {
    const audit = fs.readFileSync(path.join(ws.home, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: 'audit_log', action: 'create', secret: 'canary', outcome: 'success', backend: 'local' }),
        expect.objectContaining({ action: 'update', secret: 'canary', outcome: 'success' }),
      ]),
    );
    expect(JSON.stringify(audit)).not.toContain(canary);
  });
});
