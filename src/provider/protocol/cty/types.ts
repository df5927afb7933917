/**
 * cty types and values as JavaScript sees them. This is the protocol layer's value model; the
 * framework converts it to plain resource models, so nothing above the framework imports it.
 */

export type CtyPrimitiveType = 'string' | 'number' | 'bool' | 'dynamic';

export type CtyType =
  | CtyPrimitiveType
  | readonly ['list', CtyType]
  | readonly ['set', CtyType]
  | readonly ['map', CtyType]
  | readonly ['object', Readonly<Record<string, CtyType>>]
  | readonly ['object', Readonly<Record<string, CtyType>>, readonly string[]]
  | readonly ['tuple', readonly CtyType[]];

/** A value not known until apply. Refinements sent by tofu are dropped when decoding (allowed). */
export class UnknownValue {
  static readonly instance = new UnknownValue();
  /** Brand: without it every object would structurally be an UnknownValue and type guards would misfire. */
  readonly kind = 'unknown' as const;
  private constructor() {}
  toString(): string {
    return '(known after apply)';
  }
}

export const unknown = UnknownValue.instance;

export function isUnknown(value: unknown): value is UnknownValue {
  return value === UnknownValue.instance;
}

/**
 * A number that JavaScript's float64 cannot hold exactly (more digits than float64 keeps, or an
 * integer beyond 2^53). Kept as cty's decimal text so it round-trips losslessly.
 */
export class CtyBigNumber {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A value of schema type `dynamic`: carries its concrete type. */
export class CtyDynamic {
  constructor(
    readonly type: CtyType,
    readonly value: CtyValue,
  ) {}
}

export type CtyValue =
  | null
  | UnknownValue
  | string
  | boolean
  | number
  | CtyBigNumber
  | CtyDynamic
  | readonly CtyValue[]
  | { readonly [key: string]: CtyValue };

/** Parses cty type JSON (`"string"`, `["list","string"]`, `["object",{...}]`, …). */
export function typeFromJson(json: unknown): CtyType {
  if (typeof json === 'string') {
    if (json === 'string' || json === 'number' || json === 'bool' || json === 'dynamic') return json;
    throw new TypeError(`unsupported cty primitive type "${json}"`);
  }
  if (Array.isArray(json) && json.length >= 2 && typeof json[0] === 'string') {
    const [kind, arg, optional] = json as [string, unknown, unknown];
    switch (kind) {
      case 'list':
      case 'set':
      case 'map':
        return [kind, typeFromJson(arg)];
      case 'object': {
        if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) break;
        const attrs: Record<string, CtyType> = {};
        for (const [k, v] of Object.entries(arg)) attrs[k] = typeFromJson(v);
        return Array.isArray(optional) ? ['object', attrs, optional.map(String)] : ['object', attrs];
      }
      case 'tuple':
        if (Array.isArray(arg)) return ['tuple', arg.map(typeFromJson)];
        break;
    }
  }
  throw new TypeError(`invalid cty type JSON: ${JSON.stringify(json)}`);
}

export function isObjectValue(value: CtyValue): value is { readonly [key: string]: CtyValue } {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof UnknownValue) &&
    !(value instanceof CtyBigNumber) &&
    !(value instanceof CtyDynamic)
  );
}

/** True when no unknown appears anywhere inside the value. */
export function isWhollyKnown(value: CtyValue): boolean {
  if (isUnknown(value)) return false;
  if (value instanceof CtyDynamic) return isWhollyKnown(value.value);
  if (Array.isArray(value)) return value.every(isWhollyKnown);
  if (isObjectValue(value)) return Object.values(value).every(isWhollyKnown);
  return true;
}
