/**
 * The npm package as a user gets it: `npm pack`, installed into a new project outside the
 * repository, compiled with plain `tsc` and run with `node` (no bundler, no path into src/),
 * synthesizing a small Coder template with the project's own cdktf.json, then `tofu apply`
 * offline with the provider from the release zips.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { availableEngines } from './support/engines';
import { runProcess, type ProcessResult } from './support/process';
import { RELEASE_BUILD_TIMEOUT_MS, repoRoot, testRelease, VERSION } from '../support/release';

const tofu = availableEngines()[0]!;
let root: string;
let tarball: string;
let release: string;

beforeAll(() => {
  release = testRelease();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-npm-package-'));
  const packed = execFileSync('npm', ['pack', '--pack-destination', root, '--silent'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  tarball = path.join(root, packed.trim().split('\n').pop() as string);
}, RELEASE_BUILD_TIMEOUT_MS);

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

async function ok(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<ProcessResult> {
  const result = await runProcess(file, args, { cwd, env });
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

test('the tarball holds compiled JS, types, the CLI and the licence; no sources, tests, CI files or maps', () => {
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
  expect(files).toEqual(expect.arrayContaining(['LICENSE', 'package.json', 'dist/coffer-cli.cjs', 'lib/package/index.js', 'lib/package/index.d.ts']));
  expect(files).toContain('lib/constructs/.gen/providers/coder/agent/index.js');
  expect(files.filter((f) => /^(src|test|scripts|\.github|examples)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })) as Record<string, unknown>;
  expect(manifest.private).toBeUndefined();
  expect(Object.keys(manifest.exports as object)).toEqual(expect.arrayContaining(['.', './constructs', './client', './lint']));
  expect(manifest.peerDependencies).toMatchObject({ cdktn: expect.any(String), constructs: expect.any(String) });
  // No path of the machine that packed it.
  const unpacked = path.join(root, 'unpacked');
  fs.mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
  expect(execFileSync('sh', ['-c', `grep -rl -- "${repoRoot}" . || true`], { cwd: unpacked, encoding: 'utf8' })).toBe('');
});

test('a new project installs it, compiles with tsc, synthesizes with its own cdktf.json and applies offline', async () => {
  const project = path.join(root, 'my-template');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'my-template', private: true, version: '1.0.0' }, null, 2));
  // Installed the way users do (from the npm cache when it has them).
  await ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, 'cdktn@0.24.0', 'constructs@10.7.2', 'typescript@5.9.3', '@types/node@20'], project);
  fs.writeFileSync(
    path.join(project, 'cdktf.json'),
    JSON.stringify({ language: 'typescript', app: 'node main.js', targetVersions: { terraform: '>=1.11.0', opentofu: '>=1.11.0' }, context: {} }, null, 2),
  );
  fs.writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, types: ['node'], skipLibCheck: false } }, null, 2),
  );
  fs.writeFileSync(
    path.join(project, 'main.ts'),
    `import { LocalBackend, TerraformStack } from 'cdktn';
import type { Construct } from 'constructs';
import { coder, coffer, enableSecretGuard, projectApp, SecretValue, UserSecret } from '@cofferhq/coffer';
import { checkName } from '@cofferhq/coffer/client';
import { lintPaths } from '@cofferhq/coffer/lint';

class Template extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new LocalBackend(this, { path: 'terraform.tfstate' });
    new coder.provider.CoderProvider(this, 'coder', {});
    new coffer.provider.CofferProvider(this, 'coffer', {});
    new coder.agent.Agent(this, 'main', { arch: 'amd64', os: 'linux' });
    new UserSecret(this, 'npm', {
      name: 'npm-token',
      value: SecretValue.variable(this, 'npm_token', { description: 'TF_VAR_npm_token' }),
      envName: 'NPM_TOKEN',
    });
  }
}

if (checkName('npm-token') !== undefined || typeof lintPaths !== 'function') throw new Error('client/lint entry points broken');
const app = projectApp();
enableSecretGuard(app);
new Template(app, 'template');
app.synth();
`,
  );
  await ok(process.execPath, [path.join(project, 'node_modules/typescript/bin/tsc'), '-p', '.'], project);
  // cdktn's App would refuse write-only values without the project's targetVersions: the synth proves they were read.
  const { CDKTF_CONTEXT_JSON: _context, CDKTF_OUTDIR: _outdir, ...plainEnv } = process.env;
  await ok(process.execPath, ['main.js'], project, plainEnv);
  const stack = path.join(project, 'cdktf.out/stacks/template');
  const synthesized = fs.readFileSync(path.join(stack, 'cdk.tf.json'), 'utf8');
  expect(synthesized).toContain('"value_wo"');

  // The package's coffer bin installs the provider from the release zips; coder comes from the tools mirror.
  const mirror = path.join(root, 'mirror');
  const coffer = path.join(project, 'node_modules/.bin/coffer');
  expect((await ok(coffer, ['version'], project)).stdout).toBe(`coffer ${VERSION}\n`);
  await ok(coffer, ['provider', 'install', '--from', release, '--mirror', mirror], project);
  const toolsMirror = path.join(path.dirname(process.env.COFFER_E2E_TOOLS_BIN as string), 'provider-mirror');
  const cliConfig = path.join(root, 'cli.tfrc');
  fs.writeFileSync(
    cliConfig,
    `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["registry.opentofu.org/cofferhq/*"]\n  }\n  filesystem_mirror {\n    path    = "${toolsMirror}"\n    include = ["registry.opentofu.org/coder/*"]\n  }\n}\n`,
  );
  const env = {
    PATH: '/usr/bin:/bin',
    HOME: path.join(root, 'home'),
    TF_CLI_CONFIG_FILE: cliConfig,
    CHECKPOINT_DISABLE: '1',
    COFFER_HOME: path.join(root, 'coffer-home'),
    TF_VAR_npm_token: 'npm_package_test_value',
  };
  await ok(tofu.binary, ['init', '-input=false', '-no-color'], stack, env);
  const applied = await ok(tofu.binary, ['apply', '-auto-approve', '-input=false', '-no-color'], stack, env);
  expect(applied.stdout).toMatch(/Apply complete! Resources: 2 added/);
  expect(fs.readFileSync(path.join(stack, 'terraform.tfstate'), 'utf8')).not.toContain('npm_package_test_value');
});
