/** The real engines the e2e suite runs against: the OpenTofu the setup built, and terraform when on PATH. */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export interface Engine {
  /** `tofu` or `terraform`. */
  readonly name: string;
  readonly binary: string;
  readonly version: string;
  /** Registry host the engine resolves `cofferhq/coffer` against. */
  readonly registryHost: string;
}

function versionOf(binary: string): string | undefined {
  try {
    const out = execFileSync(binary, ['version', '-json'], { encoding: 'utf8', env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' } });
    return (JSON.parse(out) as { terraform_version: string }).terraform_version;
  } catch {
    return undefined;
  }
}

function which(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function availableEngines(): Engine[] {
  const engines: Engine[] = [];
  const toolsBin = process.env.COFFER_E2E_TOOLS_BIN;
  if (!toolsBin) throw new Error('COFFER_E2E_TOOLS_BIN is not set: run the e2e tests through jest (global setup)');
  const tofu = path.join(toolsBin, 'tofu');
  const tofuVersion = versionOf(tofu);
  if (tofuVersion === undefined) throw new Error(`tofu not runnable at ${tofu}: run scripts/setup-tools.sh`);
  engines.push({ name: 'tofu', binary: tofu, version: tofuVersion, registryHost: 'registry.opentofu.org' });
  const terraform = process.env.COFFER_E2E_TERRAFORM ?? which('terraform');
  const terraformVersion = terraform ? versionOf(terraform) : undefined;
  if (terraform && terraformVersion && process.env.COFFER_E2E_SKIP_TERRAFORM !== '1') {
    engines.push({ name: 'terraform', binary: terraform, version: terraformVersion, registryHost: 'registry.terraform.io' });
  }
  return engines;
}
