/**
 * A canary value sent through value_wo never shows up anywhere the engine or the provider
 * writes: plan output, saved plan JSON, state, TF_LOG=trace logs (which include the provider's
 * stderr and its backend request log), error messages, the audit log — nor in plaintext in the
 * embedded store or the Coder double's request log. On every backend.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendNames, startBackend, type BackendFixture } from './support/backends';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

// Every backend on the first engine (tofu); the embedded store on the others too.
const combinations = availableEngines().flatMap((engine, index) =>
  backendNames()
    .filter((backend) => index === 0 || backend === 'local')
    .map((backend) => [`${engine.name} ${engine.version} on ${backend}`, engine, backend] as const),
);

function storeFilesText(home: string): string {
  if (!fs.existsSync(home)) return '';
  const texts: string[] = [];
  for (const entry of fs.readdirSync(home, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) texts.push(fs.readFileSync(path.join(entry.parentPath, entry.name)).toString('latin1'));
  }
  return texts.join('\n');
}

describe.each(combinations)('canary: %s', (_label, engine, backend) => {
  const canary = `CANARY-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const rotated = `${canary}-ROTATED`;
  let ws: Workspace;
  let fx: BackendFixture;
  let output = '';

  beforeAll(async () => {
    ws = new Workspace(engine);
    fx = await startBackend(backend, ws.home);
    ws.setEnv(fx.providerEnv);
  });

  afterAll(async () => {
    await fx?.stop();
    ws?.cleanup();
  });

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

    expect(await fx.valueOf('me', 'canary')).toBe(rotated);
    // The trace log really contains the provider's RPC traffic (and, on remote backends, its
    // backend request log), so absence below means something.
    expect(output).toContain('PlanResourceChange');
    expect(output).toContain('coffer_user_secret');
    if (backend !== 'local') expect(output).toContain('backend request');
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
    expect(fx.serverLogs()).not.toContain(canary);
  });

  test('the audit log records the writes, without the value', () => {
    const audit = fs.readFileSync(path.join(ws.home, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: 'audit_log', action: 'create', secret: 'canary', outcome: 'success', backend: backend === 'openbao' ? 'vault' : backend }),
        expect.objectContaining({ action: 'update', secret: 'canary', outcome: 'success' }),
      ]),
    );
    expect(JSON.stringify(audit)).not.toContain(canary);
  });
});
