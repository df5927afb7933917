/**
 * The bad-input corpus: data files under test/reliability/bad-input/<kind>/*.json, each a JSON
 * array of cases. Shared checks: the message names the field, and no stack trace leaks out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordFigures } from './reliability-report';

export const CORPUS_DIR = path.resolve(__dirname, '../reliability/bad-input');

/** Fields every case has, whatever its kind. */
export interface CorpusCaseBase {
  readonly name: string;
  /** Substring of the error that names the field or flag (and the rule). */
  readonly expectMessage: string;
  /** Set on cases whose fix lands on another branch of the same issue (e.g. "issue-8"). */
  readonly since?: string;
}

export interface LoadedCase<T extends CorpusCaseBase> {
  readonly file: string;
  readonly testCase: T;
}

/** Every case of one kind, in file then array order; a malformed file fails loudly. */
export function loadCorpus<T extends CorpusCaseBase>(kind: 'cli' | 'provider' | 'constructs'): LoadedCase<T>[] {
  const dir = path.join(CORPUS_DIR, kind);
  if (!fs.existsSync(dir)) return [];
  const cases: LoadedCase<T>[] = [];
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const parsed: unknown = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    if (!Array.isArray(parsed)) throw new Error(`${kind}/${file}: expected a JSON array of cases`);
    for (const [i, entry] of parsed.entries()) {
      const c = entry as Partial<CorpusCaseBase>;
      if (typeof c.name !== 'string' || typeof c.expectMessage !== 'string' || c.expectMessage === '') {
        throw new Error(`${kind}/${file}[${i}]: every case needs "name" and a non-empty "expectMessage"`);
      }
      cases.push({ file, testCase: entry as T });
    }
  }
  return cases;
}

/** Titles unique across files, for test.each. */
export function caseTitle(loaded: LoadedCase<CorpusCaseBase>): string {
  const since = loaded.testCase.since ? ` [since ${loaded.testCase.since}]` : '';
  return `${loaded.file}: ${loaded.testCase.name}${since}`;
}

/** Lines that betray a stack trace or an internal error instead of a user-facing message. */
export function stackTraceLines(text: string): string[] {
  return text.split('\n').filter(
    (line) =>
      /^\s+at\s+\S+.*[(:]/.test(line) ||
      // JavaScript's own error classes; a bare "Error: …" is how the engines print diagnostics.
      /^(Type|Reference|Range|Syntax|Assertion)Error\b/.test(line.trim()) ||
      /node:internal|\.cjs:\d+:\d+|\.ts:\d+:\d+/.test(line),
  );
}

/** Tallies a corpus run for docs/reliability.md: failures of `since` cases are counted apart. */
export class CorpusOutcomes {
  passed = 0;
  private readonly pending: string[] = [];
  private readonly failed: string[] = [];

  constructor(
    private readonly category: string,
    private readonly total: number,
  ) {}

  pass(): void {
    this.passed++;
  }

  fail(testCase: CorpusCaseBase, title: string): void {
    (testCase.since ? this.pending : this.failed).push(title);
  }

  record(): void {
    recordFigures({
      category: this.category,
      figures: {
        cases: this.total,
        passed: this.passed,
        'failing, fix on another branch': this.pending.length,
        'failing otherwise': this.failed.length,
      },
      notes: this.failed.length > 0 ? [`failing: ${this.failed.join('; ')}`] : [],
    });
  }
}
