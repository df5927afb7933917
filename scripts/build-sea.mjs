// Builds the single executable (Node SEA) for each target platform: one esbuild bundle of
// src/sea/main.ts (provider and CLI in one program), one SEA blob, injected with postject into
// the Node runtime of each target, taken from the npm platform packages pinned in
// scripts/node-runtimes.json. Offline once the runtimes are cached, and reproducible: the same
// sources and runtimes give byte-identical executables on any machine or checkout path.
//
//   node scripts/build-sea.mjs [OS_ARCH ...]      (default: every target in node-runtimes.json)
//
// Prints one line per target: "OS_ARCH PATH". Unchanged targets are not rebuilt.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const seaDir = join(root, 'dist/sea');
const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const runtimes = JSON.parse(readFileSync(join(root, 'scripts/node-runtimes.json'), 'utf8'));
const cacheDir = join(process.env.COFFER_TOOLS_DIR ?? join(homedir(), '.cache/coffer-tools'), 'node-runtimes');

const say = (message) => process.stderr.write(`[build-sea] ${message}\n`);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

export async function buildSea(targets = Object.keys(runtimes.targets)) {
  if (process.version !== `v${runtimes.version}`) {
    // The blob format is tied to the Node version: a blob from another version crashes the runtime.
    throw new Error(`the SEA blob must be made by Node ${runtimes.version} (the runtimes in scripts/node-runtimes.json); this is Node ${process.version}`);
  }
  for (const target of targets) {
    if (!runtimes.targets[target]) throw new Error(`unknown target ${target}; known: ${Object.keys(runtimes.targets).join(', ')}`);
  }
  mkdirSync(seaDir, { recursive: true });
  const blob = await buildBlob();
  const built = {};
  for (const target of targets) built[target] = await injectInto(target, blob);
  return built;
}

/** The bundle and the blob. Every path handed to Node is relative to dist/sea (the blob records the main script's path). */
async function buildBlob() {
  await build({
    absWorkingDir: root,
    entryPoints: ['src/sea/main.ts'],
    outfile: join(seaDir, 'coffer.cjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    loader: { '.proto': 'text' },
    minifySyntax: true,
    legalComments: 'eof',
    logLevel: 'warning',
  });
  // Cross-built targets cannot use a code cache or snapshot (they load only on the platform that made them).
  const config = { main: 'coffer.cjs', output: 'coffer.blob', disableExperimentalSEAWarning: true, useCodeCache: false, useSnapshot: false };
  writeFileSync(join(seaDir, 'sea-config.json'), `${JSON.stringify(config, null, 2)}\n`);
  execFileSync(process.execPath, ['--experimental-sea-config', 'sea-config.json'], { cwd: seaDir, stdio: ['ignore', 'ignore', 'inherit'] });
  const blob = readFileSync(join(seaDir, 'coffer.blob'));
  if (blob.includes(Buffer.from(root))) throw new Error(`the SEA blob contains the build path ${root}`);
  return blob;
}

/** The pinned Node executable for a target, fetched once with `npm pack` and checked against its integrity. */
function runtimeFor(target) {
  const { package: name, integrity } = runtimes.targets[target];
  const dir = join(cacheDir, `${name}-${runtimes.version}`);
  const node = join(dir, 'node');
  if (existsSync(node) && readFileSync(join(dir, 'integrity'), 'utf8') === integrity) return node;
  say(`fetching ${name}@${runtimes.version} from the npm registry`);
  const work = mkdtempSync(join(tmpdir(), 'coffer-runtime-'));
  try {
    execFileSync('npm', ['pack', `${name}@${runtimes.version}`, '--pack-destination', work, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = join(work, `${name}-${runtimes.version}.tgz`);
    const actual = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (actual !== integrity) throw new Error(`${name}@${runtimes.version}: integrity ${actual} does not match the pinned ${integrity}`);
    execFileSync('tar', ['-xzf', tarball, '-C', work, 'package/bin/node']);
    mkdirSync(dir, { recursive: true });
    renameSync(join(work, 'package/bin/node'), `${node}.tmp`);
    renameSync(`${node}.tmp`, node);
    writeFileSync(join(dir, 'integrity'), integrity);
    return node;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function injectInto(target, blob) {
  const runtime = runtimeFor(target);
  const outDir = join(seaDir, target);
  const exe = join(outDir, 'coffer');
  const stampFile = join(outDir, 'stamp');
  const stamp = `${sha256(blob)} ${runtimes.targets[target].integrity}\n`;
  if (existsSync(exe) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return exe;
  mkdirSync(outDir, { recursive: true });
  const work = `${exe}.tmp`;
  copyFileSync(runtime, work);
  chmodSync(work, 0o755);
  const { inject } = await import('postject');
  await inject(work, 'NODE_SEA_BLOB', blob, { sentinelFuse: SENTINEL_FUSE, overwrite: true });
  // Injection flips the fuse from :0 to :1; without it the runtime would ignore the blob.
  if (!readFileSync(work).includes(Buffer.from(`${SENTINEL_FUSE}:1`))) throw new Error(`${target}: the SEA fuse was not flipped`);
  renameSync(work, exe);
  writeFileSync(stampFile, stamp);
  say(`built ${target} (${(readFileSync(exe).length / 2 ** 20).toFixed(1)} MiB)`);
  return exe;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await buildSea(process.argv.length > 2 ? process.argv.slice(2) : undefined);
  for (const [target, exe] of Object.entries(built)) process.stdout.write(`${target} ${exe}\n`);
}
