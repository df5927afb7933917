/**
 * tofu is killed (SIGKILL) in the middle of an apply of many secrets. The provider processes
 * it started must exit on their own, and the next apply must converge: secrets written but
 * not yet in state are recognised as ours and adopted, nothing is duplicated or lost.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { LocalSecretStore } from '../../src/client/backends/local';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const engine = availableEngines()[0]!;
const COUNT = 60;

/** PIDs of processes whose environment carries this workspace's COFFER_HOME (its providers). */
function providerPids(home: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, 'latin1');
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      if (environ.includes(`COFFER_HOME=${home}\0`) && cmdline.includes('coffer-provider')) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe(`apply killed mid-way on ${engine.name} ${engine.version}`, () => {
  let ws: Workspace;
  let store: LocalSecretStore;

  beforeAll(async () => {
    ws = new Workspace(engine, { TF_VAR_token: 'crash-test-value' });
    store = new LocalSecretStore({ home: ws.home });
    ws.write(
      'main.tf',
      `${providerBlock()}
variable "token" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "coffer_user_secret" "many" {
  count            = ${COUNT}
  name             = "crash-\${count.index}"
  env_name         = "CRASH_\${count.index}"
  value_wo         = "\${var.token}-\${count.index}"
  value_wo_version = "1"
}
`,
    );
    await ws.init();
  });

  afterAll(async () => {
    await store.close();
    ws.cleanup();
  });

  test('SIGKILL of tofu leaves no provider behind, and a re-apply converges', async () => {
    const tofu = spawn(ws.engine.binary, ['apply', '-auto-approve', '-no-color', '-input=false', '-parallelism=2'], {
      cwd: ws.dir,
      env: ws.env(),
      stdio: 'ignore',
    });
    const started = await waitFor(async () => (await store.list('me')).length >= 10, 120_000);
    expect(started).toBe(true);
    expect(providerPids(ws.home).length).toBeGreaterThan(0);
    tofu.kill('SIGKILL');
    await new Promise((resolve) => tofu.on('exit', resolve));

    // Orphaned providers notice their parent is gone and exit.
    expect(await waitFor(() => providerPids(ws.home).length === 0, 10_000)).toBe(true);
    const written = (await store.list('me')).length;
    expect(written).toBeLessThan(COUNT);

    await ws.apply();
    const secrets = await store.list('me');
    expect(secrets.map((s) => s.name).sort()).toEqual(Array.from({ length: COUNT }, (_, i) => `crash-${i}`).sort());
    for (const i of [0, Math.floor(COUNT / 2), COUNT - 1]) {
      expect((await store.readValue('me', `crash-${i}`)).reveal()).toBe(`crash-test-value-${i}`);
    }
    expect((await ws.plan()).code).toBe(0);
    expect((await ws.resources()).length).toBe(COUNT);
  });
});
