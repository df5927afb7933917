/**
 * Bad configuration for the provider, through the real engine: each case fails `validate` (or
 * `apply`, for what only the configured backend can tell) with a diagnostic that names the rule
 * and points at the attribute, no internal error or stack trace, and `apply` writes nothing —
 * neither state nor the embedded store (which holds one secret, so an append would show).
 * Cases: test/reliability/bad-input/provider/*.json.
 */
import { LocalSecretStore } from '../../src/client/backends/local';
import { SecretText } from '../../src/client/secret-text';
import { streamDiagnostics, validateDiagnostics, type EngineDiagnostic } from '../e2e/support/diagnostics';
import { availableEngines } from '../e2e/support/engines';
import { providerBlock, Workspace, type RunResult } from '../e2e/support/workspace';
import {
  caseTitle,
  CorpusOutcomes,
  loadCorpus,
  stackTraceLines,
  type CorpusCaseBase,
} from '../support/bad-input-corpus';
import { snapshotChanges, snapshotTree } from '../support/sandbox';

interface ProviderCase extends CorpusCaseBase {
  /** HCL after the terraform/provider blocks. */
  readonly config: string;
  /** Attributes inside `provider "coffer" {}`. */
  readonly provider?: string;
  /** Environment for the engine (and so the provider). */
  readonly env?: Record<string, string>;
  /** The attribute the diagnostic must point at, or a block header (`resource "…" "bad"`) when the attribute is absent. */
  readonly attribute: string;
  /** `validate` (default): caught by `tofu validate`; `apply`: only when the backend is configured. */
  readonly phase?: 'validate' | 'apply';
}

const INTERNAL = /internal error|unexpected error|Plugin did not respond|panic:|provider crashed/i;
const corpus = loadCorpus<ProviderCase>('provider');
const engine = availableEngines()[0]!;
const outcomes = new CorpusOutcomes('bad input: provider', corpus.length);

function findDiagnostic(errors: EngineDiagnostic[], c: ProviderCase): EngineDiagnostic {
  const match = errors.find((d) => `${d.summary} ${d.detail}`.replace(/\s+/g, ' ').includes(c.expectMessage));
  if (match === undefined)
    throw new Error(
      `no diagnostic containing ${JSON.stringify(c.expectMessage)}: ${JSON.stringify(errors, null, 2).slice(0, 2000)}`,
    );
  return match;
}

function expectPointsAt(diagnostic: EngineDiagnostic, attribute: string): void {
  const code = (diagnostic.code ?? '').replace(/\s+/g, ' ');
  const pointer = /^(resource|data|ephemeral|provider) /.test(attribute) ? attribute : `${attribute} =`;
  if (!code.includes(pointer)) throw new Error(`the diagnostic points at ${JSON.stringify(code)}, not at ${pointer}`);
}

function expectClean(result: RunResult): void {
  const text = `${result.stdout}\n${result.stderr}`;
  expect(stackTraceLines(text)).toEqual([]);
  expect(text).not.toMatch(INTERNAL);
}

describe(`bad input: provider on ${engine.name} ${engine.version}`, () => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = new Workspace(engine);
    ws.write('main.tf', providerBlock());
    await ws.init();
    // A store that already holds a secret: any write to it (journal append, new snapshot) shows.
    const store = new LocalSecretStore({ home: ws.home, identity: 'alice' });
    await store.create('me', { name: 'existing', value: new SecretText('existing-value'), envName: 'EXISTING_TOKEN' });
    await store.close();
  });

  afterAll(() => {
    ws?.cleanup();
    outcomes.record();
  });

  test(`the corpus has at least 80 cases (${corpus.length})`, () => {
    expect(corpus.length).toBeGreaterThanOrEqual(80);
  });

  test.each(corpus.map((loaded) => [caseTitle(loaded), loaded.testCase] as const))('%s', async (title, c) => {
    try {
      ws.write('main.tf', `${providerBlock(c.provider ? `\n  ${c.provider}\n` : '')}\n${c.config}`);
      const env = { COFFER_USER: 'alice', ...(c.env ?? {}) };
      const ignore = (p: string): boolean => p.startsWith('work/.terraform') || p === 'work/main.tf' || p === 'work/';
      const before = snapshotTree(ws.dir.replace(/\/work$/, ''));

      if ((c.phase ?? 'validate') === 'validate') {
        const validate = await ws.run(['validate', '-json', '-no-color'], env);
        expect(validate.code).toBe(1);
        expectClean(validate);
        const errors = validateDiagnostics(validate.stdout).filter((d) => d.severity === 'error');
        expectPointsAt(findDiagnostic(errors, c), c.attribute);
      }
      const apply = await ws.run(['apply', '-auto-approve', '-no-color', '-input=false', '-json'], env);
      expect(apply.code).toBe(1);
      expectClean(apply);
      const errors = streamDiagnostics(apply.stdout).filter((d) => d.severity === 'error');
      const diagnostic = findDiagnostic(errors, c);
      if (c.phase === 'apply') expectPointsAt(diagnostic, c.attribute);

      expect(snapshotChanges(before, snapshotTree(ws.dir.replace(/\/work$/, '')), ignore)).toEqual([]);
      outcomes.pass();
    } catch (error) {
      outcomes.fail(c, title);
      throw error;
    }
  });
});
