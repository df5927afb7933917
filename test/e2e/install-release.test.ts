/**
 * A new user's install, from outside the repository: the single executables from the release
 * zips, on machines whose PATH has no node, and a lock file that travels between machines.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { availableEngines, type Engine } from './support/engines';
import { runProcess, type ProcessResult } from './support/process';
import { Machine, RELEASE_BUILD_TIMEOUT_MS, repoRoot, testRelease, unzipOne, VERSION } from '../support/release';

const engines = availableEngines();
let release: string;
const machines: Machine[] = [];

beforeAll(() => {
  release = testRelease();
}, RELEASE_BUILD_TIMEOUT_MS);

const orphans: number[] = [];
const scratch: string[] = [];

afterAll(() => {
  for (const pid of orphans) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
  for (const machine of machines) machine.remove();
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
});

function machine(name: string, tools: Record<string, string>): Machine {
  const m = new Machine(name, tools);
  machines.push(m);
  return m;
}

async function ok(file: string, args: readonly string[], options: { cwd?: string; env: NodeJS.ProcessEnv }): Promise<ProcessResult> {
  const result = await runProcess(file, args, options);
  if (result.code !== 0) throw new Error(`${path.basename(file)} ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** The `coffer` single executable, unpacked from its release zip onto the machine's PATH. */
function installCofferExecutable(m: Machine): string {
  const exe = unzipOne(path.join(release, `coffer_${VERSION}_linux_amd64.zip`), path.join(m.root, 'coffer-zip'));
  fs.symlinkSync(exe, path.join(m.bin, 'coffer'));
  return path.join(m.bin, 'coffer');
}

function lockedHashes(lockFile: string): string[] {
  const text = fs.readFileSync(lockFile, 'utf8');
  return [...text.matchAll(/"((?:h1|zh):[^"]+)"/g)].map((match) => match[1] as string).sort();
}

