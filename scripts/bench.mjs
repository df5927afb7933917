// `npm run bench`: measures the provider as users feel it and writes docs/benchmarks.md.
//  1. exec → handshake line (the launcher script, node start, TLS cert, gRPC bind), N runs
//  2. provider memory: RSS right after the handshake, and peak RSS over a 1,000-secret apply
//  3. wall time of `tofu apply` (create), `tofu plan` (refresh, no changes) and destroy for
//     100 and 1,000 secrets on the embedded store, and 1,000 on a local OpenBao dev server
//  4. CDK synthesis of 1,000 UserSecret constructs (scripts/bench-synth.mjs)
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cofferBenchConfig } from './bench-config.mjs';
import { measureStartup, seaProviderExecutable } from './bench-startup.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const HANDSHAKE_RUNS = Number(process.env.BENCH_HANDSHAKE_RUNS ?? 30);
const SIZES = (process.env.BENCH_SIZES ?? '100,1000').split(',').map(Number);

execFileSync('bash', [path.join(root, 'scripts/setup.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
const toolsBin = execFileSync('bash', [path.join(root, 'scripts/setup-tools.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
const tofu = path.join(toolsBin, 'tofu');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-bench-'));
const cleanEnv = { PATH: process.env.PATH, HOME: process.env.HOME, CHECKPOINT_DISABLE: '1' };

/** `bao server -dev` on a free loopback port; stopped by the caller. */
async function startBao() {
  const net = await import('node:net');
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address();
      probe.close(() => resolve(p));
    });
  });
  const token = `bench-${Math.random().toString(36).slice(2)}`;
  const child = spawn(path.join(toolsBin, 'bao'), ['server', '-dev', `-dev-listen-address=127.0.0.1:${port}`, `-dev-root-token-id=${token}`], { stdio: 'ignore' });
  const address = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`${address}/v1/sys/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { address, token, stop: () => child.kill('SIGTERM') };
}

function run(args, cwd, env) {
  const started = process.hrtime.bigint();
  execFileSync(tofu, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function scenario(size, backend = { name: 'local', env: {} }) {
  const dir = fs.mkdtempSync(path.join(work, `${backend.name}-n${size}-`));
  const mirror = path.join(dir, 'mirror');
  execFileSync(process.execPath, [path.join(root, 'dist/coffer-cli.cjs'), 'provider', 'install', '--mirror', mirror], { stdio: 'ignore' });
  fs.writeFileSync(path.join(dir, 'cli.tfrc'), `provider_installation {\n  filesystem_mirror {\n    path = "${mirror}"\n    include = ["registry.opentofu.org/cofferhq/*", "registry.terraform.io/cofferhq/*"]\n  }\n}\n`);
  fs.writeFileSync(path.join(dir, 'main.tf'), cofferBenchConfig(size));
  const logPath = path.join(dir, 'tofu.log');
  const env = { ...cleanEnv, TF_CLI_CONFIG_FILE: path.join(dir, 'cli.tfrc'), COFFER_HOME: path.join(dir, 'home'), TF_VAR_token: 'bench-value',
    TF_IN_AUTOMATION: '1', TF_LOG_PROVIDER: 'debug', TF_LOG_PATH: logPath, ...backend.env };
  run(['init', '-input=false', '-no-color'], dir, env);
  fs.rmSync(logPath, { force: true });
  const apply = run(['apply', '-auto-approve', '-input=false', '-no-color'], dir, env);
  const peaks = [...fs.readFileSync(logPath, 'utf8').matchAll(/max_rss_kb=(\d+)/g)].map((m) => Number(m[1]));
  const plan = run(['plan', '-input=false', '-no-color', '-detailed-exitcode'], dir, env);
  const destroy = run(['destroy', '-auto-approve', '-input=false', '-no-color'], dir, env);
  return { size, backend: backend.name, apply, plan, destroy, peakRssKb: peaks.length ? Math.max(...peaks) : NaN };
}

const startLoad = os.loadavg();
const launcherStartup = await measureStartup(path.join(root, 'dist/dev-provider/terraform-provider-coffer'), HANDSHAKE_RUNS);
const seaStartup = await measureStartup(seaProviderExecutable(work), HANDSHAKE_RUNS);
const handshake = launcherStartup.ms;
const idleRss = launcherStartup.rssKb;
const scenarios = [];
for (const size of SIZES) {
  process.stderr.write(`[bench] ${size} secrets on the embedded store...\n`);
  scenarios.push(await scenario(size));
}

// The same on a real OpenBao dev server on loopback (the Vault backend).
const bao = await startBao();
try {
  const size = Math.max(...SIZES);
  process.stderr.write(`[bench] ${size} secrets on OpenBao...\n`);
  scenarios.push(await scenario(size, { name: 'openbao', env: { COFFER_BACKEND: 'vault', BAO_ADDR: bao.address, BAO_TOKEN: bao.token } }));
} finally {
  bao.stop();
}

process.stderr.write('[bench] CDK synthesis...\n');
const synth = JSON.parse(execFileSync(process.execPath, [path.join(root, 'scripts/bench-synth.mjs'), '--runs', '3'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop());

const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
const tofuVersion = JSON.parse(execFileSync(tofu, ['version', '-json'], { encoding: 'utf8', env: { ...cleanEnv, TF_CLI_CONFIG_FILE: '/dev/null' } })).terraform_version;
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const md = `# Benchmarks

Written by \`npm run bench\` (scripts/bench.mjs); numbers are from the last run.

- Date: ${new Date().toISOString()}
- Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}
- Node ${process.version}, OpenTofu ${tofuVersion}, embedded store on ${os.tmpdir()}
- Load average when the run started: ${startLoad.map((l) => l.toFixed(2)).join(' / ')} (1/5/15 min); other work on the machine widens the spread

## Provider start-up: exec → handshake line

${HANDSHAKE_RUNS} runs each, timed from spawn to the handshake line (→ P-256 certificate → gRPC bind on a unix
socket → line on stdout): the development launcher (\`/bin/sh\` exec → node → bundle) and the released
single executable (linux_amd64 SEA, code cache off). Goal for the release: ≤ 100 ms median.

| executable | median | p90 | min | max | RSS after handshake (median) |
|---|---|---|---|---|---|
| launcher | ${fmt(handshake.median)} ms | ${fmt(handshake.p90)} ms | ${fmt(handshake.min)} ms | ${fmt(handshake.max)} ms | ${fmt(idleRss.median / 1024)} MiB |
| single executable | ${fmt(seaStartup.ms.median)} ms | ${fmt(seaStartup.ms.p90)} ms | ${fmt(seaStartup.ms.min)} ms | ${fmt(seaStartup.ms.max)} ms | ${fmt(seaStartup.rssKb.median / 1024)} MiB |

## Provider memory

| RSS after handshake (median) | peak RSS of any provider process during the largest apply (embedded store) |
|---|---|
| ${fmt(idleRss.median / 1024)} MiB | ${fmt(Math.max(...scenarios.filter((s) => s.backend === 'local').map((s) => s.peakRssKb)) / 1024)} MiB |

## tofu wall time

\`count\` = N \`coffer_user_secret\` resources with write-only values; default parallelism (10).

| backend | secrets | apply (create) | plan (refresh, no changes) | destroy |
|---|---|---|---|---|
${scenarios.map((s) => `| ${s.backend} | ${s.size} | ${fmt(s.apply, 2)} s | ${fmt(s.plan, 2)} s | ${fmt(s.destroy, 2)} s |`).join('\n')}

## CDK synthesis

${synth.count} \`UserSecret\` constructs with the secret guard on, median of ${synth.runs} runs (goal ≤ 5 s):
construct tree ${synth.constructMs} ms + \`app.synth()\` ${synth.synthMs} ms = **${synth.totalMs} ms**
(whole node process ${synth.processMs} ms, ${synth.peakRssMb} MB RSS, cdk.tf.json ${(synth.cdkTfJsonBytes / 1024).toFixed(0)} KiB).
`;
fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
fs.writeFileSync(path.join(root, 'docs/benchmarks.md'), md);
fs.rmSync(work, { recursive: true, force: true });
process.stdout.write(md);
execFileSync(process.execPath, [path.join(root, 'scripts/bench-scale.mjs')], { stdio: ['ignore', 'inherit', 'inherit'] }); // scale, requests, server CPU, peer run
