// `npm run release [-- [--out DIR] OS_ARCH ...]`: writes dist/release/ in the provider registry layout.
//
//   terraform-provider-coffer_VERSION_OS_ARCH.zip     the single executable, named as Terraform expects
//   terraform-provider-coffer_VERSION_manifest.json   protocol 6.0
//   terraform-provider-coffer_VERSION_SHA256SUMS      every zip and the manifest
//   terraform-provider-coffer_VERSION_SHA256SUMS.sig  binary detached GPG signature
//   coffer_VERSION_OS_ARCH.zip, coffer_VERSION_SHA256SUMS(.sig)   the same executable as the `coffer` CLI
//   signing-key.asc, release.json                     public key and facts a registry serves
//
// The signing key comes from COFFER_RELEASE_GPG_KEY (ASCII-armored private key) or
// COFFER_RELEASE_GPG_KEY_FILE, with COFFER_RELEASE_GPG_PASSPHRASE if it has one. Without one a
// throwaway key is generated (a dry run still gives the full layout) and the run says so.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSea } from './build-sea.mjs';
import { deflate, zipBytes } from './release-zip.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (message) => process.stderr.write(`[release] ${message}\n`);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

export async function release({ targets, outDir = join(root, 'dist/release'), env = process.env } = {}) {
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const built = await buildSea(targets);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const provider = `terraform-provider-coffer_${version}`;
  const providerFiles = [];
  const cliFiles = [];
  for (const [platform, exe] of Object.entries(built)) {
    const data = readFileSync(exe);
    const deflated = deflate(data);
    const suffix = platform.startsWith('windows_') ? '.exe' : '';
    const zip = `${provider}_${platform}.zip`;
    writeFileSync(join(outDir, zip), zipBytes([{ name: `terraform-provider-coffer_v${version}${suffix}`, data, deflated, mode: 0o755 }]));
    providerFiles.push(zip);
    const cliZip = `coffer_${version}_${platform}.zip`;
    writeFileSync(join(outDir, cliZip), zipBytes([{ name: `coffer${suffix}`, data, deflated, mode: 0o755 }]));
    cliFiles.push(cliZip);
    say(`wrote ${zip} and ${cliZip}`);
  }
  const manifest = `${provider}_manifest.json`;
  writeFileSync(join(outDir, manifest), `${JSON.stringify({ version: 1, metadata: { protocol_versions: ['6.0'] } }, null, 2)}\n`);
  providerFiles.push(manifest);
  const sums = writeSums(outDir, `${provider}_SHA256SUMS`, providerFiles);
  const cliSums = writeSums(outDir, `coffer_${version}_SHA256SUMS`, cliFiles);

  const key = withSigningKey(env, (signer) => {
    signer.sign(join(outDir, sums));
    signer.sign(join(outDir, cliSums));
    writeFileSync(join(outDir, 'signing-key.asc'), signer.publicKey);
    return signer;
  });
  const facts = {
    version,
    protocols: ['6.0'],
    platforms: Object.keys(built),
    signing_key_id: key.keyId,
    throwaway_signing_key: key.throwaway,
  };
  writeFileSync(join(outDir, 'release.json'), `${JSON.stringify(facts, null, 2)}\n`);
  return { outDir, ...facts };
}

function writeSums(outDir, name, files) {
  const lines = [...files].sort().map((file) => `${sha256(readFileSync(join(outDir, file)))}  ${file}\n`);
  writeFileSync(join(outDir, name), lines.join(''));
  return name;
}

/** Runs FN with a signer on a private GnuPG home, removed afterwards (agent stopped too). */
function withSigningKey(env, fn) {
  const home = mkdtempSync(join(tmpdir(), 'coffer-gpg-'));
  chmodSync(home, 0o700);
  const gpg = (args, input) =>
    execFileSync('gpg', ['--homedir', home, '--batch', '--no-tty', ...args], { input, stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    const armored = env.COFFER_RELEASE_GPG_KEY ?? (env.COFFER_RELEASE_GPG_KEY_FILE ? readFileSync(env.COFFER_RELEASE_GPG_KEY_FILE, 'utf8') : undefined);
    const passphrase = env.COFFER_RELEASE_GPG_PASSPHRASE ?? '';
    const throwaway = armored === undefined || armored.trim() === '';
    if (throwaway) {
      say('');
      say('!!! NO SIGNING KEY (COFFER_RELEASE_GPG_KEY / COFFER_RELEASE_GPG_KEY_FILE is not set).');
      say('!!! Signing with a THROWAWAY key generated for this run: fine for a dry run and for tests,');
      say('!!! but nobody can trust it. Never publish this release.');
      say('');
      gpg(['--passphrase', '', '--quick-gen-key', 'Coffer throwaway release key (do not publish) <throwaway@coffer.invalid>', 'rsa3072', 'sign', 'never']);
    } else {
      gpg(['--import'], armored);
    }
    const colons = gpg(['--with-colons', '--list-secret-keys']).toString();
    const sec = colons.split('\n').find((line) => line.startsWith('sec:'));
    if (sec === undefined) throw new Error('the signing key holds no secret key');
    const keyId = sec.split(':')[4].toUpperCase();
    const signer = {
      keyId,
      throwaway,
      publicKey: gpg(['--armor', '--export', keyId]).toString(),
      sign: (file) => {
        gpg(['--yes', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--local-user', keyId, '--detach-sign', '--output', `${file}.sig`, file], passphrase);
        say(`signed ${basename(file)} with key ${keyId}${throwaway ? ' (THROWAWAY)' : ''}`);
      },
    };
    return fn(signer);
  } finally {
    try {
      execFileSync('gpgconf', ['--homedir', home, '--kill', 'all'], { stdio: 'ignore' });
    } catch {
      // no agent was started
    }
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const outDir = outAt === -1 ? undefined : resolve(args.splice(outAt, 2)[1]);
  const result = await release({ targets: args.length > 0 ? args : undefined, ...(outDir ? { outDir } : {}) });
  say(`release ${result.version} for ${result.platforms.join(', ')} in ${result.outDir}`);
  if (result.throwaway_signing_key) say('signed with a THROWAWAY key: do not publish');
}
