/**
 * Figures of the reliability suite: each test file records what it tried and survived into a
 * JSON file in the run's results directory (set by the reliability global setup); the global
 * teardown turns them into docs/reliability.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const RESULTS_DIR_ENV = 'COFFER_RELIABILITY_RESULTS';
/** Where tests that write their own figure files (`<name>.json`) put them; set to the same directory. */
export const FOREIGN_RESULTS_DIR_ENV = 'COFFER_RELIABILITY_DIR';

/** One line of the report: a category (e.g. "bad input: provider") and its counters. */
export interface FigureRecord {
  readonly category: string;
  /** Counters such as `cases`, `passed`, `faults survived`, `leaks`. */
  readonly figures: Readonly<Record<string, number>>;
  /** Short notes: what failed, which cases wait for another branch. */
  readonly notes?: readonly string[];
}

/** Records figures for this run; without the global setup (a plain `jest file`) it does nothing. */
export function recordFigures(record: FigureRecord): void {
  const dir = process.env[RESULTS_DIR_ENV];
  if (!dir || !fs.existsSync(dir)) return;
  const slug = record.category.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
  fs.writeFileSync(path.join(dir, `${slug}-${process.pid}-${Date.now()}.json`), JSON.stringify(record));
}

/**
 * Every record in DIR. Files without a `category` come from tests that write their own JSON
 * (`<name>.json` with counters, e.g. the store tamper matrix): the name becomes the category
 * and numeric fields, one level deep, the figures.
 */
export function readFigures(dir: string): FigureRecord[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const parsed = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>;
      if (typeof parsed.category === 'string') return parsed as unknown as FigureRecord;
      return { category: f.replace(/\.json$/, '').replace(/-/g, ' '), figures: numericFields(parsed) };
    });
}

function numericFields(object: Record<string, unknown>, prefix = ''): Record<string, number> {
  const figures: Record<string, number> = {};
  for (const [key, value] of Object.entries(object)) {
    const name = `${prefix}${key.replace(/_/g, ' ')}`;
    if (typeof value === 'number') figures[name] = value;
    else if (prefix === '' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      Object.assign(figures, numericFields(value as Record<string, unknown>, `${name}: `));
    }
  }
  return figures;
}

/** What the categories do, in a few lines (details in the test files' headers). */
const ABOUT = [
  '## What is tried',
  '',
  '- **Bad input** (`test/reliability/bad-input/{cli,provider,constructs}/*.json`): each case must fail with a',
  '  non-zero exit or an exception whose message names the field or flag, without a stack trace or internal',
  '  error, and write nothing (sandbox snapshots before and after; for the provider: no state, embedded store',
  '  unchanged). Cases marked `since` wait for a fix on another branch of the same issue.',
  '- **Faults** (vault backend, OpenBao with raft storage): SIGKILL of the real `bao` process during a',
  '  200-secret apply and during a rotation, then restart and unseal; a 3-node raft cluster on loopback whose',
  '  leader is killed mid-apply; a proxy that lets writes land but resets the connection before the answer.',
  '  After each, re-applying must converge: every secret once, with the configured value (read back through',
  '  the client), nothing extra, an empty plan. In the 3-node case the provider is pointed at one follower,',
  '  as with a single node address: standbys forward requests to the active node, and after the leader dies',
  '  one of the survivors becomes active. Pointing at the killed leader itself would only test a dead address.',
  '- **Races**: `coffer secret update` in a loop during an apply (embedded store, OpenBao); two applies of one',
  '  configuration at once in two directories against one store — each secret must end with one owner, the',
  '  other apply being told it already exists and to import it.',
  '- **Canary**: tofu and terraform × embedded, OpenBao and the Coder double, `TF_LOG=trace`, every engine and',
  '  `coffer` command; the canary must not appear in output, state, plans, store files, the audit log or the',
  '  backend request log.',
];

export interface MachineFacts {
  readonly date: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly tools: Readonly<Record<string, string>>;
  readonly durationSeconds: number;
}

/** The Markdown document: date and machine first, then one table row per category. */
export function renderReport(records: readonly FigureRecord[], machine: MachineFacts): string {
  const byCategory = new Map<string, { figures: Record<string, number>; notes: string[] }>();
  for (const r of records) {
    const entry = byCategory.get(r.category) ?? { figures: {}, notes: [] };
    for (const [k, v] of Object.entries(r.figures)) entry.figures[k] = (entry.figures[k] ?? 0) + v;
    entry.notes.push(...(r.notes ?? []));
    byCategory.set(r.category, entry);
  }
  const total = (figure: string): number =>
    [...byCategory.values()].reduce((sum, e) => sum + (e.figures[figure] ?? 0), 0);
  const tools = Object.entries(machine.tools)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const lines = [
    '# Reliability figures',
    '',
    'Written by the reliability suite (`npm run test:reliability`, part of `bash scripts/test.sh`);',
    'regenerated on every run — do not edit by hand. What each category does: `test/reliability/`.',
    '',
    `- Date: ${machine.date} (UTC)`,
    `- Machine: ${machine.cores} cores, ${machine.memoryGiB} GiB memory, Node ${machine.node}${tools ? `, ${tools}` : ''}`,
    `- Suite duration: ${machine.durationSeconds} s`,
    `- Totals: ${total('cases')} bad-input and tamper cases tried, ${total('faults survived')} of ${total('faults injected')} injected faults survived, leaks = ${total('leaks')}`,
    '',
    '| Category | Figures |',
    '| --- | --- |',
  ];
  for (const [category, entry] of [...byCategory].sort(([a], [b]) => a.localeCompare(b))) {
    const figures = Object.entries(entry.figures)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    lines.push(`| ${category} | ${figures} |`);
  }
  const notes = [...byCategory].flatMap(([category, e]) => e.notes.map((n) => `- ${category}: ${n}`));
  if (notes.length > 0) lines.push('', '## Notes', '', ...notes);
  lines.push('', ...ABOUT, '');
  return lines.join('\n');
}