describe.each(engines.map((e) => [e.name, e] as [string, Engine]))('%s', (_name, engine) => {
  test('applies examples/quickstart with the provider from the release zips on a machine without node', async () => {
    const m = machine(`nonode-${engine.name}`, { [engine.name]: engine.binary });
    const coffer = installCofferExecutable(m);
    const env = m.env({ TF_VAR_github_token: 'ghp_release_test_value_1', TF_VAR_npmrc: '//r/:_authToken=npm_release_test_value_2' });
    // The PATH really has no node: the shell finds none, and neither does anything tofu starts.
    expect((await runProcess('/bin/sh', ['-c', 'command -v node'], { env })).code).not.toBe(0);

    const installed = await ok(coffer, ['provider', 'install', '--from', release, '--mirror', m.mirror], { env });
    expect(installed.stdout).toContain(`terraform-provider-coffer_${VERSION}_linux_amd64.zip`);
    const work = m.workDir('quickstart');
    fs.copyFileSync(path.join(repoRoot, 'examples/quickstart/main.tf'), path.join(work, 'main.tf'));

    await ok(engine.binary, ['init', '-input=false', '-no-color'], { cwd: work, env });
    const applied = await ok(engine.binary, ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: work, env });
    expect(applied.stdout).toMatch(/Apply complete! Resources: 2 added/);
    const plan = await runProcess(engine.binary, ['plan', '-detailed-exitcode', '-input=false', '-no-color'], { cwd: work, env });
    expect(plan.code).toBe(0);
    const state = fs.readFileSync(path.join(work, 'terraform.tfstate'), 'utf8');
    expect(state).not.toContain('ghp_release_test_value_1');
    expect(state).not.toContain('npm_release_test_value_2');
    // The store the provider wrote is the one the coffer executable reads.
    const listed = await ok(coffer, ['secret', 'list', '-o', 'json'], { env });
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((s) => s.name).sort()).toEqual(['github-token', 'npmrc']);
    await ok(engine.binary, ['destroy', '-auto-approve', '-input=false', '-no-color'], { cwd: work, env });
  });

  test('a lock file recorded on one machine is accepted on machines with another HOME and another node', async () => {
    const hcl = 'terraform {\n  required_providers {\n    coffer = { source = "cofferhq/coffer" }\n  }\n}\nprovider "coffer" {}\n';
    // Machine A records hashes for both provisioner platforms from its mirror.
    const a = machine(`lock-a-${engine.name}`, { [engine.name]: engine.binary });
    const coffer = installCofferExecutable(a);
    await ok(coffer, ['provider', 'install', '--from', release, '--platform', 'linux_amd64', '--platform', 'linux_arm64', '--mirror', a.mirror], {
      env: a.env(),
    });
    const workA = a.workDir('repo');
    fs.writeFileSync(path.join(workA, 'main.tf'), hcl);
    await ok(engine.binary, ['providers', 'lock', `-fs-mirror=${a.mirror}`, '-platform=linux_amd64', '-platform=linux_arm64'], {
      cwd: workA,
      env: a.env(),
    });
    const recorded = lockedHashes(path.join(workA, '.terraform.lock.hcl'));
    expect(recorded.filter((h) => h.startsWith('h1:'))).toHaveLength(2);

    // Machine B installs with the Node build of the CLI, run by a node at another path.
    const nodeDir = path.join(a.root, 'other-node');
    fs.mkdirSync(nodeDir);
    fs.copyFileSync(process.execPath, path.join(nodeDir, 'node'));
    fs.chmodSync(path.join(nodeDir, 'node'), 0o755);
    const b = machine(`lock-b-${engine.name}`, { [engine.name]: engine.binary, node: path.join(nodeDir, 'node') });
    await ok(path.join(nodeDir, 'node'), [path.join(repoRoot, 'dist/coffer-cli.cjs'), 'provider', 'install', '--from', release, '--mirror', b.mirror], {
      env: b.env(),
    });
    // Machine C: the coffer executable installs itself (unpacked), no release directory at all.
    const c = machine(`lock-c-${engine.name}`, { [engine.name]: engine.binary });
    await ok(installCofferExecutable(c), ['provider', 'install', '--mirror', c.mirror], { env: c.env() });

    for (const other of [b, c]) {
      const work = other.workDir('repo');
      fs.writeFileSync(path.join(work, 'main.tf'), hcl);
      fs.copyFileSync(path.join(workA, '.terraform.lock.hcl'), path.join(work, '.terraform.lock.hcl'));
      await ok(engine.binary, ['init', '-input=false', '-no-color'], { cwd: work, env: other.env() });
      expect(lockedHashes(path.join(work, '.terraform.lock.hcl'))).toEqual(recorded);
      const plan = await ok(engine.binary, ['plan', '-input=false', '-no-color'], { cwd: work, env: other.env() });
      expect(plan.stdout).toMatch(/No changes/);
    }
  });
});

test('the development install holds no path of the machine: two node locations give one lock hash', async () => {
  const tofu = engines[0] as Engine;
  const hashes: string[][] = [];
  for (const name of ['one', 'two']) {
    const m = machine(`dev-${name}`, { tofu: tofu.binary });
    const nodeDir = path.join(m.root, `node-${name}`);
    fs.mkdirSync(nodeDir);
    fs.copyFileSync(process.execPath, path.join(nodeDir, 'node'));
    fs.chmodSync(path.join(nodeDir, 'node'), 0o755);
    fs.symlinkSync(path.join(nodeDir, 'node'), path.join(m.bin, 'node'));
    await ok(path.join(nodeDir, 'node'), [path.join(repoRoot, 'dist/coffer-cli.cjs'), 'provider', 'install', '--mirror', m.mirror], { env: m.env() });
    const work = m.workDir('repo');
    fs.writeFileSync(path.join(work, 'main.tf'), 'terraform {\n  required_providers {\n    coffer = { source = "cofferhq/coffer" }\n  }\n}\n');
    await ok(tofu.binary, ['init', '-input=false', '-no-color'], { cwd: work, env: m.env() });
    hashes.push(lockedHashes(path.join(work, '.terraform.lock.hcl')));
  }
  expect(hashes[1]).toEqual(hashes[0]);
});

