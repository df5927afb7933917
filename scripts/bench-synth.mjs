// Measures synthesis of N `UserSecret`s (default 1,000) with the secret guard on: building the
// construct tree, then `app.synth()` to disk (aspects, validations including the guard, JSON).
// Goal: ≤ 5 s for 1,000. Prints one JSON line; `--write-docs` also updates the figure in
// docs/constructs.md (between the bench-synth markers).
//
//   node scripts/bench-synth.mjs [--count N] [--runs R] [--write-docs]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = { count: 1000, runs: 3, writeDocs: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--count') args.count = Number(argv[++i]);
  else if (argv[i] === '--runs') args.runs = Number(argv[++i]);
  else if (argv[i] === '--write-docs') args.writeDocs = true;
  else throw new Error(`unknown argument ${argv[i]}`);
}

const entry = `
import { App, TerraformStack } from 'cdktn';
import { coffer, enableSecretGuard, SecretValue, UserSecret } from './src/constructs';
const count = Number(process.env.BENCH_COUNT);
const outdir = process.env.BENCH_OUTDIR as string;
const t0 = process.hrtime.bigint();
const app = new App({ outdir, context: { targetVersions: { terraform: '>=1.11.0', opentofu: '>=1.11.0' } } });
const stack = new TerraformStack(app, 'bench');
new coffer.provider.CofferProvider(stack, 'coffer', {});
enableSecretGuard(app);
const value = SecretValue.variable(stack, 'token');
for (let i = 0; i < count; i++) {
  new UserSecret(stack, 's' + i, { name: 'secret-' + i, value, envName: 'SECRET_' + i, filePath: '~/.secrets/' + i, description: 'bench ' + i });
}
const t1 = process.hrtime.bigint();
app.synth();
const t2 = process.hrtime.bigint();
process.stdout.write(JSON.stringify({ constructMs: Number(t1 - t0) / 1e6, synthMs: Number(t2 - t1) / 1e6, peakRssMb: process.memoryUsage().rss / 2 ** 20 }));
`;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-bench-synth-'));
try {
  const bundle = path.join(work, 'bench.cjs');
  require('esbuild').buildSync({
    stdin: { contents: entry, resolveDir: root, loader: 'ts', sourcefile: 'bench.ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: bundle,
    logLevel: 'error',
  });
  const samples = [];
  for (let r = 0; r < args.runs; r++) {
    const outdir = path.join(work, `out-${r}`);
    const started = process.hrtime.bigint();
    const out = execFileSync(process.execPath, [bundle], {
      encoding: 'utf8',
      env: { ...process.env, CHECKPOINT_DISABLE: '1', BENCH_COUNT: String(args.count), BENCH_OUTDIR: outdir },
    });
    const processMs = Number(process.hrtime.bigint() - started) / 1e6;
    const inner = JSON.parse(out);
    const json = fs.readFileSync(path.join(outdir, 'stacks/bench/cdk.tf.json'), 'utf8');
    const resources = Object.keys(JSON.parse(json).resource.coffer_user_secret).length;
    if (resources !== args.count) throw new Error(`expected ${args.count} resources, got ${resources}`);
    samples.push({ ...inner, totalMs: inner.constructMs + inner.synthMs, processMs, bytes: Buffer.byteLength(json) });
  }
  const median = (key) => [...samples.map((s) => s[key])].sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  const result = {
    count: args.count,
    runs: args.runs,
    constructMs: Math.round(median('constructMs')),
    synthMs: Math.round(median('synthMs')),
    totalMs: Math.round(median('totalMs')),
    processMs: Math.round(median('processMs')),
    peakRssMb: Math.round(median('peakRssMb')),
    cdkTfJsonBytes: samples[0].bytes,
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    date: new Date().toISOString().slice(0, 10),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.stderr.write(
    `[bench-synth] ${args.count} UserSecret: construct ${result.constructMs} ms + synth ${result.synthMs} ms = ${result.totalMs} ms (node process ${result.processMs} ms, RSS ${result.peakRssMb} MB), median of ${args.runs}\n`,
  );
  if (args.writeDocs) {
    const docs = path.join(root, 'docs/constructs.md');
    const text = fs.readFileSync(docs, 'utf8');
    const table = [
      '<!-- bench-synth:start -->',
      `Synthesis of ${args.count.toLocaleString('en')} \`UserSecret\`s with the guard on (\`node scripts/bench-synth.mjs\`, median of ${args.runs} runs, ${result.date}, Node ${result.node}, ${result.cpus} × ${result.cpu}):`,
      '',
      '| step | time |',
      '|---|---|',
      `| build the construct tree | ${result.constructMs} ms |`,
      `| \`app.synth()\` (aspects, validations incl. the guard, cdk.tf.json of ${(result.cdkTfJsonBytes / 1024).toFixed(0)} KiB) | ${result.synthMs} ms |`,
      `| **total** (goal ≤ 5,000 ms) | **${result.totalMs} ms** |`,
      `| whole process incl. Node start and module load | ${result.processMs} ms (RSS ${result.peakRssMb} MB) |`,
      '<!-- bench-synth:end -->',
    ].join('\n');
    fs.writeFileSync(docs, text.replace(/<!-- bench-synth:start -->[\s\S]*<!-- bench-synth:end -->/, table));
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
