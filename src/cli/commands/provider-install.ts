/**
 * `coffer provider install`: puts provider packages into a filesystem mirror under both registry
 * hosts, so a plain `tofu init` / `terraform init` finds them offline.
 *
 * Release zips go in packed (the zip file as is, so `h1:` and `zh:` hashes are the release's on
 * every machine); a single executable goes in unpacked (same bytes, same `h1:`). The development
 * launcher runs the bundle with whatever `node` is on PATH, so it holds no path of this machine.
 */
import { makeDirectories } from '../../client/bounded-fs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { executableName, PROVIDER_HOSTS, PROVIDER_NAMESPACE, PROVIDER_TYPE, type ProviderPackage, zipName } from './provider-release';

export { currentPlatform, PROVIDER_HOSTS, PROVIDER_NAMESPACE, PROVIDER_TYPE } from './provider-release';

export function defaultMirror(): string {
  return path.join(os.homedir(), '.terraform.d', 'plugins');
}

/** Writes FILE atomically (temp file + rename): a reader never sees half a provider. */
function writeAtomically(target: string, write: (temp: string) => void): void {
  const temp = `${target}.${process.pid}.tmp`;
  try {
    write(temp);
    fs.renameSync(temp, target);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function typeDir(mirror: string, host: string): string {
  return path.join(mirror, host, PROVIDER_NAMESPACE, PROVIDER_TYPE);
}

/** Installs every package into every host directory; returns the paths written. */
export function installPackages(mirror: string, packages: readonly ProviderPackage[]): string[] {
  const written: string[] = [];
  for (const host of PROVIDER_HOSTS) {
    for (const pkg of packages) {
      const dir = typeDir(mirror, host);
      const packed = path.join(dir, zipName(pkg.version, pkg.platform));
      const unpacked = path.join(dir, pkg.version, pkg.platform);
      makeDirectories(dir, 0o755);
      // One layout per version and platform: a stale copy in the other layout would shadow or contradict it.
      if (pkg.kind === 'zip') {
        fs.rmSync(unpacked, { recursive: true, force: true });
        writeAtomically(packed, (temp) => fs.copyFileSync(pkg.file, temp));
        written.push(packed);
      } else {
        fs.rmSync(packed, { force: true });
        replaceUnpacked(unpacked, (temp) => {
          fs.copyFileSync(pkg.file, path.join(temp, executableName(pkg.version, pkg.platform)));
          fs.chmodSync(path.join(temp, executableName(pkg.version, pkg.platform)), 0o755);
        });
        written.push(unpacked);
      }
    }
  }
  return written;
}

/** Fills a fresh directory beside DIR, then swaps it in, so DIR holds one complete package. */
function replaceUnpacked(dir: string, fill: (temp: string) => void): void {
  makeDirectories(path.dirname(dir), 0o755);
  const temp = fs.mkdtempSync(`${dir}.tmp-`);
  try {
    fill(temp);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(temp, dir);
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * The development install: the provider bundle and a launcher that execs `node` from PATH (exec,
 * not a child: tofu kills this process directly and would hang on an orphaned node).
 */
export function installDevLauncher(mirror: string, version: string, platform: string, bundle: string): string[] {
  if (!fs.existsSync(bundle)) throw new Error(`provider bundle not found at ${bundle}: run npm run build first`);
  const script =
    '#!/bin/sh\n' +
    '# Development install of terraform-provider-coffer: needs node (>= 20) on PATH.\n' +
    'command -v node >/dev/null 2>&1 || { echo "terraform-provider-coffer: node not found on PATH (this is the development install; install a release: coffer provider install --from DIR)" >&2; exit 1; }\n' +
    'exec node "${0%/*}/coffer-provider.cjs"\n';
  const written: string[] = [];
  for (const host of PROVIDER_HOSTS) {
    const dir = typeDir(mirror, host);
    fs.rmSync(path.join(dir, zipName(version, platform)), { force: true });
    const unpacked = path.join(dir, version, platform);
    replaceUnpacked(unpacked, (temp) => {
      // The bundle's name must not start with "terraform-provider-coffer": tofu would pick it as the executable.
      fs.copyFileSync(bundle, path.join(temp, 'coffer-provider.cjs'));
      fs.writeFileSync(path.join(temp, executableName(version, platform)), script, { mode: 0o755 });
    });
    written.push(unpacked);
  }
  return written;
}

export function installHelp(mirror: string): string {
  const addresses = PROVIDER_HOSTS.map((h) => `"${h}/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}"`).join(', ');
  return [
    `Installed ${PROVIDER_NAMESPACE}/${PROVIDER_TYPE} into the filesystem mirror ${mirror}.`,
    '',
    mirror === defaultMirror()
      ? 'This is an implied mirror: `tofu init` and `terraform init` find the provider with no extra configuration.'
      : [
          'Point tofu/terraform at it with a CLI configuration file (TF_CLI_CONFIG_FILE):',
          '  provider_installation {',
          '    filesystem_mirror {',
          `      path    = "${mirror}"`,
          `      include = [${addresses}]`,
          '    }',
          `    direct { exclude = [${addresses}] }`,
          '  }',
        ].join('\n'),
    '',
    'To record hashes for every platform in .terraform.lock.hcl (so it holds on other machines):',
    `  tofu providers lock -fs-mirror=${mirror} -platform=linux_amd64 -platform=linux_arm64`,
    'After reinstalling the same version with other bytes, delete its entry in .terraform.lock.hcl',
    'and run init again (the lock file pins the package checksum).',
  ].join('\n');
}
