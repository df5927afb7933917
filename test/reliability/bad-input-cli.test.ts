/**
 * Bad command lines for the `coffer` CLI, run as users run it (the built bundle, a fresh HOME
 * and COFFER_HOME per case): each exits non-zero with the expected code, says what is wrong
 * naming the flag or field, prints no stack trace, and writes nothing (the sandbox is
 * byte-for-byte the same after the command as after its set-up commands, except the audit log,
 * which records refused attempts by design).
 * Cases: test/reliability/bad-input/cli/*.json.
 */
import * as path from 'node:path';
import { runProcess, type ProcessResult } from '../e2e/support/process';
import {
  caseTitle,
  CorpusOutcomes,
  loadCorpus,
  stackTraceLines,
  type CorpusCaseBase,
} from '../support/bad-input-corpus';
import { Sandbox, snapshotChanges } from '../support/sandbox';

interface CliCase extends CorpusCaseBase {
  readonly argv: string[];
  readonly stdin?: string;
  /** Commands (argv arrays) run first, each must succeed: e.g. create the secret a case updates. */
  readonly setup?: string[][];
  readonly expectExit: number;
}

const cli = path.resolve(__dirname, '../../dist/coffer-cli.cjs');
const corpus = loadCorpus<CliCase>('cli');
const outcomes = new CorpusOutcomes('bad input: CLI', corpus.length);

function coffer(sandbox: Sandbox, argv: readonly string[], stdin?: string): Promise<ProcessResult> {
  return runProcess(process.execPath, [cli, ...argv], { cwd: sandbox.home, env: sandbox.env(), input: stdin ?? '' });
}

describe('bad input: CLI', () => {
  afterAll(() => {
    outcomes.record();
  });

  test(`the corpus has cases (${corpus.length})`, () => {
    expect(corpus.length).toBeGreaterThan(0);
  });

  test.each(corpus.map((loaded) => [caseTitle(loaded), loaded.testCase] as const))('%s', async (title, c) => {
    const sandbox = new Sandbox('coffer-cli-bad-');
    try {
      expect(c.expectExit).not.toBe(0);
      for (const argv of c.setup ?? []) {
        const setup = await coffer(sandbox, argv);
        if (setup.code !== 0)
          throw new Error(`set-up "coffer ${argv.join(' ')}" exited ${setup.code}: ${setup.stderr}`);
      }
      const before = sandbox.snapshot();
      const result = await coffer(sandbox, c.argv, c.stdin);
      const output = `${result.stdout}\n${result.stderr}`;
      expect({ exit: result.code, stderr: result.stderr }).toEqual({
        exit: c.expectExit,
        stderr: expect.stringContaining(c.expectMessage),
      });
      expect(stackTraceLines(output)).toEqual([]);
      expect(output).not.toMatch(/unexpected error/);
      // The audit log records refused attempts by design; the store itself must be untouched.
      expect(snapshotChanges(before, sandbox.snapshot(), (p) => p === 'coffer-home/audit.log')).toEqual([]);
      outcomes.pass();
    } catch (error) {
      outcomes.fail(c, title);
      throw error;
    } finally {
      sandbox.cleanup();
    }
  });
});
