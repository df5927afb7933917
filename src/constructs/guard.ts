/**
 * The secret guard: an Aspect that checks each stack's synthesized configuration with the same
 * rules as `coffer lint` (src/lint) and fails synthesis with one error per finding, attached to
 * the construct that wrote the offending block:
 * - `credential-literal`: a credential-looking literal in any attribute;
 * - `secret-output`: a secret reaches a non-sensitive output;
 * - `secret-metadata`: a secret reaches a `coder_metadata` item without `sensitive = true`;
 * - `secret-variable-not-sensitive`: a variable named like a secret is not sensitive;
 * - `unsafe-plaintext`: a construct was given `SecretValue.unsafePlainText()`.
 *
 * Every Coffer construct turns the guard on for its stack; `enableSecretGuard(app)` turns it on
 * for stacks without Coffer constructs, or sets rule levels. The checks run as a validation, so
 * after every other aspect: `app.synth()` and `Testing.fullSynth()` throw
 * ("Encountered Annotations with level ERROR"); `Testing.synth(stack, true)` records them.
 */
import {
  Annotations,
  App,
  Aspects,
  TerraformLocal,
  TerraformOutput,
  TerraformStack,
  TerraformVariable,
  type IAspect,
} from 'cdktn';
import type { IConstruct } from 'constructs';
import { lintTerraformJson } from '../lint/lint';
import { finalize, type Finding, type RuleId, type RuleSetting } from '../lint/rules';

/** Metadata type the guard reads: a construct received `SecretValue.unsafePlainText()`. */
export const UNSAFE_PLAINTEXT_METADATA = 'coffer:unsafe-plaintext';

export interface SecretGuardOptions {
  /**
   * Per-rule level: `error` (synthesis fails), `warning` (an annotation), or `off`.
   * @default - every rule is an error
   */
  readonly rules?: Partial<Record<RuleId, RuleSetting>>;
}

const GUARDED = Symbol.for('@cofferhq/coffer.SecretGuard.auto');
const reported = new WeakMap<IConstruct, Set<string>>();
/** Stacks whose guard validation is registered (once, whichever guard instance visits first). */
const registered = new WeakSet<IConstruct>();

/** The guard aspect. Add it with `enableSecretGuard(scope)` (or `Coffer.guard(scope)`). */
export class SecretGuard implements IAspect {
  /**
   * @param options rule levels
   * @param automatic true for the guard a Coffer construct adds by itself (an explicit guard's options win over it)
   */
  constructor(
    readonly options: SecretGuardOptions = {},
    readonly automatic = false,
  ) {}

  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node) || registered.has(node)) return;
    registered.add(node);
    // cdktn invokes only the stack's own aspects and its descendants', so a guard added to an
    // ancestor (the App) is looked up here and its options are used.
    const effective = nearestExplicitGuard(node) ?? this;
    node.node.addValidation({
      validate: () => {
        annotate(node, checkStack(node, effective.options));
        return [];
      },
    });
  }
}

function nearestExplicitGuard(stack: IConstruct): SecretGuard | undefined {
  for (const scope of [...stack.node.scopes].reverse()) {
    const guard = Aspects.of(scope).all.find((a): a is SecretGuard => a instanceof SecretGuard && !a.automatic);
    if (guard) return guard;
  }
  return undefined;
}

/**
 * Turns the guard on for every stack under `scope` (an App or a stack): `enableSecretGuard(app)`.
 * cdktn runs aspects per stack, so the guard is attached to each stack under `scope` now and —
 * for an App — again when `app.synth()` runs (for stacks created after this call). Stacks with
 * a Coffer construct are guarded anyway; with `Testing.fullSynth(stack)`, enable it on the stack
 * or after creating the stack.
 */
export function enableSecretGuard(scope: IConstruct, options: SecretGuardOptions = {}): SecretGuard {
  const guard = new SecretGuard(options);
  Aspects.of(scope).add(guard);
  const attach = (): void => {
    for (const node of scope.node.findAll()) {
      if (node !== scope && TerraformStack.isStack(node) && !Aspects.of(node).all.includes(guard))
        Aspects.of(node).add(guard);
    }
  };
  attach();
  if (App.isApp(scope)) {
    const synth = scope.synth.bind(scope);
    scope.synth = (): void => {
      attach();
      synth();
    };
  }
  return guard;
}

