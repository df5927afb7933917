/**
 * Running an example the way its README (or CI workflow) says, from a copy of the repository
 * outside it: the README's fenced `sh` blocks are read from the file and run as written; the only
 * edits are the placeholders a user fills in (`…`), each of which must occur in the block as given,
 * so a README that changes fails the test instead of drifting from it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runProcess, type ProcessResult } from './process';

const root = path.resolve(__dirname, '../../..');

/**
 * Copies the repository's files (tracked and new, not ignored) to `dest` and commits them there, as
 * a user's clone. `dist/` (what `bash scripts/setup.sh` builds) is copied too; `node_modules` is
 * linked to the repository's unless `installs` says the commands run `npm ci` themselves.
 */
export function copyRepository(dest: string, options: { readonly installs?: boolean } = {}): string {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    // node_modules and dist are handled below (a linked node_modules is not ignored by `node_modules/`).
    .filter((f) => f !== '' && !/^(node_modules|dist)(\/|$)/.test(f) && fs.existsSync(path.join(root, f)))
    .filter((f) => fs.lstatSync(path.join(root, f)).isFile());
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(dest, file));
    fs.chmodSync(path.join(dest, file), fs.statSync(path.join(root, file)).mode & 0o777);
  }
  if (fs.existsSync(path.join(root, 'dist'))) fs.cpSync(path.join(root, 'dist'), path.join(dest, 'dist'), { recursive: true });
  if (!options.installs) fs.symlinkSync(path.join(root, 'node_modules'), path.join(dest, 'node_modules'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dest, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', 'commit', '-qm', 'copy');
  return dest;
}

/** The fenced ```sh blocks of a Markdown file, in order. */
export function shellBlocks(markdownFile: string): string[] {
  const text = fs.readFileSync(markdownFile, 'utf8');
  return [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** Replaces each `[placeholder, value]` in `block`; throws when a placeholder is not there. */
export function fillIn(block: string, values: ReadonlyArray<readonly [string, string]>): string {
  let out = block;
  for (const [placeholder, value] of values) {
    if (!out.includes(placeholder)) throw new Error(`the README block no longer contains ${JSON.stringify(placeholder)}:\n${block}`);
    out = out.split(placeholder).join(value);
  }
  return out;
}

/** Runs a block with bash (-e, pipefail: a failing command fails the block). */
export function runBlock(block: string, cwd: string, env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return runProcess('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', block], { cwd, env });
}

// --- GitHub Actions ------------------------------------------------------------------------------

export interface WorkflowContext {
  readonly github: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, string>>;
  readonly vars: Readonly<Record<string, string>>;
}

type Value = string | boolean;

/**
 * Evaluates a GitHub Actions expression of the forms the examples use: `ctx.name` for github,
 * secrets and vars (missing secrets and vars are ''), string literals, `==`, `!=`, `&&`, `||`
 * (with GitHub's semantics: `&&`/`||` return an operand; '' is falsy).
 */
export function evaluate(expression: string, context: WorkflowContext): Value {
  const tokens = expression.match(/'(?:[^']|'')*'|==|!=|&&|\|\||\(|\)|[A-Za-z_][A-Za-z0-9_.-]*|\S/g) ?? [];
  let i = 0;
  const truthy = (v: Value) => v !== '' && v !== false;
  const primary = (): Value => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`incomplete expression: ${expression}`);
    if (t === '(') {
      const v = or();
      if (tokens[i++] !== ')') throw new Error(`missing ) in ${expression}`);
      return v;
    }
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (t === 'true' || t === 'false') return t === 'true';
    const [scope, ...rest] = t.split('.');
    const table = context[scope as keyof WorkflowContext];
    if (table === undefined || rest.length !== 1) throw new Error(`unsupported expression ${t} in ${expression}`);
    return table[rest[0]!] ?? '';
  };
  const equality = (): Value => {
    let left = primary();
    while (tokens[i] === '==' || tokens[i] === '!=') {
      const op = tokens[i++];
      const right = primary();
      left = op === '==' ? String(left).toLowerCase() === String(right).toLowerCase() : String(left).toLowerCase() !== String(right).toLowerCase();
    }
    return left;
  };
  const and = (): Value => {
    let left = equality();
    while (tokens[i] === '&&') {
      i++;
      const right = equality();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const or = (): Value => {
    let left = and();
    while (tokens[i] === '||') {
      i++;
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const value = or();
  if (i !== tokens.length) throw new Error(`unexpected ${tokens[i]} in ${expression}`);
  return value;
}

/** Replaces every `${{ … }}` in a string. */
export function interpolate(text: string, context: WorkflowContext): string {
  return text.replace(/\$\{\{\s*([\s\S]*?)\s*\}\}/g, (_m, expr: string) => {
    const v = evaluate(expr, context);
    return typeof v === 'boolean' ? String(v) : v;
  });
}

export interface WorkflowStep {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, unknown>>;
}

export interface WorkflowJob {
  readonly env?: Readonly<Record<string, unknown>>;
  readonly steps: readonly WorkflowStep[];
}

export function readWorkflowJob(file: string, job: string): WorkflowJob {
  const doc = parseYaml(fs.readFileSync(file, 'utf8')) as { jobs: Record<string, WorkflowJob> };
  const found = doc.jobs[job];
  if (!found) throw new Error(`${file} has no job ${job}`);
  return found;
}

export interface StepRecord {
  readonly label: string;
  readonly skipped: boolean;
  readonly result?: ProcessResult;
}

/**
 * Runs a job's steps in order, as a runner would: `run:` steps with `bash --noprofile --norc -eo
 * pipefail` in `cwd`, with the job's and the step's `env:` (expressions evaluated) over `baseEnv`,
 * and what earlier steps appended to `$GITHUB_ENV`; `if:` conditions evaluated; `uses:` steps
 * handed to `actions` (which sets up the tool, e.g. puts it on PATH, and may return env to add).
 * Stops at the first failing step, like the runner.
 */
export async function runWorkflowJob(
  job: WorkflowJob,
  options: {
    readonly cwd: string;
    readonly baseEnv: NodeJS.ProcessEnv;
    readonly context: WorkflowContext;
    readonly actions: Readonly<Record<string, (inputs: Record<string, string>) => Record<string, string> | void>>;
  },
): Promise<StepRecord[]> {
  const { context } = options;
  const envOf = (table: Readonly<Record<string, unknown>> | undefined) =>
    Object.fromEntries(Object.entries(table ?? {}).map(([k, v]) => [k, interpolate(String(v), context)]));
  const githubEnv = path.join(fs.mkdtempSync(path.join(options.cwd, '..', 'runner-')), 'github-env');
  let env: NodeJS.ProcessEnv = { ...options.baseEnv, ...envOf(job.env), GITHUB_ENV: githubEnv, CI: 'true', GITHUB_ACTIONS: 'true' };
  const records: StepRecord[] = [];
  for (const step of job.steps) {
    const label = step.name ?? step.uses ?? step.run ?? '?';
    if (step.if !== undefined) {
      const condition = evaluate(step.if.replace(/^\$\{\{\s*|\s*\}\}$/g, ''), context);
      if (condition === false || condition === '') {
        records.push({ label, skipped: true });
        continue;
      }
    }
    if (step.uses !== undefined) {
      const action = options.actions[step.uses];
      if (!action) throw new Error(`the test has no stand-in for action ${step.uses}`);
      env = { ...env, ...(action(envOf(step.with)) ?? {}) };
      records.push({ label, skipped: false });
      continue;
    }
    fs.writeFileSync(githubEnv, '');
    const result = await runBlock(step.run ?? '', options.cwd, { ...env, ...envOf(step.env) });
    records.push({ label, skipped: false, result });
    if (result.code !== 0) break;
    for (const line of fs.readFileSync(githubEnv, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return records;
}
