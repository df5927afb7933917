/** `coffer provider install`: sources, platforms, checksums, layouts, driven through the real CLI bundle. */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildCli, makeSandbox, runCli, type CliBundle, type Sandbox } from './fixtures/cli-helpers';

let cli: CliBundle;
let sb: Sandbox;

beforeAll(() => {
  cli = buildCli();
  fs.writeFileSync(path.join(cli.dir, 'coffer-provider.cjs'), '// provider bundle stand-in\n');
});
afterAll(() => cli.cleanup());
beforeEach(() => {
  sb = makeSandbox('provider-install');
});
afterEach(() => sb.cleanup());

const run = (args: readonly string[]) => runCli(cli, sb, ['provider', 'install', ...args]);
const HOSTS = ['registry.opentofu.org', 'registry.terraform.io'];

/** A release directory with stand-in zips (the command copies zips; it never unpacks them). */
function fakeRelease(version = '0.1.0', platforms = ['linux_amd64', 'linux_arm64']): string {
  const dir = path.join(sb.dir, 'release');
  fs.mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  for (const platform of platforms) {
    const name = `terraform-provider-coffer_${version}_${platform}.zip`;
    const bytes = Buffer.from(`zip of ${platform}`);
    fs.writeFileSync(path.join(dir, name), bytes);
    lines.push(`${createHash('sha256').update(bytes).digest('hex')}  ${name}\n`);
  }
  fs.writeFileSync(path.join(dir, `terraform-provider-coffer_${version}_SHA256SUMS`), lines.join(''));
  return dir;
}

function mirrorFiles(mirror: string): string[] {
  if (!fs.existsSync(mirror)) return [];
  return (fs.readdirSync(mirror, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(mirror, f)).isFile())
    .sort();
}

test('--from DIR installs the release zips, packed, for several platforms under both hosts', () => {
  const release = fakeRelease();
  const mirror = path.join(sb.dir, 'mirror');
  const r = run(['--from', release, '--platform', 'linux_amd64', '--platform', 'linux_arm64', '--mirror', mirror]);
  expect(r).toMatchObject({ status: 0, stderr: '' });
  expect(mirrorFiles(mirror)).toEqual(
    HOSTS.flatMap((h) => ['linux_amd64', 'linux_arm64'].map((p) => `${h}/cofferhq/coffer/terraform-provider-coffer_0.1.0_${p}.zip`)).sort(),
  );
  // Byte for byte the release's zip: the lock file's zh:/h1: hashes are the release's on every machine.
  const installed = path.join(mirror, 'registry.opentofu.org/cofferhq/coffer/terraform-provider-coffer_0.1.0_linux_arm64.zip');
  expect(fs.readFileSync(installed)).toEqual(fs.readFileSync(path.join(release, 'terraform-provider-coffer_0.1.0_linux_arm64.zip')));
  expect(r.stdout).toMatch(/providers lock -fs-mirror=.* -platform=linux_amd64 -platform=linux_arm64/);
});

test('a zip that does not match SHA256SUMS is refused and nothing is installed', () => {
  const release = fakeRelease();
  fs.appendFileSync(path.join(release, 'terraform-provider-coffer_0.1.0_linux_arm64.zip'), 'tampered');
  const mirror = path.join(sb.dir, 'mirror');
  const r = run(['--from', release, '--platform', 'linux_amd64', '--platform', 'linux_arm64', '--mirror', mirror]);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/linux_arm64\.zip does not match its checksum in .*SHA256SUMS: the file is damaged or was changed; nothing installed/);
  expect(mirrorFiles(mirror)).toEqual([]);
});

test('missing platform, missing version and a directory without SHA256SUMS say what is there', () => {
  const release = fakeRelease('0.1.0', ['linux_amd64']);
  const mirror = path.join(sb.dir, 'mirror');
  expect(run(['--from', release, '--platform', 'windows_amd64', '--mirror', mirror]).stderr).toMatch(
    /no package for windows_amd64 of version 0\.1\.0 \(platforms there: linux_amd64\)/,
  );
  expect(run(['--from', release, '--version', '9.9.9', '--mirror', mirror]).stderr).toMatch(
    /no terraform-provider-coffer_9\.9\.9_SHA256SUMS \(versions there: 0\.1\.0; choose one with --version\)/,
  );
  fs.rmSync(path.join(release, 'terraform-provider-coffer_0.1.0_SHA256SUMS'));
  expect(run(['--from', release, '--mirror', mirror]).stderr).toMatch(/no terraform-provider-coffer_0\.1\.0_SHA256SUMS/);
  expect(mirrorFiles(mirror)).toEqual([]);
});

test('--from ZIP installs that one package; another --platform is refused', () => {
  const release = fakeRelease();
  const zip = path.join(release, 'terraform-provider-coffer_0.1.0_linux_arm64.zip');
  const mirror = path.join(sb.dir, 'mirror');
  expect(run(['--from', zip, '--platform', 'linux_amd64', '--mirror', mirror]).stderr).toMatch(
    /holds the linux_arm64 package only; for linux_amd64 give a release directory/,
  );
  expect(run(['--from', zip, '--mirror', mirror]).status).toBe(0);
  expect(mirrorFiles(mirror)).toEqual(HOSTS.map((h) => `${h}/cofferhq/coffer/terraform-provider-coffer_0.1.0_linux_arm64.zip`));
  const renamed = path.join(sb.dir, 'provider.zip');
  fs.copyFileSync(zip, renamed);
  expect(run(['--from', renamed, '--mirror', mirror]).stderr).toMatch(/not a provider release zip/);
});

test('bad --platform / --version values and other platforms without --from are usage errors', () => {
  expect(run(['--platform', 'linux-amd64'])).toMatchObject({ status: 2 });
  expect(run(['--platform', 'linux-amd64']).stderr).toMatch(/--platform must be OS_ARCH/);
  expect(run(['--version', 'v1.0.0']).stderr).toMatch(/--version must be a version like 1\.2\.3/);
  const other = process.arch === 'arm64' ? 'linux_amd64' : 'linux_arm64';
  expect(run(['--platform', other, '--mirror', path.join(sb.dir, 'm')])).toMatchObject({ status: 2 });
  expect(run(['--platform', other, '--mirror', path.join(sb.dir, 'm')]).stderr).toMatch(/needs --from/);
});

test('the development install holds no path of this machine (same bytes wherever node is)', () => {
  const mirror = path.join(sb.dir, 'mirror');
  expect(run(['--mirror', mirror]).status).toBe(0);
  const launcher = path.join(mirror, 'registry.opentofu.org/cofferhq/coffer/0.1.0', `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`, 'terraform-provider-coffer_v0.1.0');
  const script = fs.readFileSync(launcher, 'utf8');
  expect(script).not.toContain(process.execPath);
  expect(script).not.toContain(sb.dir);
  expect(script).toMatch(/^exec node "\$\{0%\/\*\}\/coffer-provider\.cjs"$/m);
});

test('a release install replaces an earlier development install of the same version and platform', () => {
  const mirror = path.join(sb.dir, 'mirror');
  expect(run(['--mirror', mirror]).status).toBe(0);
  const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
  const release = fakeRelease('0.1.0', [platform]);
  expect(run(['--from', release, '--mirror', mirror]).status).toBe(0);
  expect(mirrorFiles(mirror)).toEqual(HOSTS.map((h) => `${h}/cofferhq/coffer/terraform-provider-coffer_0.1.0_${platform}.zip`));
});
