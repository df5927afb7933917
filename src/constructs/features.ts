/**
 * Gates for what the engines and the Coffer provider can do, read from construct context so a
 * project switches them in `cdktf.json` (`context`) or on the `App`.
 */
import type { IConstruct } from 'constructs';

/** Context key: the provider features the project's `cofferhq/coffer` version has (a list of `CofferFeature`). */
export const PROVIDER_FEATURES_CONTEXT = '@cofferhq/coffer:providerFeatures';

/** cdktn's context key for the engines a project targets (set from `cdktf.json` `targetVersions`). */
export const TARGET_VERSIONS_CONTEXT = 'targetVersions';

/**
 * Parts of the Coffer provider that are designed (their schema is hand-declared in
 * `schemas/coffer-planned.json`) but not shipped by every provider version. A construct that
 * needs one throws until the project declares it, e.g. in `cdktf.json`:
 * `"context": { "@cofferhq/coffer:providerFeatures": ["secret-check"] }`.
 */
export enum CofferFeature {
  /** The `coffer_secret_check` data source. */
  SECRET_CHECK = 'secret-check',
  /** The `coffer_user_secret` ephemeral resource (a secret's value for one run). */
  EPHEMERAL_USER_SECRET = 'ephemeral-user-secret',
  /** The `coffer_dynamic_secret` ephemeral resource (Vault/OpenBao leases). */
  DYNAMIC_SECRET = 'dynamic-secret',
}

export function providerFeatureEnabled(scope: IConstruct, feature: CofferFeature): boolean {
  const declared: unknown = scope.node.tryGetContext(PROVIDER_FEATURES_CONTEXT);
  return Array.isArray(declared) && declared.includes(feature);
}

export function requireProviderFeature(scope: IConstruct, feature: CofferFeature, what: string): void {
  if (providerFeatureEnabled(scope, feature)) return;
  throw new Error(
    `${what} needs the Coffer provider feature "${feature}", which the project does not declare: ` +
      `add it to the "${PROVIDER_FEATURES_CONTEXT}" context (cdktf.json "context", or App context) once your cofferhq/coffer version ships it`,
  );
}

/** The smallest version a semver range admits (`>=1.11.0` → [1, 11, 0]; `*` → [0, 0, 0]). */
export function rangeFloor(range: string): [number, number, number] {
  const floors = range.split('||').map((alternative) => {
    let floor: [number, number, number] = [0, 0, 0];
    for (const m of alternative.matchAll(/(>=|>|\^|~|=)?\s*v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/g)) {
      const op = m[1] ?? '';
      if (alternative.slice(0, m.index).trimEnd().endsWith('<')) continue;
      const parts: [number, number, number] = [
        Number(m[2]),
        Number.isNaN(Number(m[3])) ? 0 : Number(m[3] ?? 0),
        Number.isNaN(Number(m[4])) ? 0 : Number(m[4] ?? 0),
      ];
      if (op === '>') parts[2] += 1;
      if (compare(parts, floor) > 0) floor = parts;
    }
    return floor;
  });
  return floors.reduce((a, b) => (compare(a, b) <= 0 ? a : b));
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** cdktn's default when a project declares no targetVersions. */
const DEFAULT_TARGETS: Readonly<Record<string, string>> = { terraform: '>=1.5.7', opentofu: '>=1.6.0' };

/** Minimum engine versions for ephemeral input variables (Terraform 1.10, OpenTofu 1.11). */
export const EPHEMERAL_VARIABLES_MIN: Readonly<Record<string, string>> = { terraform: '1.10.0', opentofu: '1.11.0' };

/** Minimum engine versions for write-only attributes (Terraform 1.11, OpenTofu 1.11). */
export const WRITE_ONLY_MIN: Readonly<Record<string, string>> = { terraform: '1.11.0', opentofu: '1.11.0' };

/** True when every engine the project targets is at least `minimums` (the same rule cdktn applies). */
export function targetsAtLeast(scope: IConstruct, minimums: Readonly<Record<string, string>>): boolean {
  const declared: unknown = scope.node.tryGetContext(TARGET_VERSIONS_CONTEXT);
  const targets =
    typeof declared === 'object' && declared !== null && !Array.isArray(declared)
      ? (declared as Record<string, unknown>)
      : DEFAULT_TARGETS;
  return Object.entries(targets).every(([product, range]) => {
    const min = minimums[product];
    if (min === undefined || typeof range !== 'string') return false;
    return compare(rangeFloor(range), min.split('.').map(Number)) >= 0;
  });
}

export function describeTargets(scope: IConstruct): string {
  const declared: unknown = scope.node.tryGetContext(TARGET_VERSIONS_CONTEXT);
  return JSON.stringify(declared ?? DEFAULT_TARGETS);
}
