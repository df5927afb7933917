/**
 * The release (scripts/release.mjs output) and "machines" for the install tests: each machine is
 * a HOME, a filesystem mirror, a CLI config, and a PATH of only the tools named (no node unless
 * asked for), as on a provisioner image or CI runner.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../..');
export const VERSION = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** Building the executables and zips of a release the first time takes minutes on a busy machine. */
export const RELEASE_BUILD_TIMEOUT_MS = 15 * 60_000;

export interface ReleaseFacts {
  readonly version: string;
  readonly platforms: string[];
  readonly signing_key_id: string;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs FN holding a lock directory, so parallel test files never build into the same place at once. */
function withLock<T>(lockDir: string, fn: () => T): T {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  for (let waited = 0; ; waited += 500) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (waited > 15 * 60_000) throw new Error(`${lockDir} held for 15 minutes: remove it if no build is running`);
      sleep(500);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * The release of the current sources in dist/test-release (both Linux platforms, throwaway key),
 * rebuilt only when the executables or the release scripts changed.
 */
export function testRelease(): string {
  const outDir = path.join(repoRoot, 'dist/test-release');
  return withLock(path.join(repoRoot, 'dist/.release-lock'), () => {
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts/build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts/build-sea.mjs')], { stdio: ['ignore', 'ignore', 'ignore'] });
    const key = createHash('sha256');
    for (const file of ['dist/sea/linux_amd64/stamp', 'dist/sea/linux_arm64/stamp', 'scripts/release.mjs', 'scripts/release-zip.mjs', 'package.json']) {
      key.update(fs.readFileSync(path.join(repoRoot, file)));
    }
    const stamp = key.digest('hex');
    const stampFile = path.join(outDir, '.inputs');
    if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return outDir;
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts/release.mjs'), '--out', outDir], { stdio: ['ignore', 'ignore', 'ignore'] });
    fs.writeFileSync(stampFile, stamp);
    return outDir;
  });
}

export function releaseFacts(releaseDir: string): ReleaseFacts {
  return JSON.parse(fs.readFileSync(path.join(releaseDir, 'release.json'), 'utf8')) as ReleaseFacts;
}

/** Unzips the one file of a release zip (with the system `unzip`) into DIR; returns its path. */
export function unzipOne(zip: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('unzip', ['-q', '-o', zip, '-d', dir]);
  const [name] = fs.readdirSync(dir);
  return path.join(dir, name as string);
}

/** One simulated machine under a temp root; remove() deletes everything it made. */
export class Machine {
  readonly root: string;
  readonly home: string;
  readonly bin: string;
  readonly mirror: string;
  readonly cliConfig: string;

  constructor(name: string, tools: Record<string, string>) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `coffer-machine-${name}-`));
    this.home = path.join(this.root, 'home');
    this.bin = path.join(this.root, 'bin');
    this.mirror = path.join(this.root, 'mirror');
    fs.mkdirSync(this.home);
    fs.mkdirSync(this.bin);
    for (const [tool, target] of Object.entries(tools)) fs.symlinkSync(target, path.join(this.bin, tool));
    this.cliConfig = path.join(this.root, 'cli.tfrc');
    fs.writeFileSync(
      this.cliConfig,
      `provider_installation {\n  filesystem_mirror {\n    path    = "${this.mirror}"\n    include = ["registry.opentofu.org/cofferhq/*", "registry.terraform.io/cofferhq/*"]\n  }\n}\n`,
    );
  }

  /** Only this machine's tools on PATH (no node unless one was given), its own HOME and mirror. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: this.bin,
      HOME: this.home,
      TMPDIR: os.tmpdir(),
      TF_CLI_CONFIG_FILE: this.cliConfig,
      TF_IN_AUTOMATION: '1',
      CHECKPOINT_DISABLE: '1',
      COFFER_HOME: path.join(this.home, 'coffer'),
      ...extra,
    };
  }

  workDir(name: string): string {
    const dir = path.join(this.root, name);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
