/** The `coffer` command line. */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultMirror, installHelp, installProvider } from './commands/provider-install';

const VERSION = '0.1.0';

const USAGE = `Usage: coffer <command> [options]

Commands:
  provider install [--mirror DIR]   Install the Coffer provider into a filesystem mirror
  version                            Print the version

Run "coffer <command> --help" for details.
`;

/** Exit codes: 0 success, 1 operation failed, 2 usage error. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'version' || command === '--version') {
    process.stdout.write(`coffer ${VERSION}\n`);
    return 0;
  }
  if (command === 'provider') return providerCommand(rest);
  process.stderr.write(`coffer: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

function providerCommand(argv: readonly string[]): number {
  const [sub, ...rest] = argv;
  const help = `Usage: coffer provider install [--mirror DIR]

Installs the provider for registry.opentofu.org/cofferhq/coffer and
registry.terraform.io/cofferhq/coffer into a filesystem mirror.

Options:
  --mirror DIR   Mirror root (default ${defaultMirror()}, an implied mirror of tofu and terraform)
`;
  if (sub !== 'install') {
    process.stdout.write(help);
    return sub === '--help' || sub === '-h' ? 0 : 2;
  }
  const { values } = parseArgs({
    args: [...rest],
    options: { mirror: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  const mirror = path.resolve(values.mirror ?? defaultMirror());
  const distDir = __dirname; // the CLI bundle sits beside the provider bundle in dist/
  const dirs = installProvider({ mirror, version: VERSION, bundle: path.join(distDir, 'coffer-provider.cjs'), nodePath: process.execPath });
  for (const dir of dirs) process.stdout.write(`installed ${dir}\n`);
  process.stdout.write(`\n${installHelp(mirror, path.join(distDir, 'dev-provider'))}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`coffer: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
