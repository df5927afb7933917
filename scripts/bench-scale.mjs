// `node scripts/bench-scale.mjs` (also run at the end of `npm run bench`): how tofu apply / plan /
// destroy scale with the number of secrets, and what they cost the server.
//  1. scale: N = BENCH_SCALE_SIZES (default 100,1000,5000) `coffer_user_secret` resources on the
//     embedded store and on a local OpenBao dev server; wall time, time per secret, peak provider RSS;
//  2. for OpenBao: HTTP requests per phase, counted by a loopback proxy in front of the server,
//     and the server's CPU-seconds per phase (utime + stime from /proc/<pid>/stat);
//  3. side by side: when COFFER_BENCH_PEER_VAULT names a terraform-provider-vault binary (built by
//     hand, outside this repository), the same 1,000-secret apply / plan / destroy with
//     `vault_kv_secret_v2` (`data_json_wo`, `delete_all_versions = true`) on the same OpenBao,
//     interleaved with Coffer for BENCH_PEER_ROUNDS (default 3) rounds; medians and ratios.
// Writes the section between the `bench-scale` markers of docs/benchmarks.md (or appends it).
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cofferBenchConfig } from './bench-config.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const SIZES = (process.env.BENCH_SCALE_SIZES ?? '100,1000,5000').split(',').map(Number);
const BACKENDS = (process.env.BENCH_SCALE_BACKENDS ?? 'local,openbao').split(',');
const PEER = process.env.COFFER_BENCH_PEER_VAULT ?? '';
const PEER_ROUNDS = Number(process.env.BENCH_PEER_ROUNDS ?? 3);
const PEER_SIZE = Number(process.env.BENCH_PEER_SIZE ?? 1000);
const CLK_TCK = Number(process.env.BENCH_CLK_TCK ?? 100);

const toolsBin = process.env.COFFER_TOOLS_BIN ?? path.join(os.homedir(), '.cache', 'coffer-tools', 'bin');
const tofu = path.join(toolsBin, 'tofu');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-bench-scale-'));
const cleanEnv = { PATH: process.env.PATH, HOME: process.env.HOME, CHECKPOINT_DISABLE: '1', ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}) };
const log = (line) => process.stderr.write(`[bench-scale] ${line}\n`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** `bao server -dev` on a free loopback port, and a counting proxy in front of it. */
async function startBao() {
  const net = await import('node:net');
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address();
      probe.close(() => resolve(p));
    });
  });
  const token = `bench-${Math.random().toString(36).slice(2)}`;
  const child = spawn(path.join(toolsBin, 'bao'), ['server', '-dev', `-dev-listen-address=127.0.0.1:${port}`, `-dev-root-token-id=${token}`], {
    stdio: 'ignore',
    env: { PATH: process.env.PATH, HOME: work },
  });
  const upstream = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${upstream}/v1/sys/health`)).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const counts = { requests: 0, bytesIn: 0, bytesOut: 0 };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const proxy = http.createServer((req, res) => {
    counts.requests += 1;
    const forward = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.on('data', (c) => (counts.bytesOut += c.length));
      answer.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    req.on('data', (c) => (counts.bytesIn += c.length));
    req.pipe(forward);
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = `http://127.0.0.1:${proxy.address().port}`;
  const cpuSeconds = () => {
    const fields = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15)
  };
  return {
    address,
    token,
    counts,
    cpuSeconds,
    stop: () => {
      proxy.closeAllConnections();
      proxy.close();
      agent.destroy();
      child.kill('SIGTERM');
    },
  };
}

