/**
 * Entry point of the single executable (Node SEA): one binary is both programs. Named
 * `terraform-provider-coffer_v…` (as tofu/terraform find it in a provider package) it serves the
 * plugin protocol; under any other name (`coffer`) it is the CLI. One binary per platform keeps
 * the release small to build, and lets `coffer provider install` install itself.
 */
import * as path from 'node:path';

/** The name the program was started under (argv[0] as given, so a `coffer` symlink stays the CLI). */
export function invokedAsProvider(argv0: string, execPath: string): boolean {
  return path.basename(argv0 || execPath).startsWith('terraform-provider-');
}

if (invokedAsProvider(process.argv0, process.execPath)) {
  void import('../provider/main');
} else {
  // Bundled, the CLI module shares this file's `module`, so its own `require.main === module`
  // check starts it; calling main() here as well would run every command twice.
  void import('../cli/main');
}
