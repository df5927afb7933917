/**
 * Bad props to the Coffer constructs (in-process, no engine): each case throws, at construction
 * or at synthesis, an error naming the construct and the prop, and the app writes nothing.
 * Cases: test/reliability/bad-input/constructs/*.json.
 */
import { TerraformVariable, Testing, TerraformStack } from 'cdktn';
import type { Construct } from 'constructs';
import {
  coder,
  coffer,
  CofferFeature,
  DynamicSecret,
  DynamicSecretPattern,
  PROVIDER_FEATURES_CONTEXT,
  SecretCheck,
  SecretValue,
  SensitiveMetadata,
  UserSecret,
} from '../../src/constructs';
import {
  caseTitle,
  CorpusOutcomes,
  loadCorpus,
  stackTraceLines,
  type CorpusCaseBase,
} from '../support/bad-input-corpus';
import { Sandbox, snapshotChanges } from '../support/sandbox';

process.env.CHECKPOINT_DISABLE = '1';

interface ConstructCase extends CorpusCaseBase {
  /** `UserSecret`, `SecretCheck`, `SensitiveMetadata`, `DynamicSecret.<pattern>`, `DynamicSecret.value`, `SecretValue.<factory>`. */
  readonly construct: string;
  /** Props as JSON; `{"$secret": ...}`, `{"$agent": true}`, `{"$agentId": true}`, `{"$sensitiveVariableToken": id}` build objects. */
  readonly props: Record<string, unknown>;
  /** Context over the defaults (targets ≥ 1.11, every provider feature). */
  readonly context?: Record<string, unknown>;
}

const DEFAULT_CONTEXT = {
  targetVersions: { terraform: '>=1.11.0', opentofu: '>=1.11.0' },
  [PROVIDER_FEATURES_CONTEXT]: [
    CofferFeature.SECRET_CHECK,
    CofferFeature.DYNAMIC_SECRET,
    CofferFeature.EPHEMERAL_USER_SECRET,
  ],
};

interface Scene {
  readonly stack: TerraformStack;
  readonly agent: coder.agent.Agent;
}

let counter = 0;

/** Turns the JSON markers into the objects the constructs take. */
function materialize(value: unknown, scene: Scene): unknown {
  if (Array.isArray(value)) return value.map((v) => materialize(v, scene));
  if (typeof value !== 'object' || value === null) return value;
  const marker = value as Record<string, unknown>;
  const id = `v${++counter}`;
  if (marker.$agent === true) return scene.agent;
  if (marker.$agentId === true) return scene.agent.id;
  if (typeof marker.$sensitiveVariableToken === 'string') {
    return new TerraformVariable(scene.stack, marker.$sensitiveVariableToken, { type: 'string', sensitive: true })
      .stringValue;
  }
  switch (marker.$secret) {
    case 'variable':
      return SecretValue.variable(scene.stack, id);
    case 'ephemeral-variable':
      return SecretValue.variable(scene.stack, id, { ephemeral: true });
    case 'plain':
      return SecretValue.unsafePlainText(String(marker.text));
    case 'attribute':
      return SecretValue.fromAttribute(
        new coder.dataCoderExternalAuth.DataCoderExternalAuth(scene.stack, id, { id: 'github' }),
        'access_token',
      );
    case 'ephemeral-attribute': {
      const lease = new DynamicSecret(scene.stack, id, {
        pattern: DynamicSecretPattern.vaultLease({ mount: 'database', role: 'ro' }),
      });
      return lease.value('password');
    }
    case undefined:
      return Object.fromEntries(Object.entries(marker).map(([k, v]) => [k, materialize(v, scene)]));
    default:
      throw new Error(`unknown $secret marker ${String(marker.$secret)}`);
  }
}

/** Builds the construct the case names; returns nothing, throws what the construct throws. */
function build(c: ConstructCase, scene: Scene): void {
  const scope: Construct = scene.stack;
  // Markers are built inside the call so that factory errors count as the case's error.
  const props = (): Record<string, unknown> => materialize(c.props, scene) as Record<string, unknown>;
  const [kind, variant] = c.construct.split('.');
  if (kind === 'UserSecret') new UserSecret(scope, 's', props() as never);
  else if (kind === 'SecretCheck') new SecretCheck(scope, 's', props() as never);
  else if (kind === 'SensitiveMetadata') new SensitiveMetadata(scope, 'm', props() as never);
  else if (kind === 'DynamicSecret' && variant === 'value') {
    const p = props();
    const pattern =
      p.pattern === 'agentEnv'
        ? DynamicSecretPattern.agentEnv({
            agent: scene.agent,
            envName: 'TOKEN',
            value: materialize({ $secret: 'attribute' }, scene) as SecretValue,
          })
        : DynamicSecretPattern.vaultLease({ mount: 'database', role: 'ro' });
    new DynamicSecret(scope, 'd', { pattern }).value(String(p.field));
  } else if (kind === 'DynamicSecret') {
    const factory = {
      agentEnv: DynamicSecretPattern.agentEnv,
      vaultLease: DynamicSecretPattern.vaultLease,
      workspaceFetched: DynamicSecretPattern.workspaceFetched,
    }[variant as string];
    if (factory === undefined) throw new Error(`unknown pattern ${c.construct}`);
    new DynamicSecret(scope, 'd', { pattern: factory(props() as never) });
  } else if (c.construct === 'SecretValue.fromCofferSecret')
    SecretValue.fromCofferSecret(scope, 'ref', props() as never);
  else if (c.construct === 'SecretValue.unsafePlainText') SecretValue.unsafePlainText(String(props().text));
  else if (c.construct === 'SecretValue.variable') {
    const p = props();
    SecretValue.variable(scope, String(p.id), { ephemeral: p.ephemeral as boolean });
  } else throw new Error(`unknown construct ${c.construct}`);
}

const corpus = loadCorpus<ConstructCase>('constructs');
const outcomes = new CorpusOutcomes('bad input: constructs', corpus.length);

describe('bad input: constructs', () => {
  afterAll(() => {
    outcomes.record();
  });

  test(`the corpus has at least 40 cases (${corpus.length})`, () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
  });

  test.each(corpus.map((loaded) => [caseTitle(loaded), loaded.testCase] as const))('%s', (title, c) => {
    const sandbox = new Sandbox('coffer-constructs-');
    try {
      const app = Testing.app({ outdir: sandbox.cofferHome, context: { ...DEFAULT_CONTEXT, ...(c.context ?? {}) } });
      const before = sandbox.snapshot();
      const stack = new TerraformStack(app, 'stack');
      new coder.provider.CoderProvider(stack, 'coder', {});
      new coffer.provider.CofferProvider(stack, 'coffer', {});
      const agent = new coder.agent.Agent(stack, 'main', { arch: 'amd64', os: 'linux' });
      let message: string | undefined;
      try {
        build(c, { stack, agent });
        app.synth();
      } catch (error) {
        message = error instanceof Error ? error.message : String(error);
      }
      if (message === undefined) throw new Error('accepted: neither construction nor synthesis failed');
      expect(message).toContain(c.expectMessage);
      expect(stackTraceLines(message)).toEqual([]);
      expect(snapshotChanges(before, sandbox.snapshot())).toEqual([]);
      outcomes.pass();
    } catch (error) {
      outcomes.fail(c, title);
      throw error;
    } finally {
      sandbox.cleanup();
    }
  });
});
