// Synthesizes a CDK Terrain app written in TypeScript, the way `cdktn synth` would, without the
// cdktn CLI (which wants Node 22) and without ts-node: esbuild bundles the app, and the app runs
// with the context from cdktf.json (targetVersions + context) and the output directory in the
// environment variables cdktn's App reads (CDKTF_CONTEXT_JSON, CDKTF_OUTDIR).
//
//   node examples/coder-template/synth.mjs [--app FILE.ts] [--out DIR] [--context KEY=JSON]...
//
// Defaults: --app examples/coder-template/main.ts, --out cdktf.out. Prints the stack directories.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const require = createRequire(import.meta.url);

// Run by the cdktn CLI (cdktf.json "app"), CDKTF_OUTDIR and CDKTF_CONTEXT_JSON are already set.
const args = { app: path.join(here, 'main.ts'), out: path.resolve(process.env.CDKTF_OUTDIR ?? 'cdktf.out'), context: {} };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--app') args.app = path.resolve(argv[++i]);
  else if (a === '--out') args.out = path.resolve(argv[++i]);
  else if (a === '--context') {
    const [key, ...rest] = argv[++i].split('=');
    args.context[key] = JSON.parse(rest.join('='));
  } else {
    process.stderr.write(`usage: synth.mjs [--app FILE.ts] [--out DIR] [--context KEY=JSON]...\n`);
    process.exit(2);
  }
}

const config = JSON.parse(fs.readFileSync(path.join(root, 'cdktf.json'), 'utf8'));
const inherited = process.env.CDKTF_CONTEXT_JSON ? JSON.parse(process.env.CDKTF_CONTEXT_JSON) : {};
const context = {
  ...(config.context ?? {}),
  ...(config.targetVersions ? { targetVersions: config.targetVersions } : {}),
  ...inherited,
  ...args.context,
};

const { buildSync } = require('esbuild');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-synth-'));
let failed = 0;
try {
  const bundle = path.join(work, 'app.cjs');
  buildSync({
    entryPoints: [args.app],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: bundle,
    logLevel: 'error',
    absWorkingDir: root,
  });
  fs.rmSync(args.out, { recursive: true, force: true });
  fs.mkdirSync(args.out, { recursive: true });
  try {
    execFileSync(process.execPath, [bundle], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        CDKTF_CONTEXT_JSON: JSON.stringify(context),
        CDKTF_OUTDIR: args.out,
        CHECKPOINT_DISABLE: '1',
      },
    });
  } catch (error) {
    // The app printed its own error (e.g. the secret guard's findings).
    process.stderr.write(`synth: ${path.relative(process.cwd(), args.app)} failed\n`);
    failed = error.status ?? 1;
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
if (failed) process.exit(failed);
const manifest = JSON.parse(fs.readFileSync(path.join(args.out, 'manifest.json'), 'utf8'));
for (const stack of Object.values(manifest.stacks))
  process.stdout.write(`${path.join(args.out, stack.workingDirectory)}\n`);
