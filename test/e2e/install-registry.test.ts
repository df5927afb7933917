/**
 * How a platform team publishes Coffer: the signed release in a private provider registry
 * (service discovery + registry protocol over HTTPS), and a network mirror for Coder
 * provisioner images. Real `tofu`/`terraform` install from them on machines without node, check
 * the signature, and refuse a tampered zip or a bad signature.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { availableEngines, type Engine } from './support/engines';
import { runProcess, type ProcessResult } from './support/process';
import { Machine, RELEASE_BUILD_TIMEOUT_MS, releaseFacts, testRelease, VERSION } from '../support/release';
import { makeTestCa, startRegistry, type RegistryServer, type TestCa } from '../support/registry-server';

const engines = availableEngines();
let release: string;
let ca: TestCa;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  release = testRelease();
  ca = makeTestCa();
  cleanups.push(() => fs.rmSync(ca.dir, { recursive: true, force: true }));
}, RELEASE_BUILD_TIMEOUT_MS);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function registry(options: { releaseDir?: string; mirrorDir?: string }): Promise<RegistryServer> {
  const server = await startRegistry({ ca, ...options });
  cleanups.push(() => server.close());
  return server;
}

function machine(name: string, engine: Engine, cliConfig?: string): Machine {
  const m = new Machine(name, { [engine.name]: engine.binary });
  cleanups.push(() => m.remove());
  if (cliConfig !== undefined) fs.writeFileSync(m.cliConfig, cliConfig);
  else fs.writeFileSync(m.cliConfig, ''); // the registry is reached directly, by its host name
  return m;
}

/** A copy of the release that a test may damage. */
function releaseCopy(name: string): string {
  const dir = fs.mkdtempSync(path.join(path.dirname(release), `${name}-`));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const file of fs.readdirSync(release)) if (!file.startsWith('.')) fs.copyFileSync(path.join(release, file), path.join(dir, file));
  return dir;
}

function configUsing(source: string): string {
  return `terraform {\n  required_providers {\n    coffer = { source = "${source}" }\n  }\n}\nprovider "coffer" {}\n\nresource "coffer_user_secret" "token" {\n  name             = "registry-token"\n  env_name         = "REGISTRY_TOKEN"\n  value_wo         = "registry-test-value"\n  value_wo_version = "1"\n}\n`;
}

/** Runs `ENGINE COMMAND -no-color [ARGS]` in WORK on machine M, trusting the test CA. */
async function engineRun(engine: Engine, m: Machine, work: string, command: string[], args: string[] = []): Promise<ProcessResult> {
  return runProcess(engine.binary, [...command, '-no-color', ...args], { cwd: work, env: m.env({ SSL_CERT_FILE: ca.caFile }) });
}

