/**
 * The real `coffer` CLI beside a workspace, as a user at the same terminal has it: same backend,
 * same COFFER_HOME and credentials as the provider, profiles in a private config file.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { BackendFixture } from './backends';
import type { Workspace } from './workspace';

const CLI = path.resolve(__dirname, '../../../dist/coffer-cli.cjs');

/** Runs `coffer ARGS` (stdin = `stdin` or empty); rejects with the CLI's stderr on a non-zero exit. */
export type CofferCli = (args: readonly string[], stdin?: string) => Promise<string>;

/**
 * A CLI runner for `ws` on backend `fx`. The profile names equal COFFER_BACKEND (`vault`, `coder`),
 * so the provider's environment selects the same backend for the CLI; they are registered here.
 */
export async function cofferCliFor(ws: Workspace, fx: BackendFixture): Promise<CofferCli> {
  const env = { ...ws.env(), COFFER_CONFIG: path.join(ws.home, 'cli-config.json') };
  const coffer: CofferCli = (args, stdin) =>
    new Promise((resolve, reject) => {
      const child = execFile(process.execPath, [CLI, ...args], { env, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error) reject(new Error(`coffer ${args.join(' ')} failed: ${stderr || error.message}`));
        else resolve(stdout);
      });
      child.stdin?.end(stdin ?? '');
    });
  const providerEnv = fx.providerEnv;
  if (fx.name === 'openbao') await coffer(['backend', 'register', 'vault', '--kind', 'vault', '--url', providerEnv.BAO_ADDR as string]);
  if (fx.name === 'coder') await coffer(['backend', 'register', 'coder', '--kind', 'coder', '--url', providerEnv.CODER_URL as string]);
  return coffer;
}
