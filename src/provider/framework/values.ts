/**
 * Values as resources see them: plain JavaScript, plus one marker for "known after apply".
 * The adapter converts to and from cty; resources never see the wire representation.
 */

export const Unknown: unique symbol = Symbol('known after apply');
export type Unknown = typeof Unknown;

export type Value = string | number | boolean | null | Unknown | readonly Value[] | { readonly [key: string]: Value };

export function isUnknown(value: unknown): value is Unknown {
  return value === Unknown;
}

export function isWhollyKnown(value: Value): boolean {
  if (value === Unknown) return false;
  if (Array.isArray(value)) return value.every(isWhollyKnown);
  if (value !== null && typeof value === 'object') return Object.values(value).every(isWhollyKnown);
  return true;
}

export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => valuesEqual(item, b[i] as Value));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ao = a as { readonly [key: string]: Value };
    const bo = b as { readonly [key: string]: Value };
    const ak = Object.keys(ao);
    return ak.length === Object.keys(bo).length && ak.every((k) => k in bo && valuesEqual(ao[k] as Value, bo[k] as Value));
  }
  return false;
}
