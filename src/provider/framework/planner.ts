/**
 * The plan contract, enforced once for every resource (see the plugin protocol's resource
 * lifecycle): configured values are planned exactly, defaults fill null optional+computed
 * attributes, computed values are unknown on create (and on update when they change with
 * every write), write-only attributes are planned null, and the result depends only on the
 * inputs, so the final plan at apply time matches the first one.
 */
import type { Diagnostics } from './diagnostics';
import type { ManagedResource, PrivateData } from './resource';
import { attributeMode, type Attributes, type PlanModel, type StateModel } from './schema';
import { Unknown, valuesEqual, type Value } from './values';

export interface PlanInput<A extends Attributes> {
  readonly prior: StateModel<A> | null;
  readonly proposed: PlanModel<A> | null;
  readonly config: PlanModel<A> | null;
  readonly priorPrivate: PrivateData;
}

export interface PlanOutput<A extends Attributes> {
  readonly planned: PlanModel<A> | null;
  readonly requiresReplace: readonly string[];
}

export function planResourceChange<A extends Attributes, P>(
  resource: ManagedResource<A, P>,
  input: PlanInput<A>,
  diagnostics: Diagnostics,
): PlanOutput<A> {
  const { prior, proposed, config } = input;
  if (proposed === null || config === null) return { planned: null, requiresReplace: [] };

  const attributes = resource.schema.attributes;
  const planned: Record<string, Value> = { ...proposed };
  for (const [name, spec] of Object.entries(attributes)) {
    const configured = config[name] as Value;
    if (spec.writeOnly) {
      planned[name] = null;
      continue;
    }
    if (configured !== null) {
      planned[name] = configured;
      continue;
    }
    const mode = attributeMode(spec);
    if (spec.default !== undefined) planned[name] = spec.default as Value;
    else if (mode === 'optional' || mode === 'required') planned[name] = null;
    else if (prior === null) planned[name] = Unknown;
    else planned[name] = prior[name] as Value;
  }

  let replace: string[] = [];
  if (prior !== null) {
    replace = Object.entries(attributes)
      .filter(([name, spec]) => spec.requiresReplace && !valuesEqual(prior[name] as Value, planned[name] as Value))
      .map(([name]) => name);
  }

  const modification = resource.modifyPlan?.(planned as PlanModel<A>, { prior, config, priorPrivate: input.priorPrivate }, { diagnostics });
  if (modification) {
    Object.assign(planned, modification.planned ?? {});
    for (const name of modification.replace ?? []) if (!replace.includes(name)) replace.push(name);
  }

  const creating = prior === null || replace.length > 0;
  const updating = !creating && prior !== null && hasConfiguredChange(attributes, prior, planned);
  for (const [name, spec] of Object.entries(attributes)) {
    if (spec.writeOnly || config[name] !== null) continue;
    const computedOnly = attributeMode(spec) === 'computed';
    // A replaced object is new: every computed value it had is unknown again.
    if (computedOnly && (creating || (updating && spec.unknownOnUpdate))) planned[name] = Unknown;
  }
  return { planned: planned as PlanModel<A>, requiresReplace: replace };
}

/** True when any attribute a user can set differs from the prior state. */
export function hasConfiguredChange(attributes: Attributes, prior: Record<string, unknown>, planned: Record<string, Value>): boolean {
  return Object.entries(attributes).some(
    ([name, spec]) => attributeMode(spec) !== 'computed' && !spec.writeOnly && !valuesEqual(prior[name] as Value, planned[name] as Value),
  );
}
