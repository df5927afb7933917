/**
 * The guard's rules against a corpus of leaky templates (test/fixtures/leaky, each declaring the
 * rules it must trip) and against the examples, which must pass clean.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lintPaths, type RuleId } from '../../src/lint';

const root = path.resolve(__dirname, '../..');
const corpus = path.join(root, 'test/fixtures/leaky');

function expected(file: string): RuleId[] {
  const text = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.json')) return (JSON.parse(text) as { '//': { expect: RuleId[] } })['//'].expect;
  const m = /^# expect: (.+)$/m.exec(text);
  if (!m) throw new Error(`${file} has no "# expect:" line`);
  return (m[1] as string).split(',').map((r) => r.trim() as RuleId);
}

const files = fs
  .readdirSync(corpus)
  .filter((f) => /\.(tf|tf\.json|tfvars)$/.test(f))
  .sort();

describe('leaky corpus', () => {
  test('has at least 15 templates', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  test.each(files)('rejects %s', (name) => {
    const file = path.join(corpus, name);
    const result = lintPaths([file]);
    const rules = [...new Set(result.findings.map((f) => f.rule))].sort();
    expect(rules).toEqual([...expected(file)].sort());
    expect(result.errorCount).toBeGreaterThan(0);
    // Findings describe the leak; they never repeat it.
    for (const f of result.findings) {
      expect(f.message).not.toMatch(
        /ghp_R2d2|Sup3rS3cret|hunter2|AKIAIOSFODNN7|correct-horse|my-npm-token|tok-1234567890|hvs\.CAES|github_pat_11|BEGIN OPENSSH/,
      );
    }
  });

  test('the whole directory fails as one run', () => {
    const result = lintPaths([corpus]);
    expect(new Set(result.findings.map((f) => f.file)).size).toBe(files.length);
  });
});

describe('examples pass clean', () => {
  test('examples/quickstart', () => {
    const result = lintPaths([path.join(root, 'examples/quickstart')]);
    expect(result.findings).toEqual([]);
    expect(result.files.length).toBeGreaterThan(0);
  });

  test.each([
    ['coder-template', 'examples/coder-template/main.ts'],
    ['ci-plan', 'examples/ci-plan/main.ts'],
  ])('examples/%s (synthesized cdk.tf.json)', (_name, app) => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-lint-example-'));
    try {
      execFileSync(
        process.execPath,
        [path.join(root, 'examples/coder-template/synth.mjs'), '--app', path.join(root, app), '--out', out],
        { stdio: 'pipe' },
      );
      const result = lintPaths([out]);
      expect(result.findings).toEqual([]);
      expect(result.files.some((f) => f.endsWith('cdk.tf.json'))).toBe(true);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
