// Bundles the provider and the CLI into single files, so the provider starts fast (one file
// to load, nothing resolved at run time) and can be copied into a plugin mirror as is.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  loader: { '.proto': 'text' },
  minifySyntax: true,
  legalComments: 'linked',
  sourcemap: 'linked',
  logLevel: 'warning',
};

mkdirSync(join(root, 'dist'), { recursive: true });
await Promise.all([
  build({ ...common, entryPoints: [join(root, 'src/provider/main.ts')], outfile: join(root, 'dist/coffer-provider.cjs') }),
  // The npm package's `coffer` bin is this file: it needs the shebang.
  build({ ...common, entryPoints: [join(root, 'src/cli/main.ts')], outfile: join(root, 'dist/coffer-cli.cjs'), banner: { js: '#!/usr/bin/env node' } }),
]);

// A development executable for dev_overrides: the directory holds exactly one terraform-provider-coffer.
const devDir = join(root, 'dist/dev-provider');
mkdirSync(devDir, { recursive: true });
const launcher = join(devDir, 'terraform-provider-coffer');
writeFileSync(launcher, `#!/bin/sh\n# exec: tofu must be able to kill node itself (a child would be orphaned and hang tofu).\nexec "${process.execPath}" "${join(root, 'dist/coffer-provider.cjs')}"\n`);
chmodSync(launcher, 0o755);
