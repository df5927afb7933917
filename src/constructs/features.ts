/**
 * Gates for what the engines and the Coffer provider can do, read from construct context so a
 * project switches them in `cdktf.json` (`context`) or on the `App`. Provider features are on by
 * default: the constructs ship with the provider version that has them.
 */
import type { IConstruct } from 'constructs';

/**
 * Context key that turns provider features **off** for a project pinned to an older
 * `cofferhq/coffer` than the one these constructs ship with. Unset (the default): every feature
 * of the bundled provider (`BUNDLED_PROVIDER_FEATURES`) is on. Set: a list of `CofferFeature`s,
 * exactly the ones the project's provider has; the rest are off.
 */
export const PROVIDER_FEATURES_CONTEXT = '@cofferhq/coffer:providerFeatures';

/** cdktn's context key for the engines a project targets (set from `cdktf.json` `targetVersions`). */
export const TARGET_VERSIONS_CONTEXT = 'targetVersions';

/**
 * Parts of the Coffer provider that a construct needs beyond `coffer_user_secret`. The provider
 * these constructs ship with has all of them; a project on an older provider lists the ones it
 * has in `cdktf.json`, e.g. `"context": { "@cofferhq/coffer:providerFeatures": ["secret-check"] }`.
 */
export enum CofferFeature {
  /** The `coffer_secret_check` data source. */
  SECRET_CHECK = 'secret-check',
  /** The `coffer_user_secret` ephemeral resource (a secret's value for one run). */
  EPHEMERAL_USER_SECRET = 'ephemeral-user-secret',
  /** The `coffer_dynamic_secret` ephemeral resource (Vault/OpenBao leases). */
  DYNAMIC_SECRET = 'dynamic-secret',
}

/** The `cofferhq/coffer` version the constructs and their bindings (`schemas/coffer.json`) ship with. */
export const BUNDLED_PROVIDER_VERSION = '0.1.0';

/** The features `cofferhq/coffer` `BUNDLED_PROVIDER_VERSION` has: all of them. */
export const BUNDLED_PROVIDER_FEATURES: readonly CofferFeature[] = Object.values(CofferFeature);

/** The features on for `scope`: the bundled provider's, or the list the context gives (validated). */
export function providerFeatures(scope: IConstruct): readonly CofferFeature[] {
  const declared: unknown = scope.node.tryGetContext(PROVIDER_FEATURES_CONTEXT);
  if (declared === undefined || declared === null) return BUNDLED_PROVIDER_FEATURES;
  const known = BUNDLED_PROVIDER_FEATURES.map((f) => `"${f}"`).join(', ');
  if (!Array.isArray(declared)) {
    throw new Error(
      `context "${PROVIDER_FEATURES_CONTEXT}" must be a list of provider features (${known}), got ${JSON.stringify(declared)}`,
    );
  }
  for (const entry of declared as unknown[]) {
    if (!BUNDLED_PROVIDER_FEATURES.includes(entry as CofferFeature)) {
      throw new Error(
        `context "${PROVIDER_FEATURES_CONTEXT}" lists ${JSON.stringify(entry)}, which is not a Coffer provider feature (known: ${known})`,
      );
    }
  }
  return declared as CofferFeature[];
}

export function providerFeatureEnabled(scope: IConstruct, feature: CofferFeature): boolean {
  return providerFeatures(scope).includes(feature);
}

export function requireProviderFeature(scope: IConstruct, feature: CofferFeature, what: string): void {
  const on = providerFeatures(scope);
  if (on.includes(feature)) return;
  throw new Error(
    `${what} needs the Coffer provider feature "${feature}", which the "${PROVIDER_FEATURES_CONTEXT}" context turns off ` +
      `(it lists ${on.length === 0 ? 'none' : on.map((f) => `"${f}"`).join(', ')}). That context is only for a project on a provider older than ` +
      `cofferhq/coffer ${BUNDLED_PROVIDER_VERSION}, which has every feature: add "${feature}" to it, or remove it (cdktf.json "context", or App context)`,
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