/** Runs tofu without blocking this process's event loop (the counting proxy lives in it). */
async function timed(args, cwd, env) {
  const started = process.hrtime.bigint();
  const child = spawn(tofu, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
  // Peak RSS (VmHWM) of the provider processes tofu starts, sampled from /proc while it runs:
  // no debug logging needed (logging itself would cost memory).
  const peaks = new Map();
  const sample = () => {
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        if (Number(/PPid:\s+(\d+)/.exec(status)?.[1]) !== child.pid) continue;
        if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('provider')) continue;
        peaks.set(pid, Math.max(peaks.get(pid) ?? 0, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)));
      } catch {
        // gone meanwhile
      }
    }
  };
  const sampler = setInterval(sample, 100);
  const code = await new Promise((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  timed.peakRssKb = Math.max(0, ...peaks.values());
  // `plan -detailed-exitcode` exits 2 when there are changes: a failure here (none expected).
  if (code !== 0) throw new Error(`tofu ${args[0]} exited ${code}: ${stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const peerTf = (size, bao, prefix) => `terraform {
  required_providers {
    vault = { source = "hashicorp/vault" }
  }
}
provider "vault" {
  address          = "${bao.address}"
  skip_child_token = true
}
variable "token" {
  type      = string
  sensitive = true
  ephemeral = true
}
resource "vault_kv_secret_v2" "s" {
  count                = ${size}
  mount                = "secret"
  name                 = "${prefix}/bench-\${count.index}"
  data_json_wo         = jsonencode({ value = "\${var.token}-\${count.index}" })
  data_json_wo_version = 1
  delete_all_versions  = true
}
`;

let mirror;
function cofferMirror() {
  if (mirror !== undefined) return mirror;
  mirror = path.join(work, 'mirror');
  execFileSync(process.execPath, [path.join(root, 'dist/coffer-cli.cjs'), 'provider', 'install', '--mirror', mirror], { stdio: 'ignore' });
  return mirror;
}

/** apply / plan / destroy of `size` secrets; `kind` is local, openbao or peer. */
async function scenario(kind, size, bao, round = 0) {
  const dir = fs.mkdtempSync(path.join(work, `${kind}-n${size}-r${round}-`));
  const env = { ...cleanEnv, TF_IN_AUTOMATION: '1', TF_VAR_token: 'bench-value', TF_CLI_CONFIG_FILE: path.join(dir, 'cli.tfrc') };
  if (kind === 'peer') {
    fs.writeFileSync(env.TF_CLI_CONFIG_FILE, `provider_installation {\n  dev_overrides {\n    "hashicorp/vault" = "${path.dirname(PEER)}"\n  }\n  direct {}\n}\n`);
    fs.writeFileSync(path.join(dir, 'main.tf'), peerTf(size, bao, `peer-r${round}-n${size}`));
    Object.assign(env, { VAULT_TOKEN: bao.token });
  } else {
    fs.writeFileSync(env.TF_CLI_CONFIG_FILE, `provider_installation {\n  filesystem_mirror {\n    path = "${cofferMirror()}"\n    include = ["registry.opentofu.org/cofferhq/*", "registry.terraform.io/cofferhq/*"]\n  }\n}\n`);
    fs.writeFileSync(path.join(dir, 'main.tf'), cofferBenchConfig(size));
    Object.assign(env, { COFFER_HOME: path.join(dir, 'home') });
    if (kind === 'openbao') {
      Object.assign(env, { COFFER_BACKEND: 'vault', BAO_ADDR: bao.address, BAO_TOKEN: bao.token, COFFER_VAULT_PATH_PREFIX: `coffer/r${round}-n${size}` });
    }
    await timed(['init', '-input=false', '-no-color'], dir, env);
  }
  const out = { kind, size, round };
  for (const [phase, args] of [
    ['apply', ['apply', '-auto-approve', '-input=false', '-no-color']],
    ['plan', ['plan', '-input=false', '-no-color', '-detailed-exitcode']],
    ['destroy', ['destroy', '-auto-approve', '-input=false', '-no-color']],
  ]) {
    const before = bao === undefined ? undefined : { requests: bao.counts.requests, bytes: bao.counts.bytesIn + bao.counts.bytesOut, cpu: bao.cpuSeconds() };
    out[phase] = { seconds: await timed(args, dir, env) };
    if (before !== undefined) {
      out[phase].requests = bao.counts.requests - before.requests;
      out[phase].bytes = bao.counts.bytesIn + bao.counts.bytesOut - before.bytes;
      out[phase].baoCpu = bao.cpuSeconds() - before.cpu;
    }
    if (phase === 'apply') out.peakRssMiB = timed.peakRssKb > 0 ? timed.peakRssKb / 1024 : NaN;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  log(`${kind} n=${size}${round ? ` round ${round}` : ''}: apply ${out.apply.seconds.toFixed(2)} s, plan ${out.plan.seconds.toFixed(2)} s, destroy ${out.destroy.seconds.toFixed(2)} s`);
  return out;
}

const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
// BENCH_SCALE_FROM=<json written by an earlier run>: render that run again without measuring.
const replay = process.env.BENCH_SCALE_FROM ? JSON.parse(fs.readFileSync(process.env.BENCH_SCALE_FROM, 'utf8')) : undefined;
const startLoad = replay?.startLoad ?? os.loadavg();
const startedAt = replay?.startedAt ?? new Date().toISOString();
const rows = replay?.rows ?? [];
const peerRows = replay?.peerRows ?? [];
if (replay === undefined) {
  const bao = await startBao();
  try {
    for (const size of SIZES) for (const kind of BACKENDS) rows.push(await scenario(kind, size, kind === 'openbao' ? bao : undefined));
    if (PEER !== '') {
      for (let round = 1; round <= PEER_ROUNDS; round++) {
        // A/B then B/A: neither side always runs on a warmer server.
        const order = round % 2 ? ['openbao', 'peer'] : ['peer', 'openbao'];
        for (const kind of order) peerRows.push(await scenario(kind, PEER_SIZE, bao, round));
      }
    }
  } finally {
    bao.stop();
  }
}
const peerRun = peerRows.length > 0;

const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
const tofuVersion = JSON.parse(execFileSync(tofu, ['version', '-json'], { encoding: 'utf8', env: { ...cleanEnv, TF_CLI_CONFIG_FILE: '/dev/null' } })).terraform_version;
const baoVersion = execFileSync(path.join(toolsBin, 'bao'), ['version'], { encoding: 'utf8' }).trim().split('\n')[0];
const perSecret = (r, phase) => (1000 * r[phase].seconds) / r.size;
const perOp = (r, phase) => (r[phase].requests === undefined ? 'n/a' : fmt(r[phase].requests / r.size, 2));
let section = `<!-- bench-scale:start -->
## Scale and server cost (scripts/bench-scale.mjs)

- Date: ${startedAt}; ${cpu}, ${os.cpus().length} cores; OpenTofu ${tofuVersion}; ${baoVersion} (dev server, in-memory)
- Load average when the run started: ${startLoad.map((l) => l.toFixed(2)).join(' / ')} (1/5/15 min)
- Requests counted by a loopback proxy in front of OpenBao (every HTTP request of the phase, provider start-up included);
  OpenBao CPU = utime + stime of the server process during the phase. Parallelism 10 (tofu's default).

| backend | secrets | apply | ms/secret | plan | ms/secret | destroy | ms/secret | requests/secret apply · plan · destroy | OpenBao CPU-s apply · plan · destroy | peak provider RSS (apply) |
|---|---|---|---|---|---|---|---|---|---|---|
${rows
  .map(
    (r) =>
      `| ${r.kind} | ${r.size} | ${fmt(r.apply.seconds)} s | ${fmt(perSecret(r, 'apply'), 1)} | ${fmt(r.plan.seconds)} s | ${fmt(perSecret(r, 'plan'), 1)} | ${fmt(r.destroy.seconds)} s | ${fmt(perSecret(r, 'destroy'), 1)} | ${r.kind === 'openbao' ? `${perOp(r, 'apply')} · ${perOp(r, 'plan')} · ${perOp(r, 'destroy')}` : '—'} | ${r.kind === 'openbao' ? `${fmt(r.apply.baoCpu, 1)} · ${fmt(r.plan.baoCpu, 1)} · ${fmt(r.destroy.baoCpu, 1)}` : '—'} | ${fmt(r.peakRssMiB, 1)} MiB |`,
  )
  .join('\n')}
`;
if (peerRun) {
  const side = (kind) => peerRows.filter((r) => r.kind === kind);
  const stat = (kind, phase, key) => median(side(kind).map((r) => r[phase][key]));
  section += `
### Side by side with terraform-provider-vault (${peerRows[0].size} secrets, ${peerRows.length / 2} interleaved rounds, medians)

Peer: \`vault_kv_secret_v2\` with \`data_json_wo\` and \`delete_all_versions = true\`, \`skip_child_token = true\`,
binary built by hand outside this repository. Same OpenBao server, same tofu.

| phase | Coffer | terraform-provider-vault | ratio | requests Coffer / peer | OpenBao CPU-s Coffer / peer | peak provider RSS Coffer / peer |
|---|---|---|---|---|---|---|
${['apply', 'plan', 'destroy']
  .map(
    (phase) =>
      `| ${phase} | ${fmt(stat('openbao', phase, 'seconds'))} s | ${fmt(stat('peer', phase, 'seconds'))} s | ${fmt(stat('openbao', phase, 'seconds') / stat('peer', phase, 'seconds'))}× | ${stat('openbao', phase, 'requests')} / ${stat('peer', phase, 'requests')} | ${fmt(stat('openbao', phase, 'baoCpu'), 1)} / ${fmt(stat('peer', phase, 'baoCpu'), 1)} | ${phase === 'apply' ? `${fmt(median(side('openbao').map((r) => r.peakRssMiB)), 1)} / ${fmt(median(side('peer').map((r) => r.peakRssMiB)), 1)} MiB` : ''} |`,
  )
  .join('\n')}
`;
} else {
  section += `
(No side-by-side run: set COFFER_BENCH_PEER_VAULT to a terraform-provider-vault binary to add one.)
`;
}
section += `
Where the time goes: a Vault create is 3 requests (env-name claim with \`cas=0\`, data write with \`cas=0\`,
value-free metadata mirror), a delete 3 (metadata read, delete, claim release); nothing is shared between
secrets, so parallel writers never lose a check-and-set race and no request grows with N. Destroy is slower
than apply for both providers because \`tofu destroy\` refreshes and plans every resource before deleting it:
in a traced \`tofu plan -destroy\` of 1,000 embedded secrets (13.7 s) the provider's own RPC handling summed
to under 1 s, and the embedded store deletes 1,000 secrets in about 2 s in-process (10 concurrent writers).
`;
section += '<!-- bench-scale:end -->\n';

const doc = path.join(root, 'docs/benchmarks.md');
const current = fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : '# Benchmarks\n';
const marked = /<!-- bench-scale:start -->[\s\S]*<!-- bench-scale:end -->\n?/;
fs.writeFileSync(doc, marked.test(current) ? current.replace(marked, section) : `${current.trimEnd()}\n\n${section}`);
if (replay === undefined) {
  const saved = path.join(os.tmpdir(), `coffer-bench-scale-${process.pid}.json`);
  fs.writeFileSync(saved, JSON.stringify({ startedAt, startLoad, rows, peerRows }, null, 2));
  log(`raw figures: ${saved} (render again with BENCH_SCALE_FROM=${saved})`);
}
fs.rmSync(work, { recursive: true, force: true });
process.stdout.write(section);
