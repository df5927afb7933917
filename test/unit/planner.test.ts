import { Diagnostics } from '../../src/provider/framework/diagnostics';
import { planResourceChange } from '../../src/provider/framework/planner';
import type { ManagedResource } from '../../src/provider/framework/resource';
import { attribute, type PlanModel, type StateModel } from '../../src/provider/framework/schema';
import { Unknown } from '../../src/provider/framework/values';

const attributes = {
  id: attribute.string({ description: 'id', computed: true }),
  name: attribute.string({ description: 'name', required: true, requiresReplace: true }),
  note: attribute.string({ description: 'note', optional: true }),
  enabled: attribute.bool({ description: 'enabled', default: true }),
  secret_wo: attribute.string({ description: 'write-only', optional: true, writeOnly: true }),
  updated_at: attribute.string({ description: 'changes on update', computed: true, unknownOnUpdate: true }),
};
type A = typeof attributes;

const resource: ManagedResource<A, unknown> = {
  typeName: 'test_thing',
  schema: { version: 0, description: 'test', attributes },
  create: async () => undefined,
  read: async () => null,
  update: async () => undefined,
  delete: async () => undefined,
};

const config = (over: Partial<PlanModel<A>> = {}): PlanModel<A> => ({
  id: null, name: 'a', note: null, enabled: null, secret_wo: 's3cret', updated_at: null, ...over,
});
const prior: StateModel<A> = { id: 'x1', name: 'a', note: null, enabled: true, secret_wo: null, updated_at: 't1' };

function plan(p: StateModel<A> | null, c: PlanModel<A> | null, proposed: PlanModel<A> | null = c && { ...c, ...(p ? { id: p.id, updated_at: p.updated_at } : {}) }) {
  return planResourceChange(resource, { prior: p, proposed, config: c, priorPrivate: {} }, new Diagnostics());
}

describe('planner', () => {
  test('create: config exact, defaults filled, computed unknown, write-only null', () => {
    const result = plan(null, config({ note: 'hello' }));
    expect(result.planned).toEqual({ id: Unknown, name: 'a', note: 'hello', enabled: true, secret_wo: null, updated_at: Unknown });
    expect(result.requiresReplace).toEqual([]);
  });

  test('no change keeps every prior value, so the engine sees a no-op', () => {
    expect(plan(prior, config()).planned).toEqual(prior);
  });

  test('an update keeps stable computed values and marks unknownOnUpdate ones unknown', () => {
    const result = plan(prior, config({ note: 'changed' }));
    expect(result.planned).toEqual({ ...prior, note: 'changed', updated_at: Unknown });
    expect(result.requiresReplace).toEqual([]);
  });

  test('a change to a requiresReplace attribute replaces and makes computed values unknown', () => {
    const result = plan(prior, config({ name: 'b' }));
    expect(result.requiresReplace).toEqual(['name']);
    expect(result.planned).toMatchObject({ id: Unknown, name: 'b', updated_at: Unknown });
  });

  test('an unknown configured value is planned unknown and counts as a change', () => {
    const result = plan(prior, config({ note: Unknown }));
    expect(result.planned).toMatchObject({ note: Unknown, updated_at: Unknown, id: 'x1' });
  });

  test('destroy plans null', () => {
    expect(plan(prior, null, null).planned).toBeNull();
  });

  test('is deterministic: planning the same inputs twice gives equal plans', () => {
    expect(plan(prior, config({ note: 'x' }))).toEqual(plan(prior, config({ note: 'x' })));
  });

  test('modifyPlan can force replacement', () => {
    const replacing: ManagedResource<A, unknown> = { ...resource, modifyPlan: () => ({ replace: ['note'] }) };
    const result = planResourceChange(replacing, { prior, proposed: { ...config(), id: 'x1', updated_at: 't1' }, config: config(), priorPrivate: {} }, new Diagnostics());
    expect(result.requiresReplace).toEqual(['note']);
    expect(result.planned).toMatchObject({ id: Unknown });
  });
});
