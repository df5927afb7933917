/**
 * `coffer lint [PATH...]`: the construct library's secret guard for plain Terraform/OpenTofu
 * (`.tf`, `.tf.json`, `cdk.tf.json`, `.tfvars`) — for GitOps pipelines that do not synthesize
 * with the constructs, or that want to check what was synthesized before it is planned.
 */
import { LintPathError, lintPaths } from '../../lint/lint';
import { RULES, type Finding, type RuleId, type RuleSetting } from '../../lint/rules';
import { toSarif } from '../../lint/sarif';
import { parseCommandLine } from '../args';
import { CliError, EXIT, UsageError } from '../errors';

/** The CLI version, for SARIF's tool.driver.version (kept here: main.ts imports this module). */
const LINT_VERSION = '0.1.0';

export const LINT_HELP = `Usage: coffer lint [PATH...] [options]

Checks Terraform/OpenTofu configuration for leaked secrets before it is planned or pushed:
  credential-literal             a credential-looking literal in any attribute, default or tfvars
  secret-output                  an output derives from a secret but is not sensitive
  secret-metadata                a coder_metadata item shows a secret without sensitive = true
                                 (or a coder_agent metadata script uses one)
  secret-variable-not-sensitive  a variable named like a secret is not sensitive

PATH is a file or a directory (default "."); directories are searched recursively for *.tf,
*.tf.json (cdk.tf.json too), *.tfvars and *.tfvars.json, skipping .terraform, .git and
node_modules. The files of one directory form one module. Findings never quote a value.

Silence one finding with a comment on its line or the line above:
  # coffer:ignore credential-literal

Options:
  -o, --output FORMAT       table (default), json, or sarif (SARIF 2.1.0 for code scanning:
                            e.g. GitHub's upload-sarif action shows findings on the PR's lines)
  --rule RULE=LEVEL         Set a rule to error, warning or off (repeatable)
  --skip-dir NAME           Do not descend into directories named NAME (repeatable)

Exit codes:
  0  no errors (warnings may have been printed)
  1  at least one finding with level error
  2  usage error
  3  a PATH does not exist
  5  no findings, but a file could not be parsed

Examples:
  coffer lint .
  coffer lint cdktf.out/stacks/workspace/cdk.tf.json -o json
  coffer lint . -o sarif > coffer-lint.sarif
  coffer lint infra --rule secret-variable-not-sensitive=warning
`;

const LINT_OPTIONS = {
  output: { type: 'string', short: 'o' },
  rule: { type: 'list' },
  'skip-dir': { type: 'list' },
} as const;

export interface LintIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const processIo: LintIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

function parseRules(specs: readonly string[]): Partial<Record<RuleId, RuleSetting>> {
  const rules: Partial<Record<RuleId, RuleSetting>> = {};
  for (const spec of specs) {
    const m = /^([a-z-]+)=(error|warning|warn|off)$/.exec(spec);
    if (!m || !((m[1] as string) in RULES)) {
      throw new UsageError(
        `--rule takes RULE=error|warning|off with RULE one of ${Object.keys(RULES).join(', ')}`,
        'lint',
      );
    }
    rules[m[1] as RuleId] = m[2] === 'warn' ? 'warning' : (m[2] as RuleSetting);
  }
  return rules;
}

function location(f: Finding): string {
  return f.line !== undefined
    ? `${f.file}:${f.line}:${f.column ?? 1}`
    : f.constructPath !== undefined
      ? `${f.file} (${f.constructPath})`
      : f.file;
}

/** Runs `coffer lint` with the arguments after `lint`; returns the exit code. */
export async function runLint(argv: readonly string[], io: LintIo = processIo): Promise<number> {
  try {
    const args = parseCommandLine(argv, LINT_OPTIONS, { command: 'lint' });
    if (args.help) {
      io.out(LINT_HELP);
      return EXIT.ok;
    }
    const output = args.values.output ?? 'table';
    if (output !== 'table' && output !== 'json' && output !== 'sarif')
      throw new UsageError('option -o/--output takes table, json or sarif', 'lint');
    const rules = parseRules(args.values.rule ?? []);
    const paths = args.positionals.length > 0 ? args.positionals : ['.'];
    let result;
    try {
      result = lintPaths(paths, { rules, skipDirs: args.values['skip-dir'] ?? [] });
    } catch (error) {
      if (error instanceof LintPathError) throw new CliError(EXIT.notFound, error.message);
      throw error;
    }
    const errors = result.findings.filter((f) => f.severity === 'error');
    const onlyParseErrors = errors.length > 0 && errors.every((f) => f.rule === 'parse-error');
    const code = errors.length === 0 ? EXIT.ok : onlyParseErrors ? EXIT.invalid : EXIT.failed;
    if (output === 'sarif') {
      io.out(`${JSON.stringify(toSarif(result.findings, LINT_VERSION), null, 2)}\n`);
    } else if (output === 'json') {
      io.out(
        `${JSON.stringify({ files: result.files.length, errors: result.errorCount, warnings: result.warningCount, findings: result.findings }, null, 2)}\n`,
      );
    } else {
      for (const f of result.findings) io.out(`${location(f)}: ${f.severity} [${f.rule}] ${f.message}\n`);
      const summary = `${result.errorCount} error${result.errorCount === 1 ? '' : 's'}, ${result.warningCount} warning${result.warningCount === 1 ? '' : 's'} in ${result.files.length} file${result.files.length === 1 ? '' : 's'}`;
      (result.findings.length > 0 ? io.err : io.out)(`coffer lint: ${summary}\n`);
      if (result.files.length === 0) io.err('coffer lint: warning: no .tf, .tf.json or .tfvars files found\n');
    }
    return code;
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`coffer: ${error.message}\n`);
      if (error instanceof UsageError) io.err('Run "coffer lint --help" for usage.\n');
      return error.exitCode;
    }
    throw error;
  }
}