function expectOk(result: ProcessResult): ProcessResult {
  if (result.code !== 0) throw new Error(`exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

describe.each(engines.map((e) => [e.name, e] as [string, Engine]))('%s', (_name, engine) => {
  test('installs the signed release from a private registry, records every platform, applies', async () => {
    const server = await registry({ releaseDir: release });
    const m = machine(`registry-${engine.name}`, engine);
    const work = m.workDir('repo');
    fs.writeFileSync(path.join(work, 'main.tf'), configUsing(`${server.host}/cofferhq/coffer`));

    const init = expectOk(await engineRun(engine, m, work, ['init']));
    const keyId = releaseFacts(release).signing_key_id;
    expect(init.stdout).toContain(`key ID ${keyId}`);
    // The signature was fetched and checked, and the lock file holds the release's checksums of both platforms.
    expect(server.requests).toContain(`/files/terraform-provider-coffer_${VERSION}_SHA256SUMS.sig`);
    const lock = fs.readFileSync(path.join(work, '.terraform.lock.hcl'), 'utf8');
    const sums = fs.readFileSync(path.join(release, `terraform-provider-coffer_${VERSION}_SHA256SUMS`), 'utf8');
    for (const platform of ['linux_amd64', 'linux_arm64']) {
      const line = sums.split('\n').find((l) => l.endsWith(`_${platform}.zip`)) as string;
      expect(lock).toContain(`zh:${line.slice(0, 64)}`);
    }
    expectOk(await engineRun(engine, m, work, ['apply'], ['-auto-approve', '-input=false']));
  });

  test('refuses a tampered zip', async () => {
    const damaged = releaseCopy('tampered-zip');
    const zip = path.join(damaged, `terraform-provider-coffer_${VERSION}_linux_amd64.zip`);
    const bytes = fs.readFileSync(zip);
    bytes[bytes.length >> 1] ^= 0xff;
    fs.writeFileSync(zip, bytes);
    const server = await registry({ releaseDir: damaged });
    const m = machine(`tampered-${engine.name}`, engine);
    const work = m.workDir('repo');
    fs.writeFileSync(path.join(work, 'main.tf'), configUsing(`${server.host}/cofferhq/coffer`));
    const init = await engineRun(engine, m, work, ['init']);
    expect(init.code).not.toBe(0);
    expect(init.stderr).toMatch(/checksum|does not match|mismatch/i);
    expect(fs.existsSync(path.join(work, '.terraform.lock.hcl'))).toBe(false);
  });

  test('refuses a release whose SHA256SUMS no longer matches its signature', async () => {
    // An attacker re-computes SHA256SUMS for a changed zip but cannot sign it.
    const damaged = releaseCopy('bad-signature');
    const zipName = `terraform-provider-coffer_${VERSION}_linux_amd64.zip`;
    const zip = path.join(damaged, zipName);
    const bytes = fs.readFileSync(zip);
    bytes[bytes.length >> 1] ^= 0xff;
    fs.writeFileSync(zip, bytes);
    const sumsFile = path.join(damaged, `terraform-provider-coffer_${VERSION}_SHA256SUMS`);
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(bytes).digest('hex');
    fs.writeFileSync(sumsFile, fs.readFileSync(sumsFile, 'utf8').replace(/^[0-9a-f]{64}(?= {2}terraform-provider-coffer_[^\n]*_linux_amd64\.zip$)/m, digest));
    const server = await registry({ releaseDir: damaged });
    const m = machine(`badsig-${engine.name}`, engine);
    const work = m.workDir('repo');
    fs.writeFileSync(path.join(work, 'main.tf'), configUsing(`${server.host}/cofferhq/coffer`));
    const init = await engineRun(engine, m, work, ['init']);
    expect(init.code).not.toBe(0);
    expect(init.stderr).toMatch(/signature|authentic/i);
    expect(fs.existsSync(path.join(work, '.terraform.lock.hcl'))).toBe(false);
  });

  test('a Coder provisioner installs from a network mirror (tofu providers mirror output over HTTPS), no node', async () => {
    // The platform team mirrors cofferhq/coffer from its registry (here the loopback registry stands
    // in for the public one through a `host` block) for both provisioner platforms; signatures are checked.
    const origin = await registry({ releaseDir: release });
    const team = machine(`mirror-team-${engine.name}`, engine);
    const services = `{\n    "providers.v1" = "${origin.url}/v1/providers/"\n  }`;
    fs.writeFileSync(
      team.cliConfig,
      `host "registry.opentofu.org" {\n  services = ${services}\n}\nhost "registry.terraform.io" {\n  services = ${services}\n}\n`,
    );
    const teamWork = team.workDir('repo');
    fs.writeFileSync(path.join(teamWork, 'main.tf'), configUsing('cofferhq/coffer'));
    const published = team.workDir('published');
    expectOk(await engineRun(engine, team, teamWork, ['providers', 'mirror'], ['-platform=linux_amd64', '-platform=linux_arm64', published]));
    await origin.close();
    const server = await registry({ mirrorDir: published });

    // The provisioner: only a CLI config pointing at the network mirror; the origin is gone.
    const provisioner = machine(
      `provisioner-${engine.name}`,
      engine,
      `provider_installation {\n  network_mirror {\n    url     = "${server.url}/mirror/"\n    include = ["registry.opentofu.org/cofferhq/*", "registry.terraform.io/cofferhq/*"]\n  }\n}\n`,
    );
    const work = provisioner.workDir('template');
    fs.writeFileSync(path.join(work, 'main.tf'), configUsing('cofferhq/coffer'));
    expectOk(await engineRun(engine, provisioner, work, ['init']));
    expect(server.requests).toContain(`/mirror/${engine.registryHost}/cofferhq/coffer/index.json`);
    expectOk(await engineRun(engine, provisioner, work, ['apply'], ['-auto-approve', '-input=false']));
  });
});
