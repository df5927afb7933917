// Re-captures the provider schemas the construct bindings are generated from:
//   schemas/coffer.json  — registry.opentofu.org/cofferhq/coffer (this repository's provider)
//   schemas/coder.json   — registry.opentofu.org/coder/coder (v2.19.0, built by setup-tools.sh)
// It runs the real `tofu init` + `tofu providers schema -json` against filesystem mirrors, so
// it works offline. The committed JSON is what `npm run gen` reads: generation needs no network.
//
//   node scripts/capture-schemas.mjs                 # both
//   node scripts/capture-schemas.mjs coffer          # one
//   node scripts/capture-schemas.mjs --out DIR       # somewhere else (to compare with the committed ones)
//   node scripts/capture-schemas.mjs --no-build      # use dist/ as built
//
// Output is normalised (sorted keys, 2-space indent, trailing newline) so a re-capture of the
// same provider versions is byte-identical.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = process.env.COFFER_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'coffer-tools');

/** Which providers to capture: name → source address (full, so it works under tofu and terraform). */
export const PROVIDERS = {
  coffer: { source: 'registry.opentofu.org/cofferhq/coffer', version: null },
  coder: {
    source: 'registry.opentofu.org/coder/coder',
    version: process.env.COFFER_CODER_PROVIDER_VERSION?.replace(/^v/, '') ?? '2.19.0',
  },
};

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    );
  }
  return value;
}

function main() {
  const argv = process.argv.slice(2);
  let outDir = path.join(root, 'schemas');
  const outAt = argv.indexOf('--out');
  if (outAt !== -1) {
    outDir = path.resolve(argv[outAt + 1]);
    argv.splice(outAt, 2);
  }
  // --no-build: use the dist/ bundle as it is (e.g. when a test run already built it).
  const noBuild = argv.includes('--no-build');
  if (noBuild) argv.splice(argv.indexOf('--no-build'), 1);
  const wanted = argv.length > 0 ? argv : Object.keys(PROVIDERS);
  for (const name of wanted)
    if (!(name in PROVIDERS)) throw new Error(`unknown provider ${name}; known: ${Object.keys(PROVIDERS).join(', ')}`);

  const toolsBin = execFileSync('bash', [path.join(root, 'scripts/setup-tools.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const tofu = path.join(toolsBin, 'tofu');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-capture-'));
  try {
    const cofferMirror = path.join(work, 'mirror');
    if (wanted.includes('coffer')) {
      if (!noBuild) execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
      execFileSync(
        process.execPath,
        [path.join(root, 'dist/coffer-cli.cjs'), 'provider', 'install', '--mirror', cofferMirror],
        { stdio: 'ignore' },
      );
    }
    const cliConfig = path.join(work, 'cli.tfrc');
    fs.writeFileSync(
      cliConfig,
      [
        'provider_installation {',
        `  filesystem_mirror {\n    path    = ${JSON.stringify(cofferMirror)}\n    include = ["registry.opentofu.org/cofferhq/*"]\n  }`,
        `  filesystem_mirror {\n    path    = ${JSON.stringify(path.join(toolsDir, 'provider-mirror'))}\n    include = ["registry.opentofu.org/coder/*"]\n  }`,
        '}',
        '',
      ].join('\n'),
    );
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TF_CLI_CONFIG_FILE: cliConfig,
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
    };

    for (const name of wanted) {
      const { source, version } = PROVIDERS[name];
      const dir = path.join(work, name);
      fs.mkdirSync(dir);
      const required = { source, ...(version ? { version } : {}) };
      fs.writeFileSync(
        path.join(dir, 'main.tf.json'),
        JSON.stringify({ terraform: { required_providers: { [name]: required } } }, null, 2),
      );
      execFileSync(tofu, ['init', '-input=false', '-no-color'], {
        cwd: dir,
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const schema = JSON.parse(
        execFileSync(tofu, ['providers', 'schema', '-json'], { cwd: dir, env, encoding: 'utf8', maxBuffer: 256 << 20 }),
      );
      const selections =
        JSON.parse(execFileSync(tofu, ['version', '-json'], { cwd: dir, env, encoding: 'utf8' })).provider_selections ??
        {};
      const providerVersion = selections[source];
      if (!schema.provider_schemas?.[source]) throw new Error(`tofu returned no schema for ${source}`);
      const out = {
        format_version: schema.format_version,
        provider_schemas: { [source]: schema.provider_schemas[source] },
        provider_versions: providerVersion ? { [source]: providerVersion } : {},
      };
      const file = path.join(outDir, `${name}.json`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${JSON.stringify(sortKeys(out), null, 2)}\n`);
      process.stderr.write(
        `[capture] ${source} ${providerVersion ?? '(no version)'} -> ${path.relative(root, file)}\n`,
      );
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
