/**
 * `npm run gen` is reproducible: generating from the committed schemas into a temp dir gives
 * byte-identical bindings (and lint table) to the committed ones.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');

function tree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(dir, full), fs.readFileSync(full));
    }
  };
  walk(dir);
  return files;
}

describe('npm run gen', () => {
  let out: string;
  beforeAll(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-gen-test-'));
    execFileSync(
      process.execPath,
      [
        path.join(root, 'scripts/gen-bindings.mjs'),
        '--out',
        path.join(out, 'gen'),
        '--lint-out',
        path.join(out, 'sensitive-attributes.generated.ts'),
      ],
      {
        stdio: 'pipe',
        env: { ...process.env, CHECKPOINT_DISABLE: '1' },
      },
    );
  }, 60000);
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  test('regenerates byte-identical bindings from the committed schemas', () => {
    const committed = tree(path.join(root, 'src/constructs/.gen'));
    const fresh = tree(path.join(out, 'gen'));
    expect([...fresh.keys()].sort()).toEqual([...committed.keys()].sort());
    const different = [...fresh.keys()].filter((k) => !fresh.get(k)?.equals(committed.get(k) as Buffer));
    expect(different).toEqual([]);
  });

  test('regenerates the identical lint table', () => {
    expect(fs.readFileSync(path.join(out, 'sensitive-attributes.generated.ts'), 'utf8')).toBe(
      fs.readFileSync(path.join(root, 'src/lint/sensitive-attributes.generated.ts'), 'utf8'),
    );
  });

  test('bindings cover both providers, with ephemeral resources as ephemeral blocks', () => {
    const committed = tree(path.join(root, 'src/constructs/.gen'));
    expect(committed.has('providers/coder/agent/index.ts')).toBe(true);
    expect(committed.has('providers/coffer/user-secret/index.ts')).toBe(true);
    const dynamic = committed.get('providers/coffer/ephemeral-coffer-dynamic-secret/index.ts')?.toString('utf8') ?? '';
    expect(dynamic).toContain('extends cdktn.TerraformEphemeralResource');
    const userSecret = committed.get('providers/coffer/user-secret/index.ts')?.toString('utf8') ?? '';
    expect(userSecret).toContain('this.markWriteOnlyAttribute(');
    const provider = committed.get('providers/coffer/provider/index.ts')?.toString('utf8') ?? '';
    // The short source: each engine resolves it against its own registry host (tofu and terraform).
    expect(provider).toContain("terraformProviderSource: 'cofferhq/coffer'");
    expect(committed.get('providers/coder/provider/index.ts')?.toString('utf8')).toContain("terraformProviderSource: 'coder/coder'");
    expect(provider).toContain("providerVersionConstraint: '>= 0.1.0'");
  });

  test("schemas are the real providers' `providers schema -json` output", () => {
    for (const [file, source] of [
      ['schemas/coffer.json', 'registry.opentofu.org/cofferhq/coffer'],
      ['schemas/coder.json', 'registry.opentofu.org/coder/coder'],
    ] as const) {
      const schema = JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
      expect(schema.format_version).toBe('1.0');
      expect(Object.keys(schema.provider_schemas)).toEqual([source]);
      expect(schema.provider_versions[source]).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });
});
