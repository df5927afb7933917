/** `coffer provider install [--from DIR|ZIP] [--platform OS_ARCH]... [--version V] [--mirror DIR]` */
import * as path from 'node:path';
import { createRequire, isBuiltin } from 'node:module';
import { parseCommandLine } from '../args';
import { CliError, EXIT, UsageError } from '../errors';
import { unknownCommand, err, out } from '../io';
import { defaultMirror, installDevLauncher, installHelp, installPackages } from './provider-install';
import {
  checkPlatform,
  checkVersion,
  currentPlatform,
  packageFromZip,
  packagesFromReleaseDir,
  type ProviderPackage,
} from './provider-release';

/** True inside the single executable; `node:sea` only exists from Node 20.12, so it is loaded lazily. */
function runningAsSingleExecutable(): boolean {
  if (!isBuiltin('node:sea')) return false;
  return (createRequire(__filename)('node:sea') as typeof import('node:sea')).isSea();
}

export function providerHelp(): string {
  return `Usage: coffer provider install [--from DIR|ZIP] [--platform OS_ARCH]... [--version V] [--mirror DIR]

Installs the provider for registry.opentofu.org/cofferhq/coffer and
registry.terraform.io/cofferhq/coffer into a filesystem mirror.

Options:
  --from DIR|ZIP       A release directory (npm run release writes dist/release) or one
                       release zip; checked against the SHA256SUMS beside it. Without it, the
                       single executable installs itself, and the Node build installs a
                       development launcher that runs the bundle with node from PATH
  --platform OS_ARCH   Platform to install (repeatable; default ${currentPlatform()}), e.g.
                       --platform linux_amd64 --platform linux_arm64
  --version V          Version to take from --from (default: this CLI's version)
  --mirror DIR         Mirror root (default ${defaultMirror()}, an implied mirror of tofu and terraform)
`;
}

export function providerCommand(argv: readonly string[], version: string, distDir: string): number {
  const [sub, ...rest] = argv;
  if (sub !== 'install') {
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      out(providerHelp());
      return EXIT.ok;
    }
    if (sub === undefined) {
      err(providerHelp());
      return EXIT.usage;
    }
    throw new UsageError(unknownCommand('provider', sub, ['install']), 'provider');
  }
  const specs = {
    mirror: { type: 'string' },
    from: { type: 'string' },
    platform: { type: 'list' },
    version: { type: 'string' },
  } as const;
  const args = parseCommandLine(rest, specs, { command: 'provider install' });
  if (args.help) {
    out(providerHelp());
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw new UsageError('provider install takes no arguments', 'provider install');
  const usage = (run: () => string): string => {
    try {
      return run();
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error), 'provider install');
    }
  };
  const wantedVersion = args.values.version === undefined ? undefined : usage(() => checkVersion(args.values.version as string));
  const platforms = [...new Set((args.values.platform ?? []).map((p) => usage(() => checkPlatform(p))))];
  const mirror = path.resolve(args.values.mirror ?? defaultMirror());

  let written: string[];
  try {
    if (args.values.from !== undefined) {
      const from = path.resolve(args.values.from);
      const packages: ProviderPackage[] = from.endsWith('.zip')
        ? [packageFromZip(from, platforms, wantedVersion)]
        : packagesFromReleaseDir(from, wantedVersion ?? version, platforms.length > 0 ? platforms : [currentPlatform()]);
      written = installPackages(mirror, packages);
    } else {
      const here = currentPlatform();
      const other = platforms.find((p) => p !== here);
      if (other !== undefined) throw new UsageError(`--platform ${other} needs --from (a release directory or zip); without it only ${here} can be installed`, 'provider install');
      if (wantedVersion !== undefined && wantedVersion !== version) {
        throw new UsageError(`--version ${wantedVersion} needs --from; this coffer installs its own version ${version}`, 'provider install');
      }
      written = runningAsSingleExecutable()
        ? installPackages(mirror, [{ version, platform: here, kind: 'executable', file: process.execPath }])
        : installDevLauncher(mirror, version, here, path.join(distDir, 'coffer-provider.cjs'));
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(EXIT.failed, error instanceof Error ? error.message : String(error));
  }
  for (const file of written) out(`installed ${file}\n`);
  out(`\n${installHelp(mirror)}\n`);
  return EXIT.ok;
}
