/**
 * `coffer provider install`: puts the provider into a filesystem mirror under both registry
 * hosts, so a plain `tofu init` / `terraform init` finds it offline.
 */
import { makeDirectories } from '../../client/bounded-fs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const PROVIDER_HOSTS = ['registry.opentofu.org', 'registry.terraform.io'] as const;
export const PROVIDER_NAMESPACE = 'cofferhq';
export const PROVIDER_TYPE = 'coffer';

export interface InstallOptions {
  /** Mirror root. `~/.terraform.d/plugins` is an implied mirror for both tofu and terraform. */
  readonly mirror: string;
  readonly version: string;
  /** The bundled provider (dist/coffer-provider.cjs). */
  readonly bundle: string;
  /** Absolute node executable the launcher execs. */
  readonly nodePath: string;
}

export function defaultMirror(): string {
  return path.join(os.homedir(), '.terraform.d', 'plugins');
}

export function platformDir(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };
  return `${platform === 'win32' ? 'windows' : platform}_${goArch[arch] ?? arch}`;
}

/** Installs into every host directory; returns the package directories written. */
export function installProvider(options: InstallOptions): string[] {
  if (!fs.existsSync(options.bundle)) throw new Error(`provider bundle not found at ${options.bundle}: run npm run build first`);
  const written: string[] = [];
  for (const host of PROVIDER_HOSTS) {
    const dir = path.join(options.mirror, host, PROVIDER_NAMESPACE, PROVIDER_TYPE, options.version, platformDir());
    makeDirectories(dir, 0o755);
    // The bundle's name must not start with "terraform-provider-coffer": tofu would pick it as the executable.
    fs.copyFileSync(options.bundle, path.join(dir, 'coffer-provider.cjs'));
    const launcher = path.join(dir, `terraform-provider-${PROVIDER_TYPE}_v${options.version}`);
    const script =
      '#!/bin/sh\n' +
      '# exec, not a child: tofu kills this process directly and would hang on an orphaned node.\n' +
      `exec "${options.nodePath}" "$(dirname -- "$0")/coffer-provider.cjs"\n`;
    fs.writeFileSync(`${launcher}.tmp`, script, { mode: 0o755 });
    fs.renameSync(`${launcher}.tmp`, launcher);
    written.push(dir);
  }
  return written;
}

export function installHelp(mirror: string, devDir: string): string {
  return [
    `Installed ${PROVIDER_NAMESPACE}/${PROVIDER_TYPE} into the filesystem mirror ${mirror}.`,
    '',
    mirror === defaultMirror()
      ? 'This is an implied mirror: `tofu init` and `terraform init` find the provider with no extra configuration.'
      : [
          'Point tofu/terraform at it with a CLI configuration file (TF_CLI_CONFIG_FILE):',
          '  provider_installation {',
          '    filesystem_mirror {',
          `      path    = "${mirror}"`,
          `      include = [${PROVIDER_HOSTS.map((h) => `"${h}/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}"`).join(', ')}]`,
          '    }',
          `    direct { exclude = [${PROVIDER_HOSTS.map((h) => `"${h}/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}"`).join(', ')}] }`,
          '  }',
        ].join('\n'),
    '',
    'After reinstalling the same version, delete its entry in .terraform.lock.hcl and run init again',
    '(the lock file pins the package checksum).',
    '',
    'Alternative for provider development, without init (dev_overrides):',
    '  provider_installation {',
    `    dev_overrides { "registry.opentofu.org/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}" = "${devDir}" }`,
    '    direct {}',
    '  }',
  ].join('\n');
}