test('the single executable leaves when the process that started it dies (no orphan)', async () => {
  const m = machine('orphan', {});
  const exe = unzipOne(path.join(release, `terraform-provider-coffer_${VERSION}_linux_amd64.zip`), path.join(m.root, 'provider'));
  // A parent shell starts the provider as tofu would (go-plugin environment), prints its pid, then is killed.
  const env = {
    ...m.env(),
    TF_PLUGIN_MAGIC_COOKIE: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2',
    PLUGIN_PROTOCOL_VERSIONS: '6',
    PLUGIN_MIN_PORT: '10000',
    PLUGIN_MAX_PORT: '25000',
    // The exit reason is a debug line (the provider logs at info unless the engine asks for more).
    TF_LOG: 'debug',
  };
  const log = path.join(m.root, 'provider.log');
  const parent = await runProcess('/bin/sh', ['-c', `"${exe}" >/dev/null 2>"${log}" & echo $!; /bin/sleep 1; kill -9 $$`], { env });
  const pid = Number(parent.stdout.trim());
  expect(pid).toBeGreaterThan(0);
  orphans.push(pid);
  // Gone, or a zombie left for whoever adopted it to reap: either way it no longer runs.
  const running = (): boolean => {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return false;
    }
    return !/^\d+ \(.*\) Z/.test(stat);
  };
  // Waits as long as it takes (the jest timeout bounds it); an orphan never leaves and fails the test.
  while (running()) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(running()).toBe(false);
  expect(fs.readFileSync(log, 'utf8')).toMatch(/parent process exited/);
});

test('a rebuilt release has byte-identical zips, and no artifact holds a path of the build machine', async () => {
  const again = fs.mkdtempSync(path.join(path.dirname(release), 'rebuilt-'));
  scratch.push(again);
  await ok(process.execPath, [path.join(repoRoot, 'scripts/release.mjs'), '--out', again, 'linux_amd64'], { env: process.env });
  for (const zip of [`terraform-provider-coffer_${VERSION}_linux_amd64.zip`, `coffer_${VERSION}_linux_amd64.zip`]) {
    expect(fs.readFileSync(path.join(again, zip)).equals(fs.readFileSync(path.join(release, zip)))).toBe(true);
  }
  const manifest = `terraform-provider-coffer_${VERSION}_manifest.json`;
  expect(fs.readFileSync(path.join(again, manifest), 'utf8')).toBe('{\n  "version": 1,\n  "metadata": {\n    "protocol_versions": [\n      "6.0"\n    ]\n  }\n}\n');
  const sums = fs.readFileSync(path.join(release, `terraform-provider-coffer_${VERSION}_SHA256SUMS`), 'utf8');
  expect(sums).toContain(`  ${manifest}\n`);
  for (const platform of ['linux_amd64', 'linux_arm64']) {
    const exe = unzipOne(path.join(release, `terraform-provider-coffer_${VERSION}_${platform}.zip`), path.join(again, `unzipped-${platform}`));
    expect(path.basename(exe)).toBe(`terraform-provider-coffer_v${VERSION}`);
    expect(fs.statSync(exe).mode & 0o777).toBe(0o755);
    const bytes = fs.readFileSync(exe);
    expect(bytes.includes(Buffer.from(repoRoot))).toBe(false);
    // Nor of the runtime cache it was built from (Node's own binary has paths of Node's build hosts: not ours).
    expect(bytes.includes(Buffer.from(path.join(os.homedir(), '.cache')))).toBe(false);
  }
});
