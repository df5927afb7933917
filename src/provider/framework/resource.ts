/**
 * What a managed resource implements: a schema plus create/read/update/delete/import. The
 * framework does everything protocol-shaped around these calls (decoding, plan rules,
 * write-only nulling, consistency checks, diagnostics on the wire).
 */
import type { Diagnostics } from './diagnostics';
import type { Logger } from '../protocol/logger';
import type { Attributes, PlanModel, Schema, StateModel } from './schema';

/** Opaque per-instance data kept by tofu beside the state (never shown to users). */
export type PrivateData = { readonly [key: string]: string | number | boolean | null };

export interface ResourceContext<P> {
  /** What the provider's `configure` returned. */
  readonly provider: P;
  readonly diagnostics: Diagnostics;
  readonly log: Logger;
  /** Aborted when tofu sends StopProvider (user interrupt). */
  readonly signal: AbortSignal;
}

export interface ValidateContext {
  readonly diagnostics: Diagnostics;
}

export interface CreateRequest<A extends Attributes> {
  readonly planned: PlanModel<A>;
  /** The configuration, wholly known; the only place write-only values can be read. */
  readonly config: StateModel<A>;
}

export interface UpdateRequest<A extends Attributes> extends CreateRequest<A> {
  readonly prior: StateModel<A>;
  readonly priorPrivate: PrivateData;
}

export interface ReadRequest<A extends Attributes> {
  readonly state: StateModel<A>;
  readonly private: PrivateData;
}

export interface DeleteRequest<A extends Attributes> {
  readonly prior: StateModel<A>;
}

export interface ModifyPlanRequest<A extends Attributes> {
  /** Null when the resource is being created. */
  readonly prior: StateModel<A> | null;
  readonly config: PlanModel<A>;
  readonly priorPrivate: PrivateData;
}

/** What create/update/read return: the computed values the framework could not plan. */
export interface ResourceResult<A extends Attributes> {
  readonly state: Partial<StateModel<A>>;
  readonly private?: PrivateData;
}

export interface ManagedResource<A extends Attributes, P> {
  /** e.g. `coffer_user_secret`. */
  readonly typeName: string;
  readonly schema: Schema<A>;

  /** Cross-attribute rules. Config values may be unknown here; skip those. */
  validateConfig?(config: PlanModel<A>, ctx: ValidateContext): void;

  /**
   * Adjusts the plan after the framework applied the schema rules. Returns attributes to
   * mark as replaced (in addition to `requiresReplace` ones) and any planned value overrides.
   */
  modifyPlan?(
    planned: PlanModel<A>,
    request: ModifyPlanRequest<A>,
    ctx: ValidateContext,
  ): { readonly planned?: Partial<PlanModel<A>>; readonly replace?: readonly (keyof A & string)[] } | void;

  create(request: CreateRequest<A>, ctx: ResourceContext<P>): Promise<ResourceResult<A> | undefined>;
  /** Returns null when the object no longer exists (tofu then plans to create it again). */
  read(request: ReadRequest<A>, ctx: ResourceContext<P>): Promise<ResourceResult<A> | null>;
  update(request: UpdateRequest<A>, ctx: ResourceContext<P>): Promise<ResourceResult<A> | undefined>;
  delete(request: DeleteRequest<A>, ctx: ResourceContext<P>): Promise<void>;
  /** Turns an import ID into the attributes `read` needs; the framework then reads. */
  importState?(id: string, ctx: ResourceContext<P>): Promise<Partial<StateModel<A>> | undefined>;
  /** Migrates state written by an older schema version (already decoded leniently). */
  upgradeState?(version: number, state: StateModel<A>): StateModel<A>;
}

export interface DataSource<A extends Attributes, P> {
  readonly typeName: string;
  readonly schema: Schema<A>;
  validateConfig?(config: PlanModel<A>, ctx: ValidateContext): void;
  read(config: StateModel<A>, ctx: ResourceContext<P>): Promise<Partial<StateModel<A>> | undefined>;
}

export interface EphemeralOpenResult<A extends Attributes> {
  readonly result: Partial<StateModel<A>>;
  /** When tofu should call `renew` (e.g. before a lease expires). */
  readonly renewAt?: Date;
  readonly private?: PrivateData;
}

export interface EphemeralResource<A extends Attributes, P> {
  readonly typeName: string;
  readonly schema: Schema<A>;
  validateConfig?(config: PlanModel<A>, ctx: ValidateContext): void;
  open(config: StateModel<A>, ctx: ResourceContext<P>): Promise<EphemeralOpenResult<A> | undefined>;
  renew?(privateData: PrivateData, ctx: ResourceContext<P>): Promise<{ renewAt?: Date; private?: PrivateData } | undefined>;
  close?(privateData: PrivateData, ctx: ResourceContext<P>): Promise<void>;
}

/** A provider-defined function: `provider::coffer::NAME(...)`. Must be pure and deterministic. */
export interface ProviderFunction {
  readonly name: string;
  readonly summary: string;
  readonly description: string;
  readonly parameters: readonly { readonly name: string; readonly kind: 'string' | 'bool' | 'number'; readonly description: string }[];
  readonly returns: 'string' | 'bool' | 'number';
  call(args: readonly (string | number | boolean | null)[]): { result: string | number | boolean | null } | { error: string; argument?: number };
}
