// Provider start-up as tofu sees it: exec → handshake line on stdout, and RSS right after, for
// the development launcher (sh → node → bundle) and the single executable (linux_amd64 SEA).
// Used by scripts/bench.mjs; standalone it prints JSON:
//
//   node scripts/bench-startup.mjs [--runs N]
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

export function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p90: at(0.9), min: sorted[0], max: sorted[sorted.length - 1] };
}

function clientCertPem(dir) {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1'], { stdio: 'ignore' });
  return fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
}

function rssKb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

async function handshakeOnce(executable, certPem) {
  const started = process.hrtime.bigint();
  const child = spawn(executable, [], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TF_PLUGIN_MAGIC_COOKIE: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2',
      PLUGIN_PROTOCOL_VERSIONS: '5,6', PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '25000', PLUGIN_CLIENT_CERT: certPem,
      COFFER_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const line = await new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      if (buffered.includes('\n')) resolve(buffered.split('\n')[0]);
    });
    child.on('exit', (code) => reject(new Error(`provider exited ${code} before the handshake`)));
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!/^1\|6\|unix\|/.test(line)) throw new Error(`unexpected handshake line: ${line}`);
  await new Promise((r) => setTimeout(r, 50));
  const rss = rssKb(child.pid);
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  return { ms, rss };
}

/** RUNS measured start-ups of EXECUTABLE (after one to warm the page cache): time and RSS stats. */
export async function measureStartup(executable, runs) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-bench-startup-'));
  try {
    const certPem = clientCertPem(work);
    await handshakeOnce(executable, certPem);
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push(await handshakeOnce(executable, certPem));
    return { ms: stats(samples.map((s) => s.ms)), rssKb: stats(samples.map((s) => s.rss)) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The single executable for this machine, named as tofu starts it (so it runs as the provider). */
export function seaProviderExecutable(dir) {
  execFileSync(process.execPath, [path.join(root, 'scripts/build-sea.mjs'), 'linux_amd64'], { stdio: ['ignore', 'ignore', 'ignore'] });
  const exe = path.join(dir, 'terraform-provider-coffer_v0.0.0');
  fs.copyFileSync(path.join(root, 'dist/sea/linux_amd64/coffer'), exe);
  fs.chmodSync(exe, 0o755);
  return exe;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--runs');
  const runs = at === -1 ? 30 : Number(process.argv[at + 1]);
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'ignore' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-sea-bench-'));
  try {
    const launcher = await measureStartup(path.join(root, 'dist/dev-provider/terraform-provider-coffer'), runs);
    const sea = await measureStartup(seaProviderExecutable(dir), runs);
    process.stdout.write(`${JSON.stringify({ runs, load: os.loadavg(), launcher, sea })}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
