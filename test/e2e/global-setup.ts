/**
 * Once per e2e run: finds the tools the setup script installed, builds the provider bundle and
 * installs it into a private filesystem mirror that every test workspace uses.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');

export default async function globalSetup(): Promise<void> {
  const toolsBin = execFileSync('bash', [path.join(root, 'scripts/setup-tools.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
  const mirror = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-e2e-mirror-'));
  execFileSync(process.execPath, [path.join(root, 'dist/coffer-cli.cjs'), 'provider', 'install', '--mirror', mirror], {
    stdio: 'ignore',
  });
  process.env.COFFER_E2E_TOOLS_BIN = toolsBin;
  process.env.COFFER_E2E_MIRROR = mirror;
}
