/**
 * `coffer lint -o sarif`: findings as SARIF 2.1.0, the format GitHub code scanning (and GitLab,
 * Azure DevOps) ingests, so a GitOps pipeline shows them on the pull request's lines. Findings
 * never quote a value, so neither does this.
 */
import * as path from 'node:path';
import { RULES, type Finding, type RuleId } from './rules';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export function toSarif(findings: readonly Finding[], version: string, cwd: string = process.cwd()): unknown {
  const ruleIds = Object.keys(RULES) as RuleId[];
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'coffer lint',
            version,
            informationUri: 'https://github.com/cofferhq/coffer/blob/main/docs/cli.md',
            rules: ruleIds.map((id) => ({
              id,
              shortDescription: { text: RULES[id] },
            })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: ruleIds.indexOf(f.rule),
          level: f.severity,
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                // Relative URIs against the checkout root, as code scanning expects.
                artifactLocation: { uri: toUri(f.file, cwd) },
                ...(f.line !== undefined ? { region: { startLine: f.line, startColumn: f.column ?? 1 } } : {}),
              },
              ...(f.address !== undefined || f.constructPath !== undefined
                ? { logicalLocations: [{ fullyQualifiedName: f.constructPath ?? f.address }] }
                : {}),
            },
          ],
        })),
      },
    ],
  };
}

function toUri(file: string, cwd: string): string {
  const relative = path.isAbsolute(file) ? path.relative(cwd, file) : file;
  return relative.split(path.sep).map(encodeURIComponent).join('/');
}
