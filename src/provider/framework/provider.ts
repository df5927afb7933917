/**
 * A provider definition: its own configuration schema, how configuration becomes the data
 * every resource call receives (e.g. a connected secret store), and what it serves.
 */
import type { Diagnostics } from './diagnostics';
import type { DataSource, EphemeralResource, ManagedResource, ProviderFunction } from './resource';
import type { Attributes, Schema, StateModel, PlanModel } from './schema';

/* eslint-disable @typescript-eslint/no-explicit-any -- heterogeneous registries: each entry keeps its own attribute type. */
export type AnyManagedResource<P> = ManagedResource<any, P>;
export type AnyDataSource<P> = DataSource<any, P>;
export type AnyEphemeralResource<P> = EphemeralResource<any, P>;
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface ProviderDefinition<A extends Attributes, P> {
  /** The provider's type name in addresses, e.g. `coffer`. */
  readonly typeName: string;
  readonly schema: Schema<A>;
  validateConfig?(config: PlanModel<A>, diagnostics: Diagnostics): void;
  /** Config may contain nulls where users rely on env vars; unknowns arrive as null. */
  configure(config: StateModel<A>, diagnostics: Diagnostics, engine: { readonly terraformVersion: string }): Promise<P | undefined>;
  /** Releases what `configure` opened (the process is about to exit). */
  close?(data: P): Promise<void>;
  readonly resources: readonly AnyManagedResource<P>[];
  readonly dataSources?: readonly AnyDataSource<P>[];
  readonly ephemeralResources?: readonly AnyEphemeralResource<P>[];
  readonly functions?: readonly ProviderFunction[];
}
