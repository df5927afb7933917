import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runLint } from '../../src/cli/commands/lint';

function capture(): {
  io: { out: (t: string) => void; err: (t: string) => void };
  out: () => string;
  err: () => string;
} {
  let out = '';
  let err = '';
  return { io: { out: (t) => (out += t), err: (t) => (err += t) }, out: () => out, err: () => err };
}

describe('coffer lint (runLint)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-lint-cli-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('exit 0 and a summary for clean files', async () => {
    fs.writeFileSync(path.join(dir, 'main.tf'), 'variable "region" { type = string }\n');
    const c = capture();
    expect(await runLint([dir], c.io)).toBe(0);
    expect(c.out()).toBe('coffer lint: 0 errors, 0 warnings in 1 file\n');
  });

  test('exit 1 with file:line findings, never the value', async () => {
    fs.writeFileSync(
      path.join(dir, 'main.tf'),
      'resource "coffer_user_secret" "x" {\n  name = "x"\n  value_wo = "hunter2"\n}\n',
    );
    fs.mkdirSync(path.join(dir, '.terraform'));
    fs.writeFileSync(path.join(dir, '.terraform', 'ignored.tf'), 'variable "api_token" {}\n');
    const c = capture();
    expect(await runLint([dir], c.io)).toBe(1);
    expect(c.out()).toMatch(
      new RegExp(
        `^${dir}/main.tf:3:\\d+: error \\[credential-literal\\] coffer_user_secret.x attribute value_wo holds a literal value`,
      ),
    );
    expect(c.out()).not.toContain('hunter2');
    expect(c.err()).toBe('coffer lint: 1 error, 0 warnings in 1 file\n');
  });

  test('-o json', async () => {
    fs.writeFileSync(path.join(dir, 'main.tf'), 'variable "api_token" { type = string }\n');
    const c = capture();
    expect(await runLint([dir, '-o', 'json'], c.io)).toBe(1);
    const report = JSON.parse(c.out());
    expect(report).toMatchObject({ files: 1, errors: 1, warnings: 0 });
    expect(report.findings[0]).toMatchObject({
      rule: 'secret-variable-not-sensitive',
      address: 'var.api_token',
      line: 1,
    });
  });

  test('-o sarif: SARIF 2.1.0 for code scanning, one result per finding with rule, level and line; no value', async () => {
    fs.writeFileSync(
      path.join(dir, 'main.tf'),
      'resource "coffer_user_secret" "x" {\n  name = "x"\n  value_wo = "hunter2"\n}\nvariable "api_token" { type = string }\n',
    );
    const c = capture();
    expect(await runLint([dir, '-o', 'sarif', '--rule', 'secret-variable-not-sensitive=warning'], c.io)).toBe(1);
    expect(c.out()).not.toContain('hunter2');
    const sarif = JSON.parse(c.out());
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    expect(run.tool.driver.name).toBe('coffer lint');
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toContain('credential-literal');
    const byRule = Object.fromEntries(run.results.map((r: { ruleId: string }) => [r.ruleId, r]));
    expect(byRule['credential-literal']).toMatchObject({
      level: 'error',
      locations: [{ physicalLocation: { region: { startLine: 3 } } }],
    });
    expect(byRule['secret-variable-not-sensitive']).toMatchObject({ level: 'warning' });
    expect(run.results[0].locations[0].physicalLocation.artifactLocation.uri).toMatch(/main\.tf$/);
    const bad = capture();
    expect(await runLint([dir, '-o', 'xml'], bad.io)).toBe(2);
    expect(bad.err()).toMatch(/takes table, json or sarif/);
  });

  test('--rule lowers a rule to a warning: exit 0', async () => {
    fs.writeFileSync(path.join(dir, 'main.tf'), 'variable "api_token" { type = string }\n');
    const c = capture();
    expect(await runLint([dir, '--rule', 'secret-variable-not-sensitive=warning'], c.io)).toBe(0);
    expect(c.out()).toContain('warning [secret-variable-not-sensitive]');
  });

  test('exit 5 when a file cannot be parsed and nothing else is wrong', async () => {
    fs.writeFileSync(path.join(dir, 'bad.tf'), 'resource "x" {\n');
    const c = capture();
    expect(await runLint([dir], c.io)).toBe(5);
    expect(c.out()).toMatch(/bad\.tf:2:1: error \[parse-error\] cannot parse/);
  });

  test('exit 3 for a missing path, 2 for bad usage', async () => {
    const c = capture();
    expect(await runLint([path.join(dir, 'nope')], c.io)).toBe(3);
    expect(c.err()).toMatch(/^coffer: no such file or directory/);
    expect(await runLint(['-o', 'yaml', dir], c.io)).toBe(2);
    expect(await runLint(['--rule', 'nope=off', dir], c.io)).toBe(2);
    expect(c.err()).toContain('Run "coffer lint --help" for usage.');
  });

  test('--help', async () => {
    const c = capture();
    expect(await runLint(['--help'], c.io)).toBe(0);
    expect(c.out()).toMatch(/^Usage: coffer lint/);
  });
});