/** Entry points of the construct library that take no scope of their own. */
export class Coffer {
  /** Turns the secret guard on for every stack under `scope`: `Coffer.guard(app)`. */
  static guard(scope: IConstruct, options: SecretGuardOptions = {}): SecretGuard {
    return enableSecretGuard(scope, options);
  }
}

/** Called by every Coffer construct: the guard is on by default for its stack. */
export function ensureGuard(scope: IConstruct): void {
  const stack = TerraformStack.of(scope) as TerraformStack & { [GUARDED]?: boolean };
  if (stack[GUARDED]) return;
  Object.defineProperty(stack, GUARDED, { value: true });
  Aspects.of(stack).add(new SecretGuard({}, true));
}

/**
 * Runs the guard's rules over a stack now and returns the findings (without annotating).
 * Useful in tests: `expect(checkStack(stack)).toEqual([])`.
 */
export function checkStack(stack: TerraformStack, options: SecretGuardOptions = {}): Finding[] {
  const unsafe = stack.node
    .findAll()
    .flatMap((node) =>
      node.node.metadata
        .filter((m) => m.type === UNSAFE_PLAINTEXT_METADATA)
        .map((m) => ({ node, where: String(m.data) })),
    );
  const unsafePaths = unsafe.map((u) => u.node.node.path);
  const file = `${stack.node.id}/cdk.tf.json`;
  const findings = lintTerraformJson(stack.toTerraform(), file, options).filter(
    // The unsafe-plaintext finding already covers literals under a construct given plaintext.
    (f) =>
      !(
        f.rule === 'credential-literal' &&
        f.constructPath !== undefined &&
        unsafePaths.some((p) => f.constructPath === p || f.constructPath?.startsWith(`${p}/`))
      ),
  );
  const plaintext = finalize(
    unsafe.map(({ node, where }) => ({
      rule: 'unsafe-plaintext' as const,
      message: `${where} is SecretValue.unsafePlainText(): the plaintext is written into cdk.tf.json and wherever it is copied (CI logs, artifacts, template pushes); use SecretValue.variable() or another source`,
      loc: { file },
      constructPath: node.node.path,
    })),
    undefined,
    options,
  );
  return [...plaintext, ...findings];
}

/** Attaches each finding to the construct that wrote it (once, however often validation runs). */
function annotate(stack: TerraformStack, findings: readonly Finding[]): void {
  const done = reported.get(stack) ?? new Set<string>();
  reported.set(stack, done);
  const byPath = new Map<string, IConstruct>(stack.node.findAll().map((n) => [n.node.path, n]));
  const byAddress = addressIndex(stack);
  for (const f of findings) {
    const key = `${f.rule}|${f.address ?? ''}|${f.attribute ?? ''}|${f.constructPath ?? ''}|${f.message}`;
    if (done.has(key)) continue;
    done.add(key);
    const target =
      (f.constructPath !== undefined ? byPath.get(f.constructPath) : undefined) ??
      (f.address !== undefined ? byAddress.get(f.address) : undefined) ??
      stack;
    const message = `[coffer guard] ${f.rule}: ${f.message}`;
    if (f.severity === 'error') Annotations.of(target).addError(message);
    else Annotations.of(target).addWarning(message);
  }
}

/** `var.x`, `output.y`, `local.z` → the construct that declared it. */
function addressIndex(stack: TerraformStack): Map<string, IConstruct> {
  const index = new Map<string, IConstruct>();
  for (const node of stack.node.findAll()) {
    if (node instanceof TerraformVariable) index.set(`var.${node.friendlyUniqueId}`, node);
    else if (node instanceof TerraformOutput) index.set(`output.${node.friendlyUniqueId}`, node);
    else if (node instanceof TerraformLocal) index.set(`local.${node.friendlyUniqueId}`, node);
  }
  return index;
}
