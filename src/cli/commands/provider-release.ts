/**
 * The provider's release layout (what `npm run release` writes and registries serve) and how
 * `coffer provider install --from` finds and checks packages in it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PROVIDER_HOSTS = ['registry.opentofu.org', 'registry.terraform.io'] as const;
export const PROVIDER_NAMESPACE = 'cofferhq';
export const PROVIDER_TYPE = 'coffer';
const PREFIX = `terraform-provider-${PROVIDER_TYPE}`;

const VERSION_PATTERN = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const PLATFORM_PATTERN = /^[a-z0-9]+_[a-z0-9]+$/;

/** A provider package for one platform: a release zip, or an executable to unpack as is. */
export interface ProviderPackage {
  readonly version: string;
  /** OS_ARCH, as Terraform names platforms (linux_amd64). */
  readonly platform: string;
  readonly kind: 'zip' | 'executable';
  readonly file: string;
}

export function checkVersion(version: string, what = 'option --version'): string {
  if (!VERSION_PATTERN.test(version)) throw new Error(`${what} must be a version like 1.2.3 (no leading v)`);
  return version;
}

export function checkPlatform(platform: string): string {
  if (!PLATFORM_PATTERN.test(platform)) throw new Error('option --platform must be OS_ARCH, e.g. linux_amd64 or linux_arm64');
  return platform;
}

/** This machine's platform in Terraform's naming. */
export function currentPlatform(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };
  return `${platform === 'win32' ? 'windows' : platform}_${goArch[arch] ?? arch}`;
}

export function zipName(version: string, platform: string): string {
  return `${PREFIX}_${version}_${platform}.zip`;
}

export function shaSumsName(version: string): string {
  return `${PREFIX}_${version}_SHA256SUMS`;
}

/** The executable inside a package, named as Terraform expects (`.exe` on Windows). */
export function executableName(version: string, platform: string): string {
  return `${PREFIX}_v${version}${platform.startsWith('windows_') ? '.exe' : ''}`;
}

/** VERSION and OS_ARCH from a release zip's file name, or undefined for any other name. */
export function parseZipName(name: string): { version: string; platform: string } | undefined {
  const match = /^terraform-provider-coffer_(.+)_([a-z0-9]+_[a-z0-9]+)\.zip$/.exec(name);
  if (match === null || !VERSION_PATTERN.test(match[1] as string)) return undefined;
  return { version: match[1] as string, platform: match[2] as string };
}

export function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const read = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      hash.update(chunk.subarray(0, read));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** `sha256sum` lines (`<hex>  <name>`) → name → hex. */
export function parseShaSums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]{64}) [ *](\S+)$/.exec(line.trim());
    if (match !== null) sums.set(match[2] as string, match[1] as string);
  }
  return sums;
}

/** Refuses a zip whose checksum differs from the SHA256SUMS beside it (damage or tampering). */
function verifyAgainstSums(zip: string, sums: Map<string, string>, sumsFile: string): void {
  const expected = sums.get(path.basename(zip));
  if (expected === undefined) throw new Error(`${path.basename(zip)} is not listed in ${sumsFile}`);
  if (sha256File(zip) !== expected) {
    throw new Error(`${zip} does not match its checksum in ${sumsFile}: the file is damaged or was changed; nothing installed`);
  }
}

function readSums(file: string): Map<string, string> {
  return parseShaSums(fs.readFileSync(file, 'utf8'));
}

/** Packages for PLATFORMS of VERSION from a release directory, each checked against its SHA256SUMS. */
export function packagesFromReleaseDir(dir: string, version: string, platforms: readonly string[]): ProviderPackage[] {
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`--from ${dir}: no such directory or zip file`);
  const sumsFile = path.join(dir, shaSumsName(version));
  const found = fs.readdirSync(dir).flatMap((name) => {
    const parsed = parseZipName(name);
    return parsed === undefined ? [] : [parsed];
  });
  if (!fs.existsSync(sumsFile)) {
    const versions = [...new Set(found.map((f) => f.version))].sort();
    throw new Error(
      `--from ${dir}: no ${path.basename(sumsFile)}` +
        (versions.length > 0 ? ` (versions there: ${versions.join(', ')}; choose one with --version)` : ' (not a release directory: run npm run release)'),
    );
  }
  const sums = readSums(sumsFile);
  return platforms.map((platform) => {
    const file = path.join(dir, zipName(version, platform));
    if (!fs.existsSync(file)) {
      const have = found.filter((f) => f.version === version).map((f) => f.platform);
      throw new Error(`--from ${dir}: no package for ${platform} of version ${version} (platforms there: ${have.join(', ') || 'none'})`);
    }
    verifyAgainstSums(file, sums, sumsFile);
    return { version, platform, kind: 'zip' as const, file };
  });
}

/** One release zip given by path; checked against a SHA256SUMS beside it when there is one. */
export function packageFromZip(file: string, platforms: readonly string[], version: string | undefined): ProviderPackage {
  const parsed = parseZipName(path.basename(file));
  if (parsed === undefined) {
    throw new Error(`--from ${file}: not a provider release zip (expected a name like ${zipName('1.2.3', 'linux_amd64')})`);
  }
  if (version !== undefined && version !== parsed.version) throw new Error(`--from ${file} holds version ${parsed.version}, not --version ${version}`);
  const other = platforms.find((p) => p !== parsed.platform);
  if (other !== undefined) throw new Error(`--from ${file} holds the ${parsed.platform} package only; for ${other} give a release directory`);
  const sumsFile = path.join(path.dirname(file), shaSumsName(parsed.version));
  if (fs.existsSync(sumsFile)) verifyAgainstSums(file, readSums(sumsFile), sumsFile);
  return { ...parsed, kind: 'zip', file };
}
