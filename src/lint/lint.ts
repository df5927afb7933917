/**
 * `lintPaths`: finds Terraform files under the given paths, groups them into modules (one per
 * directory, as Terraform does) and runs the guard rules. Reads `*.tf`, `*.tf.json` (including
 * cdktn's `cdk.tf.json`), `*.tfvars` and `*.tfvars.json`; skips `.terraform/`, `.git/` and
 * `node_modules/`.
 */
import { FileInputError, readBoundedTextFile } from '../client/bounded-fs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HclSyntaxError, parseHcl } from './hcl';
import { addHclFile, addHclVarsFile, addJsonConfig, addJsonVarsFile, emptyModule, type ModuleModel } from './model';
import { checkModule, type Finding, type RuleOptions } from './rules';

export interface LintOptions extends RuleOptions {
  /** Directory names never descended into (in addition to `.terraform`, `.git`, `node_modules`). */
  readonly skipDirs?: readonly string[];
}

export interface LintResult {
  readonly findings: Finding[];
  /** Every file that was read, relative to the working directory when given relative. */
  readonly files: string[];
  /** Number of findings with severity `error` (parse errors included). */
  readonly errorCount: number;
  readonly warningCount: number;
}

export type FileKind = 'hcl' | 'json' | 'hcl-vars' | 'json-vars';

export function fileKind(file: string): FileKind | undefined {
  const base = path.basename(file);
  if (base.endsWith('.tfvars.json')) return 'json-vars';
  if (base.endsWith('.tf.json')) return 'json';
  if (base.endsWith('.tfvars')) return 'hcl-vars';
  if (base.endsWith('.tf')) return 'hcl';
  return undefined;
}

const ALWAYS_SKIPPED = ['.terraform', '.git', 'node_modules'];

function collect(target: string, skip: ReadonlySet<string>, out: string[]): void {
  const stat = fs.statSync(target);
  if (stat.isFile()) {
    out.push(target);
    return;
  }
  if (!stat.isDirectory()) return;
  for (const entry of fs
    .readdirSync(target, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = path.join(target, entry.name);
    if (entry.isDirectory()) {
      if (!skip.has(entry.name)) collect(full, skip, out);
    } else if (entry.isFile() && fileKind(entry.name) !== undefined) {
      out.push(full);
    }
  }
}

/** Thrown for a path that does not exist (the CLI exits 3). */
export class LintPathError extends Error {
  constructor(
    readonly path: string,
    message = `no such file or directory: ${path}`,
  ) {
    super(message);
    this.name = 'LintPathError';
  }
}

/** Adds one file's content to a module; returns a parse-error finding instead of throwing. */
export function addFile(model: ModuleModel, file: string, text: string): Finding | undefined {
  const kind = fileKind(file) ?? 'hcl';
  try {
    if (kind === 'json' || kind === 'json-vars') {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (error) {
        return parseError(file, `not valid JSON: ${(error as Error).message}`);
      }
      if (kind === 'json') addJsonConfig(model, doc, file);
      else addJsonVarsFile(model, doc, file);
    } else {
      const parsed = parseHcl(text, file);
      if (kind === 'hcl-vars') addHclVarsFile(model, parsed);
      else addHclFile(model, parsed);
    }
    return undefined;
  } catch (error) {
    if (error instanceof HclSyntaxError)
      return {
        ...parseError(file, error.message.slice(file.length + 1).replace(/^\d+:\d+: /, '')),
        line: error.line,
        column: error.column,
      };
    if (error instanceof Error) return parseError(file, error.message);
    throw error;
  }
}

function parseError(file: string, message: string): Finding {
  return { rule: 'parse-error', severity: 'error', message: `cannot parse ${file}: ${message}`, file };
}

/** Lints Terraform source text held in memory (one module). */
export function lintSources(sources: Readonly<Record<string, string>>, options: LintOptions = {}): Finding[] {
  const model = emptyModule();
  const errors: Finding[] = [];
  for (const [file, text] of Object.entries(sources)) {
    const problem = addFile(model, file, text);
    if (problem) errors.push(problem);
  }
  return [...filterParseErrors(errors, options), ...checkModule(model, options)];
}

/** Lints a Terraform JSON document (e.g. a stack's synthesized configuration). */
export function lintTerraformJson(doc: unknown, file = 'cdk.tf.json', options: RuleOptions = {}): Finding[] {
  const model = emptyModule();
  addJsonConfig(model, doc, file);
  return checkModule(model, options);
}

function filterParseErrors(errors: readonly Finding[], options: RuleOptions): Finding[] {
  const setting = options.rules?.['parse-error'] ?? 'error';
  if (setting === 'off') return [];
  return errors.map((e) => ({ ...e, severity: setting }));
}

/**
 * Lints files and directories. Each directory's files form one module (a variable declared in
 * variables.tf is known in outputs.tf); a file given by name is a module of its own unless its
 * directory is also being read.
 */
export function lintPaths(paths: readonly string[], options: LintOptions = {}): LintResult {
  const skip = new Set([...ALWAYS_SKIPPED, ...(options.skipDirs ?? [])]);
  const files: string[] = [];
  for (const p of paths) {
    if (!fs.existsSync(p)) throw new LintPathError(p);
    collect(p, skip, files);
  }
  const unique = [...new Set(files)];
  const modules = new Map<string, ModuleModel>();
  const parseErrors: Finding[] = [];
  for (const file of unique) {
    const dir = path.dirname(file);
    const model = modules.get(dir) ?? emptyModule();
    modules.set(dir, model);
    const problem = addFile(model, file, readLintFile(file));
    if (problem) parseErrors.push(problem);
  }
  const findings = [
    ...filterParseErrors(parseErrors, options),
    ...[...modules.values()].flatMap((m) => checkModule(m, options)),
  ];
  findings.sort((a, b) => (a.file === b.file ? (a.line ?? 0) - (b.line ?? 0) : a.file < b.file ? -1 : 1));
  return {
    findings,
    files: unique,
    errorCount: findings.filter((f) => f.severity === 'error').length,
    warningCount: findings.filter((f) => f.severity === 'warning').length,
  };
}

/** Configuration files are small; a device, FIFO or huge file named on the command line is refused. */
const MAX_LINT_FILE_BYTES = 16 * 1024 * 1024;

function readLintFile(file: string): string {
  try {
    return readBoundedTextFile(file, MAX_LINT_FILE_BYTES, file);
  } catch (error) {
    if (error instanceof FileInputError) throw new LintPathError(file, error.message);
    throw error;
  }
}
