/** `coffer provider install [--mirror DIR]` (behaviour unchanged; used by test/e2e and scripts/). */
import * as path from 'node:path';
import { parseCommandLine } from '../args';
import { CliError, EXIT, UsageError } from '../errors';
import { unknownCommand, err, out } from '../io';
import { defaultMirror, installHelp, installProvider } from './provider-install';

export function providerHelp(): string {
  return `Usage: coffer provider install [--mirror DIR]

Installs the provider for registry.opentofu.org/cofferhq/coffer and
registry.terraform.io/cofferhq/coffer into a filesystem mirror.

Options:
  --mirror DIR   Mirror root (default ${defaultMirror()}, an implied mirror of tofu and terraform)
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
  const args = parseCommandLine(rest, { mirror: { type: 'string' } }, { command: 'provider install' });
  if (args.help) {
    out(providerHelp());
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw new UsageError('provider install takes no arguments', 'provider install');
  const mirror = path.resolve(args.values.mirror ?? defaultMirror());
  let dirs: string[];
  try {
    dirs = installProvider({
      mirror,
      version,
      bundle: path.join(distDir, 'coffer-provider.cjs'),
      nodePath: process.execPath,
    });
  } catch (error) {
    throw new CliError(EXIT.failed, error instanceof Error ? error.message : String(error));
  }
  for (const dir of dirs) out(`installed ${dir}\n`);
  out(`\n${installHelp(mirror, path.join(distDir, 'dev-provider'))}\n`);
  return EXIT.ok;
}
